/**
 * S3's errors, with the codes, statuses, messages and extra elements AWS sends (from the
 * recordings in test/conformance/aws-recorded/test_s3*.snapshot.json). The rest-xml codec
 * writes `fields` as elements of `<Error>`.
 */
import { AwsError } from '../../shared/errors.js';

const s3Error = (code: string, status: number, message: string, fields: Record<string, unknown> = {}) =>
  new AwsError(code, message, status, { fields });

export const noSuchBucket = (bucket: string) =>
  s3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });

export const noSuchKey = (key: string) =>
  s3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });

export const invalidBucketName = (bucket: string) =>
  s3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });

export const bucketAlreadyOwnedByYou = (bucket: string) =>
  s3Error(
    'BucketAlreadyOwnedByYou',
    409,
    'Your previous request to create the named bucket succeeded and you already own it.',
    { BucketName: bucket },
  );

export const bucketAlreadyExists = (bucket: string) =>
  s3Error(
    'BucketAlreadyExists',
    409,
    'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
    { BucketName: bucket },
  );

export const bucketNotEmpty = (bucket: string) =>
  s3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket });

export const keyTooLong = (size: number) =>
  s3Error('KeyTooLongError', 400, 'Your key is too long', { Size: size, MaxSizeAllowed: 1024 });

export const malformedXml = () =>
  s3Error(
    'MalformedXML',
    400,
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

export const illegalLocationConstraint = (constraint: string | undefined) =>
  s3Error(
    'IllegalLocationConstraintException',
    400,
    `The ${constraint ?? 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`,
  );

export const invalidLocationConstraint = (constraint: string) =>
  s3Error('InvalidLocationConstraint', 400, 'The specified location-constraint is not valid', {
    LocationConstraint: constraint,
  });

export const invalidDigest = (contentMd5: string) =>
  s3Error('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.', { 'Content-MD5': contentMd5 });

export const badDigest = (expected: string, calculated: string) =>
  s3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.', {
    ExpectedDigest: expected,
    CalculatedDigest: calculated,
  });

export const contentSha256Mismatch = (client: string, computed: string) =>
  s3Error(
    'XAmzContentSHA256Mismatch',
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
    { ClientComputedContentSHA256: client, S3ComputedContentSHA256: computed },
  );

export const incompleteBody = () =>
  s3Error(
    'IncompleteBody',
    400,
    'You did not provide the number of bytes specified by the Content-Length HTTP header',
  );

export const entityTooLarge = (proposed: number | undefined, max: number) =>
  s3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
    ...(proposed !== undefined ? { ProposedSize: proposed } : {}),
    MaxSizeAllowed: max,
  });

export const invalidRange = (requested: string, size: number) =>
  s3Error('InvalidRange', 416, 'The requested range is not satisfiable', {
    RangeRequested: requested,
    ActualObjectSize: size,
  });

export const preconditionFailed = (condition: string) =>
  s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });

export const invalidRequest = (message: string) => s3Error('InvalidRequest', 400, message);

export const invalidArgument = (message: string, name: string, value: string) =>
  s3Error('InvalidArgument', 400, message, { ArgumentName: name, ArgumentValue: value });

export const notImplemented = (message: string) => s3Error('NotImplemented', 501, message);

export const accessDenied = (message: string) => s3Error('AccessDenied', 403, message);

export const slowDown = () => s3Error('SlowDown', 503, 'Please reduce your request rate.');
