/** Declares an S3 operation from the generated model: HTTP binding, input and output shapes, payloads. */
import type { Operation, OperationAuthz, RequestContext } from '../../../protocols/types.js';
import { OPERATIONS, type OperationName } from '../shapes.generated.js';

export type Input = Record<string, unknown>;

/** The output member that carries a status other than the operation's (206, 304). */
export const STATUS = 'StatusCode';

export function operation(
  name: OperationName,
  authz: OperationAuthz,
  handler: (input: Input, ctx: RequestContext) => Promise<object | undefined> | object | undefined,
  extra: Partial<Pick<Operation, 'streamingInput' | 'maxRequestBytes'>> = {},
): Operation {
  const model = OPERATIONS[name];
  const inputPayload = 'inputPayload' in model ? model.inputPayload : undefined;
  const outputPayload = 'outputPayload' in model ? model.outputPayload : undefined;
  return {
    name,
    http: { method: model.http.method, path: model.http.path, status: model.http.status },
    input: model.input,
    outputShape: model.output,
    output: { statusCode: STATUS, ...(outputPayload ? { payload: outputPayload } : {}) },
    ...(inputPayload ? { inputPayload } : {}),
    authz,
    ...extra,
    handler: async (input, ctx) => ((await handler(input, ctx)) ?? {}) as Record<string, unknown>,
  };
}

export const str = (input: Input, key: string): string | undefined =>
  typeof input[key] === 'string' ? (input[key] as string) : undefined;

export const num = (input: Input, key: string): number | undefined =>
  typeof input[key] === 'number' ? (input[key] as number) : undefined;

/** The bucket every bucket and object operation names (routing guarantees it). */
export const bucketOf = (input: Input): string => String(input.Bucket);
export const keyOf = (input: Input): string => String(input.Key);

export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
