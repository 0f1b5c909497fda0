/**
 * API Gateway's typed errors (botocore apigateway 2015-07-09): every error shape has one member,
 * `message`, sent as `{"message": "..."}` with the code in `x-amzn-ErrorType`.
 */
import { awsError } from '../../shared/errors.js';

export class BadRequestException extends awsError('BadRequestException', 400) {}
export class ConflictException extends awsError('ConflictException', 409) {}
export class NotFoundException extends awsError('NotFoundException', 404) {}
export class LimitExceededException extends awsError('LimitExceededException', 429) {}
export class TooManyRequestsException extends awsError(
  'TooManyRequestsException',
  429,
  'Too Many Requests',
) {}
export class UnauthorizedException extends awsError('UnauthorizedException', 401) {}
export class ServiceUnavailableException extends awsError('ServiceUnavailableException', 503) {}

/** AWS's message for an API id that names none of the caller's APIs. */
export function invalidApiId(accountId: string, id: string): NotFoundException {
  return new NotFoundException(`Invalid API identifier specified ${accountId}:${id}`);
}
