/**
 * Function resource policies: AddPermission, RemovePermission, GetPolicy, one policy each for
 * $LATEST, a version or an alias. Stored and returned as AWS does (policy documents as JSON
 * strings, a RevisionId per change). They are enforced by the services that invoke functions
 * (S3, SNS, API Gateway) in later work.
 */
import { randomUUID } from 'node:crypto';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { structure } from '../../../shared/shapes.js';
import { type LambdaDeps, scopeOf } from '../deps.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../errors.js';
import { functionArn, parseFunctionRef, qualifierKind } from '../identifiers.js';
import type { PolicyStatement } from '../model.js';
import * as S from '../shapes.js';
import type { Scope } from '../store.js';

const permissionQualifier = {
  ...S.qualifierQuery,
  min: 1,
  max: 128,
  pattern: '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+',
} as const;

const PRINCIPAL =
  /^(\*|\d{12}|arn:aws[a-zA-Z-]*:iam::\d{12}:(root|user\/.+|role\/.+)|[a-z0-9.-]+\.amazonaws\.com(\.cn)?)$/;

export function permissionOperations(deps: LambdaDeps): Operation[] {
  const { store } = deps;

  /** Resolves FunctionName+Qualifier to a stored target; `notFound` words the error per op. */
  function target(ctx: RequestContext, input: Record<string, unknown>, op: 'add' | 'remove' | 'get') {
    const scope = scopeOf(ctx);
    const ref = parseFunctionRef(
      String(input.FunctionName),
      input.Qualifier as string | undefined,
      scope,
      'other',
    );
    const qualifier = ref.qualifier ?? '';
    if (qualifier === '$LATEST' && op === 'add') {
      throw new InvalidParameterValueException('We currently do not support adding policies for $LATEST.');
    }
    const exists = store.functionExists(scope, ref.name);
    const isAlias = qualifier !== '' && qualifierKind(qualifier) === 'alias';
    const versionExists =
      exists &&
      (qualifier === '' ||
        (isAlias
          ? store.getAlias(scope, ref.name, qualifier) !== undefined
          : store.getVersion(scope, ref.name, qualifier) !== undefined));
    if (!versionExists) {
      if (op === 'get') throw new ResourceNotFoundException('The resource you requested does not exist.');
      if (op === 'remove' && !exists)
        throw new ResourceNotFoundException(`No policy found for: ${functionArn(scope, ref.name)}`);
      if (isAlias) {
        throw new ResourceNotFoundException(
          `Cannot find alias arn: ${functionArn(scope, ref.name, qualifier)}`,
        );
      }
      throw new ResourceNotFoundException(
        `Function not found: ${functionArn(scope, ref.name, ref.qualifier)}`,
      );
    }
    return { scope, name: ref.name, qualifier, isAlias, arn: functionArn(scope, ref.name, ref.qualifier) };
  }

  type Target = { scope: Scope; name: string; qualifier: string; isAlias: boolean };

  /**
   * The RevisionId a policy change must name: the policy's own once it exists, else that of
   * the version or alias it is for. A policy keeps its RevisionId when the function's changes
   * (recorded: test_lambda_permission_fn_versioning, 2025, after PublishVersion; AWS tied the
   * two together in 2022).
   */
  function expectedRevision(t: Target, policy: { revisionId: string } | undefined): string | undefined {
    if (policy) return policy.revisionId;
    return t.isAlias
      ? store.getAlias(t.scope, t.name, t.qualifier)?.revisionId
      : store.getVersion(t.scope, t.name, t.qualifier || '$LATEST')?.config.RevisionId;
  }

  /** Stores the policy and gives it and its version or alias one new RevisionId. */
  function savePolicy(t: Target, statements: PolicyStatement[]): void {
    const revisionId = randomUUID();
    store.transaction(() => {
      store.putPolicy(t.scope, t.name, t.qualifier, statements, revisionId);
      if (!t.isAlias) {
        store.bumpRevision(t.scope, t.name, t.qualifier || '$LATEST', revisionId);
        return;
      }
      const alias = store.getAlias(t.scope, t.name, t.qualifier);
      if (alias) store.putAlias(t.scope, t.name, { ...alias, revisionId });
    });
  }

  const addPermission: Operation = {
    name: 'AddPermission',
    http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/policy', status: 201 },
    input: structure({
      FunctionName: S.functionNameLabel,
      Qualifier: permissionQualifier,
      StatementId: { type: 'string', required: true, min: 1, max: 100, pattern: '([a-zA-Z0-9-_]+)' },
      Action: { type: 'string', required: true, pattern: '(lambda:[*]|lambda:[a-zA-Z]+|[*])' },
      Principal: { type: 'string', required: true, pattern: '[^\\s]+' },
      SourceArn: {
        type: 'string',
        pattern: 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)',
      },
      SourceAccount: { type: 'string', max: 12, pattern: '\\d{12}' },
      EventSourceToken: { type: 'string', min: 0, max: 256 },
      RevisionId: { type: 'string' },
      PrincipalOrgID: { type: 'string', min: 12, max: 34 },
      FunctionUrlAuthType: { type: 'string', enum: ['NONE', 'AWS_IAM'] },
      InvokedViaFunctionUrl: { type: 'boolean' },
    }),
    handler(input, ctx) {
      const t = target(ctx, input, 'add');
      const principal = String(input.Principal);
      if (!PRINCIPAL.test(principal)) {
        throw new InvalidParameterValueException(
          'The provided principal was invalid. Please check the principal and try again.',
        );
      }
      const current = store.getPolicy(t.scope, t.name, t.qualifier);
      if (input.RevisionId !== undefined && input.RevisionId !== expectedRevision(t, current)) {
        throw new PreconditionFailedException(
          'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id',
        );
      }
      const statements = current?.statements ?? [];
      const sid = String(input.StatementId);
      if (statements.some((s) => s.Sid === sid)) {
        throw new ResourceConflictException(
          `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        );
      }
      const statement = buildStatement(input, sid, principal, t.arn);
      savePolicy(t, [...statements, statement]);
      return { Statement: JSON.stringify(statement) };
    },
  };

  const removePermission: Operation = {
    name: 'RemovePermission',
    http: {
      method: 'DELETE',
      path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
      status: 204,
    },
    input: structure({
      FunctionName: S.functionNameLabel,
      StatementId: {
        type: 'string',
        required: true,
        location: 'uri',
        min: 1,
        max: 100,
        pattern: '([a-zA-Z0-9-_.]+)',
      },
      Qualifier: permissionQualifier,
      RevisionId: { type: 'string', location: 'querystring', locationName: 'RevisionId' },
    }),
    handler(input, ctx) {
      const t = target(ctx, input, 'remove');
      const current = store.getPolicy(t.scope, t.name, t.qualifier);
      if (!current) throw new ResourceNotFoundException('No policy is associated with the given resource.');
      if (input.RevisionId !== undefined && input.RevisionId !== expectedRevision(t, current)) {
        throw new PreconditionFailedException(
          'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id',
        );
      }
      const sid = String(input.StatementId);
      if (!current.statements.some((s) => s.Sid === sid)) {
        throw new ResourceNotFoundException(`Statement ${sid} is not found in resource policy.`);
      }
      savePolicy(
        t,
        current.statements.filter((s) => s.Sid !== sid),
      );
      return {};
    },
  };

  const getPolicy: Operation = {
    name: 'GetPolicy',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/policy', status: 200 },
    input: structure({ FunctionName: S.functionNameLabel, Qualifier: S.qualifierQuery }),
    handler(input, ctx) {
      const t = target(ctx, input, 'get');
      const current = store.getPolicy(t.scope, t.name, t.qualifier);
      if (!current) throw new ResourceNotFoundException('The resource you requested does not exist.');
      return {
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: current.statements }),
        RevisionId: current.revisionId,
      };
    },
  };

  return [addPermission, removePermission, getPolicy];
}

/** The IAM statement AWS writes for an AddPermission call. */
function buildStatement(
  input: Record<string, unknown>,
  sid: string,
  principal: string,
  resource: string,
): PolicyStatement {
  const statement: PolicyStatement = {
    Sid: sid,
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : principal.endsWith('.amazonaws.com') || principal.endsWith('.amazonaws.com.cn')
          ? { Service: principal }
          : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
    Action: String(input.Action),
    Resource: resource,
  };
  const condition: Record<string, Record<string, string>> = {};
  if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': String(input.SourceAccount) };
  if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': String(input.SourceArn) };
  if (input.EventSourceToken)
    condition.StringEquals = {
      ...condition.StringEquals,
      'lambda:EventSourceToken': String(input.EventSourceToken),
    };
  if (input.PrincipalOrgID)
    condition.StringEquals = {
      ...condition.StringEquals,
      'aws:PrincipalOrgID': String(input.PrincipalOrgID),
    };
  if (input.FunctionUrlAuthType)
    condition.StringEquals = {
      ...condition.StringEquals,
      'lambda:FunctionUrlAuthType': String(input.FunctionUrlAuthType),
    };
  const withBool: Record<string, Record<string, string>> = condition;
  // Since October 2025 a function URL also needs lambda:InvokeFunction, granted for URL calls only.
  if (input.InvokedViaFunctionUrl === true) withBool.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
  if (Object.keys(withBool).length) statement.Condition = withBool;
  return statement;
}
