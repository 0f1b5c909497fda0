/** What Lambda's operations share: the store, the blob store, limits and helpers. */
import type { AsyncQueue } from '../../invoke/async/queue.js';
import type { Invoker } from '../../invoke/invoker.js';
import type { RequestContext } from '../../protocols/types.js';
import type { Config } from '../../shared/config.js';
import type { AwsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Activator } from './activator.js';
import type { LambdaStore, Scope } from './store.js';

export interface LambdaDeps {
  store: LambdaStore;
  blobs: BlobStore;
  limits: Config['lambda'];
  activator: Activator;
  logger: Logger;
  /** A time-limited download URL for a stored code blob. */
  codeLocation(ctx: RequestContext, codeKey: string): string;
  invoker: Invoker;
  asyncQueue: AsyncQueue;
  /** AWS's RequestEntityTooLargeException for a payload over `limit`. */
  tooLarge(limit: number): AwsError;
  /** The access key a function's own AWS SDK uses to call this platform. */
  functionCredentials(accountId: string): { accessKeyId: string; secretAccessKey: string };
}

export function scopeOf(ctx: RequestContext): Scope {
  return { accountId: ctx.accountId, region: ctx.region };
}
