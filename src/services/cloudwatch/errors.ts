/**
 * CloudWatch's typed errors. Classes carry the model's shape names (what the JSON protocol
 * sends as `__type`); the query protocol and the JSON `x-amzn-query-error` header use the
 * model's query codes (`awsQueryError`), mapped by `queryErrorCode`.
 */
import { type AwsError, awsError, ServiceException } from '../../shared/errors.js';

export class InvalidParameterValueException extends awsError('InvalidParameterValueException', 400) {}
export class MissingRequiredParameterException extends awsError('MissingRequiredParameterException', 400) {}
export class InvalidParameterCombinationException extends awsError(
  'InvalidParameterCombinationException',
  400,
) {}
export class InvalidNextToken extends awsError('InvalidNextToken', 400) {}
export class InternalServiceFault extends awsError('InternalServiceFault', 500, 'Internal service error.') {}
export class RequestEntityTooLarge extends awsError('RequestEntityTooLarge', 413) {}

/** Model shape name → query error code, for the shapes whose two names differ. */
const QUERY_CODES: Readonly<Record<string, string>> = {
  InvalidParameterValueException: 'InvalidParameterValue',
  MissingRequiredParameterException: 'MissingParameter',
  InvalidParameterCombinationException: 'InvalidParameterCombination',
  InternalServiceFault: 'InternalServiceError',
  LimitExceededFault: 'LimitExceeded',
  ResourceNotFound: 'ResourceNotFound',
  // The constraint validator's failures: query services name them ValidationError.
  ValidationException: 'ValidationError',
};

export function queryErrorCode(error: AwsError): string {
  return QUERY_CODES[error.code] ?? error.code;
}

/** The gateway's internal error, as CloudWatch names it (the model's server fault). */
export function relabel(error: AwsError): AwsError {
  return error instanceof ServiceException ? new InternalServiceFault() : error;
}

export const missing = (name: string) =>
  new MissingRequiredParameterException(`The parameter ${name} is required.`);
export const invalid = (message: string) => new InvalidParameterValueException(message);
export const combination = (message: string) => new InvalidParameterCombinationException(message);
