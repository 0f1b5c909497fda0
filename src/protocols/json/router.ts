/**
 * Finds a JSON-protocol operation by `X-Amz-Target: <Prefix>.<Operation>` on `POST /`.
 * A missing target, another prefix or an unknown operation name all match nothing; the
 * service then answers with `unknownOperationError()`, AWS's Coral UnknownOperationException.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { UnknownOperationException } from '../../shared/errors.js';
import type { Operation, RouteMatch } from '../types.js';
import { protocolError } from './codec.js';

/** The HTTP binding every JSON-protocol operation shares. */
export const JSON_HTTP_BINDING = { method: 'POST', path: '/', status: 200 } as const;

export class JsonTargetRouter {
  private readonly byName: ReadonlyMap<string, Operation>;

  constructor(
    /** The service's target prefixes, e.g. `['Logs_20140328']`; the first is the current one. */
    readonly prefixes: readonly string[],
    operations: readonly Operation[],
  ) {
    this.byName = new Map(operations.map((op) => [op.name, op]));
  }

  get size(): number {
    return this.byName.size;
  }

  match(method: string, rawPath: string, headers: IncomingHttpHeaders): RouteMatch | undefined {
    if (method !== 'POST' || (rawPath !== '/' && rawPath !== '')) return undefined;
    const target = headers['x-amz-target'];
    if (typeof target !== 'string') return undefined;
    const dot = target.lastIndexOf('.');
    if (dot <= 0 || !this.prefixes.includes(target.slice(0, dot))) return undefined;
    const op = this.byName.get(target.slice(dot + 1));
    return op && { op, labels: {} };
  }
}

/** AWS's answer to a target that names no operation (status 400, Coral type, no message). */
export function unknownOperationError(): UnknownOperationException {
  return protocolError(new UnknownOperationException());
}
