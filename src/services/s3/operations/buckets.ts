/** CreateBucket, HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation. */
import { createHash } from 'node:crypto';
import type { Operation, RequestContext } from '../../../protocols/types.js';
import { isValidBucketName } from '../bucket-names.js';
import type { S3Deps } from '../deps.js';
import {
  bucketAlreadyExists,
  bucketAlreadyOwnedByYou,
  bucketNotEmpty,
  illegalLocationConstraint,
  invalidBucketName,
  invalidLocationConstraint,
  noSuchBucket,
} from '../errors.js';
import type { BucketRow } from '../store.js';
import { bucketArn, bucketOf, type Input, operation } from './define.js';

/** The canonical user id S3 shows as an owner: 64 hex characters, stable per account. */
export function canonicalUserId(accountId: string): string {
  return createHash('sha256').update(`lambent-canonical-user:${accountId}`).digest('hex');
}

/** A bucket the caller's account can use, or NoSuchBucket (another account's bucket reads as absent). */
export function requireBucket(deps: S3Deps, name: string, ctx: RequestContext): BucketRow {
  const bucket = deps.store.getBucket(name);
  if (!bucket || bucket.accountId !== ctx.accountId) throw noSuchBucket(name);
  return bucket;
}

const onBucket = (action: string) => ({
  action,
  resources: (input: Input) => [bucketArn(bucketOf(input))],
});

export function bucketOperations(deps: S3Deps): Operation[] {
  return [
    operation('CreateBucket', onBucket('s3:CreateBucket'), (input, ctx) => {
      const name = bucketOf(input);
      if (!isValidBucketName(name)) throw invalidBucketName(name);
      const config = input.CreateBucketConfiguration as { LocationConstraint?: string } | undefined;
      const constraint = config?.LocationConstraint;
      // us-east-1 takes no constraint (naming it is invalid); every other region must be named.
      if (ctx.region === 'us-east-1') {
        if (constraint !== undefined && constraint !== '') {
          throw constraint === 'us-east-1' ||
            constraint === 'aws-global' ||
            !/^[a-z]{2}(-[a-z]+)+-\d$/.test(constraint)
            ? invalidLocationConstraint(constraint)
            : illegalLocationConstraint(constraint);
        }
      } else if (constraint === undefined || constraint === '') {
        throw illegalLocationConstraint(undefined);
      } else if (constraint !== ctx.region) {
        throw illegalLocationConstraint(constraint);
      }
      const existing = deps.store.getBucket(name);
      if (existing) {
        // AWS answers 200 again in us-east-1 for the owner's own bucket (legacy behaviour).
        if (existing.accountId !== ctx.accountId) throw bucketAlreadyExists(name);
        if (ctx.region === 'us-east-1' && existing.region === 'us-east-1') return { Location: `/${name}` };
        throw bucketAlreadyOwnedByYou(name);
      }
      deps.store.createBucket({
        name,
        accountId: ctx.accountId,
        region: ctx.region,
        createdAt: deps.clock(),
      });
      return { Location: `/${name}` };
    }),
    operation('HeadBucket', onBucket('s3:ListBucket'), (input, ctx) => {
      const bucket = requireBucket(deps, bucketOf(input), ctx);
      return { BucketRegion: bucket.region, AccessPointAlias: false };
    }),
    operation('DeleteBucket', onBucket('s3:DeleteBucket'), (input, ctx) => {
      const name = bucketOf(input);
      requireBucket(deps, name, ctx);
      if (!deps.store.deleteBucket(name)) throw bucketNotEmpty(name);
      return {};
    }),
    operation('ListBuckets', { action: 's3:ListAllMyBuckets', resources: () => ['*'] }, (_input, ctx) => ({
      Buckets: deps.store.listBuckets(ctx.accountId).map((b) => ({
        Name: b.name,
        CreationDate: new Date(b.createdAt),
        BucketRegion: b.region,
      })),
      Owner: { DisplayName: 'webfile', ID: canonicalUserId(ctx.accountId) },
    })),
    operation('GetBucketLocation', onBucket('s3:GetBucketLocation'), (input, ctx) => {
      const bucket = requireBucket(deps, bucketOf(input), ctx);
      // Buckets in us-east-1 have no location constraint: an empty element.
      return bucket.region === 'us-east-1' ? {} : { LocationConstraint: bucket.region };
    }),
  ];
}
