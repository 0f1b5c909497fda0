/**
 * IAM's errors, named by their query codes (what the wire carries), with the model's HTTP
 * statuses. `queryErrorCode` maps the platform's shared errors (validation, authentication)
 * to the codes AWS's query services use for them.
 */
import { type AwsError, awsError, ServiceException } from '../../shared/errors.js';

export class NoSuchEntity extends awsError('NoSuchEntity', 404) {}
export class EntityAlreadyExists extends awsError('EntityAlreadyExists', 409) {}
export class LimitExceeded extends awsError('LimitExceeded', 409) {}
export class DeleteConflict extends awsError('DeleteConflict', 409) {}
export class InvalidInput extends awsError('InvalidInput', 400) {}
export class ValidationError extends awsError('ValidationError', 400) {}
export class RequestEntityTooLarge extends awsError('RequestEntityTooLarge', 413) {}
export class AccessDenied extends awsError('AccessDenied', 403) {}
export class ServiceFailure extends awsError(
  'ServiceFailure',
  500,
  'The request processing has failed because of an unknown error, exception or failure.',
) {}

/** The platform's error names → the codes of AWS's query services (IAM, STS). */
const QUERY_CODES: Readonly<Record<string, string>> = {
  ValidationException: 'ValidationError',
  UnrecognizedClientException: 'InvalidClientTokenId',
  ExpiredTokenException: 'ExpiredToken',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  IncompleteSignatureException: 'IncompleteSignature',
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  AccessDeniedException: 'AccessDenied',
  SerializationException: 'MalformedQueryString',
};

export function queryErrorCode(error: AwsError): string {
  return QUERY_CODES[error.code] ?? error.code;
}

/** The gateway's internal error in IAM's words. */
export function relabel(error: AwsError): AwsError {
  return error instanceof ServiceException ? new ServiceFailure() : error;
}

export const noSuchUser = (name: string) => new NoSuchEntity(`The user with name ${name} cannot be found.`);
export const noSuchRole = (name: string) => new NoSuchEntity(`The role with name ${name} cannot be found.`);
export const noSuchPolicy = (arn: string) => new NoSuchEntity(`Policy ${arn} was not found.`);
export const notAttachable = (arn: string) =>
  new NoSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
