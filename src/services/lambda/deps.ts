/** What Lambda's operations share: the store, the blob store, limits and helpers. */

import type { AsyncQueue } from '../../invoke/async/queue.js';
import type { Invoker } from '../../invoke/invoker.js';
import type { RequestContext } from '../../protocols/types.js';
import type { Config } from '../../shared/config.js';
import type { AwsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Activator } from './activator.js';
import type { CodeObjects } from './code-from-s3.js';
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
  /**
   * Refuses a caller without iam:PassRole on the role (AccessDeniedException), and with IAM
   * enforced a role that does not exist or does not trust lambda.amazonaws.com, in AWS's
   * words; otherwise accepts any well-formed role.
   */
  checkExecutionRole(role: string, ctx: RequestContext): void;
  /** Code packages named by S3 location; absent: no bucket exists. */
  codeObjects?: CodeObjects;
}

export function scopeOf(ctx: RequestContext): Scope {
  return { accountId: ctx.accountId, region: ctx.region };
}
