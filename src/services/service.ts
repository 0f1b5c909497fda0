/**
 * The contract between the gateway and a service. Services are registered in one explicit
 * map (services/registry.ts); the gateway detects which one a request is for, the service's
 * codec and router turn it into an operation call.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../iam/policy/index.js';
import type { Operation, ProtocolCodec, RouteMatch } from '../protocols/types.js';
import type { AwsError } from '../shared/errors.js';

export interface InternalRoute {
  method: string;
  /** Path prefix under /_lambent/, e.g. `/_lambent/lambda/code/`. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> | void;
}

export interface Service {
  /** Our name for it, used in health output. */
  name: string;
  /** The service name in SigV4 credential scopes (`lambda`, `s3`, `logs`, ...). */
  signingName: string;
  codec: ProtocolCodec;
  /** Finds the operation: by method and path (rest protocols) or `X-Amz-Target` (json). */
  route(req: {
    method: string;
    rawPath: string;
    query: URLSearchParams;
    headers: IncomingHttpHeaders;
  }): RouteMatch | undefined;
  /**
   * For protocols that name the operation in the body (awsQuery's `Action`): called with the
   * body when `route` matched nothing; throws the protocol's error for a missing or unknown
   * action, or returns undefined when the request is not of that protocol either.
   */
  routeBody?(
    req: { method: string; rawPath: string; query: URLSearchParams; headers: IncomingHttpHeaders },
    body: Buffer,
  ): RouteMatch | undefined;
  /** The codec for errors raised before an operation is known, by the request's protocol. */
  codecFor?(headers: IncomingHttpHeaders): ProtocolCodec;
  /** Path prefixes that identify this service when a request carries no credential scope. */
  pathPrefixes: readonly string[];
  /**
   * Whether a Host header (lower case, without the port) names this service when a request
   * carries no credential scope (S3's virtual-hosted `<bucket>.s3.<anything>`).
   */
  claimsHost?(host: string): boolean;
  /** `X-Amz-Target` prefixes (before the '.') that identify this service (json protocols). */
  targetPrefixes?: readonly string[];
  /** AWS's error for a body over the operation's limit. */
  requestTooLarge(op: Operation | undefined, limit: number): AwsError;
  /**
   * AWS's throttling error, for a request the gateway cannot take now (too many bodies
   * pending authentication); ThrottlingException when absent.
   */
  throttled?(): AwsError;
  /** AWS's error for a method + path that names no operation. */
  unknownOperation(method: string, rawPath: string): AwsError;
  /** The service prefix of its IAM actions (`lambda`, `logs`, `cloudwatch`); default `signingName`. */
  iamPrefix?: string;
  /** AWS's error for a request IAM denies, with the message the authorizer wrote. */
  accessDenied(message: string): AwsError;
  /** The resource-based policy of a resource, for services that have them (Lambda function policies). */
  resourcePolicy?(arn: string): CompiledPolicy | undefined;
  internalRoutes?: readonly InternalRoute[];
  health(): Record<string, unknown>;
  close(): Promise<void>;
}
