/** Declares an operation from the generated model: its HTTP binding and input shape come from botocore's. */
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { OPERATIONS, type OperationName } from '../shapes.generated.js';

export type Input = Record<string, unknown>;

export function operation(
  name: OperationName,
  handler: (input: Input, ctx: RequestContext) => object | undefined,
): Operation {
  const model = OPERATIONS[name];
  return {
    name,
    http: { method: model.http.method, path: model.http.path, status: model.http.status },
    input: model.input,
    handler: (input, ctx) => (handler(input, ctx) ?? {}) as Record<string, unknown>,
  };
}

export const str = (input: Input, key: string): string | undefined =>
  typeof input[key] === 'string' ? (input[key] as string) : undefined;

/** A URI label the model requires (validated before the handler runs). */
export const label = (input: Input, key: string): string => String(input[key]);

export interface PatchOperation {
  op?: string;
  path?: string;
  value?: string;
  from?: string;
}

export const patchOperations = (input: Input): PatchOperation[] =>
  Array.isArray(input.patchOperations) ? (input.patchOperations as PatchOperation[]) : [];

/** JSON-pointer unescaping of one patch path segment (`~1` is `/`, `~0` is `~`). */
export const unescapePointer = (segment: string): string => segment.replace(/~1/g, '/').replace(/~0/g, '~');
