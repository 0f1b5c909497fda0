/** TagResource, UntagResource, ListTags and GetAccountSettings. */
import { randomUUID } from 'node:crypto';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import { InvalidParameterValueException, ResourceNotFoundException } from '../errors.js';
import { functionArn, parseTaggableResource } from '../identifiers.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';

export const MAX_TAGS = 50;
const resourceLabel = { type: 'string', required: true, location: 'uri', locationName: 'ARN' } as const;

export function tagAndAccountOperations(deps: LambdaDeps): Operation[] {
  const { store } = deps;

  function taggedFunction(ctx: RequestContext, arn: string): string {
    const scope = scopeOf(ctx);
    const resource = parseTaggableResource(arn, scope);
    if (resource.kind !== 'function') {
      // Only functions exist in Lambent so far; any other taggable kind is therefore missing.
      throw new ResourceNotFoundException(`Resource not found: ${arn}`);
    }
    if (!store.functionExists(scope, resource.name)) {
      throw new ResourceNotFoundException(`Function not found: ${functionArn(scope, resource.name)}`);
    }
    return resource.name;
  }

  /** Tag changes are function changes: AWS gives $LATEST a new RevisionId. */
  function saveTags(scope: Scope, name: string, tags: Record<string, string>): void {
    store.transaction(() => {
      store.setTags(scope, name, tags);
      store.bumpRevision(scope, name, '$LATEST', randomUUID());
    });
  }

  const tagResource: Operation = {
    name: 'TagResource',
    http: { method: 'POST', path: '/2017-03-31/tags/{ARN}', status: 204 },
    input: structure({ Resource: resourceLabel, Tags: { ...S.tags, required: true } }),
    handler(input, ctx) {
      const name = taggedFunction(ctx, String(input.Resource));
      const add = input.Tags as Record<string, string>;
      if (Object.keys(add).length === 0) {
        throw new InvalidParameterValueException('An error occurred and the request cannot be processed.');
      }
      const scope = scopeOf(ctx);
      const merged = { ...(store.getTags(scope, name) ?? {}), ...add };
      if (Object.keys(merged).length > MAX_TAGS) {
        throw new InvalidParameterValueException('Number of tags exceeds resource tag limit.');
      }
      saveTags(scope, name, merged);
      return {};
    },
  };

  const untagResource: Operation = {
    name: 'UntagResource',
    http: { method: 'DELETE', path: '/2017-03-31/tags/{ARN}', status: 204 },
    input: structure({
      Resource: resourceLabel,
      TagKeys: {
        type: 'list',
        required: true,
        member: { type: 'string' },
        location: 'querystring',
        locationName: 'tagKeys',
      },
    }),
    handler(input, ctx) {
      const name = taggedFunction(ctx, String(input.Resource));
      const scope = scopeOf(ctx);
      const tags = { ...(store.getTags(scope, name) ?? {}) };
      for (const key of input.TagKeys as string[]) delete tags[key];
      saveTags(scope, name, tags);
      return {};
    },
  };

  const listTags: Operation = {
    name: 'ListTags',
    http: { method: 'GET', path: '/2017-03-31/tags/{ARN}', status: 200 },
    input: structure({ Resource: resourceLabel }),
    handler(input, ctx) {
      const name = taggedFunction(ctx, String(input.Resource));
      return { Tags: store.getTags(scopeOf(ctx), name) ?? {} };
    },
  };

  const getAccountSettings: Operation = {
    name: 'GetAccountSettings',
    http: { method: 'GET', path: '/2016-08-19/account-settings', status: 200 },
    input: structure({}),
    handler(_input, ctx) {
      const scope = scopeOf(ctx);
      const l = deps.limits;
      return {
        AccountLimit: {
          TotalCodeSize: l.codeStorageBytes,
          CodeSizeUnzipped: l.maxUnzippedCodeBytes,
          CodeSizeZipped: l.maxZippedCodeBytes,
          ConcurrentExecutions: l.concurrentExecutions,
          UnreservedConcurrentExecutions: l.concurrentExecutions,
        },
        AccountUsage: {
          TotalCodeSize: store.totalCodeSize(scope),
          FunctionCount: store.functionCount(scope),
        },
      };
    },
  };

  return [tagResource, untagResource, listTags, getAccountSettings];
}
