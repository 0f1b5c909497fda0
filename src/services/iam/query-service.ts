/**
 * The Service shape IAM and STS share: awsQuery only (the action is in the form body), no path
 * prefixes, their RequestEntityTooLarge/MissingAction/AccessDenied errors.
 */
import type { CompiledPolicy } from '../../iam/policy/index.js';
import { MissingAction, type QueryActionRouter } from '../../protocols/query/index.js';
import type { ProtocolCodec } from '../../protocols/types.js';
import type { Service } from '../service.js';
import { AccessDenied, RequestEntityTooLarge } from './errors.js';

export function queryOnlyService(o: {
  name: string;
  router: QueryActionRouter;
  codec: ProtocolCodec;
  resourcePolicy?: (arn: string) => CompiledPolicy | undefined;
}): Service {
  return {
    name: o.name,
    signingName: o.name,
    codec: o.codec,
    route: () => undefined,
    routeBody: (req, body) => o.router.match({ method: req.method, query: req.query, body }),
    pathPrefixes: [],
    requestTooLarge: (_op, limit) =>
      new RequestEntityTooLarge(`Request body must be at most ${limit} bytes.`),
    unknownOperation: () => new MissingAction(),
    accessDenied: (message) => new AccessDenied(message),
    ...(o.resourcePolicy ? { resourcePolicy: o.resourcePolicy } : {}),
    health: () => ({ status: 'ok', operations: o.router.size }),
    async close() {},
  };
}
