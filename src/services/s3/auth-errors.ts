/**
 * The gateway authenticates every service's requests with one SigV4 implementation and raises the
 * errors most services share; S3 names them its own way (recorded in test_s3.snapshot.json and
 * S3's error reference). Applied by S3's codec to whatever the gateway raised before the operation ran.
 */
import {
  AwsError,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  SerializationException,
  UnrecognizedClientException,
  ValidationException,
} from '../../shared/errors.js';

export function inS3Words(error: AwsError): AwsError {
  if (error instanceof InvalidSignatureException) {
    if (/^Signature (expired|not yet current)/.test(error.message)) {
      return new AwsError(
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        403,
      );
    }
    return new AwsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      403,
    );
  }
  if (error instanceof UnrecognizedClientException) {
    return new AwsError(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      403,
    );
  }
  if (error instanceof MissingAuthenticationTokenException)
    return new AwsError('AccessDenied', 'Access Denied', 403);
  if (error.code === 'AccessDeniedException') return new AwsError('AccessDenied', error.message, 403);
  if (error instanceof ValidationException || error instanceof SerializationException) {
    return new AwsError('InvalidArgument', error.message, 400);
  }
  return error;
}
