/**
 * API Gateway v2's errors: the modeled ones (NotFound, BadRequest, Conflict, TooManyRequests),
 * each with a lower-case `message` member as the model names it.
 */
import { AwsError } from '../../shared/errors.js';

export class NotFoundException extends AwsError {
  constructor(message: string, resourceType?: string) {
    super('NotFoundException', message, 404, resourceType ? { fields: { resourceType } } : {});
  }
}

export class BadRequestException extends AwsError {
  constructor(message: string) {
    super('BadRequestException', message, 400);
  }
}

export class ConflictException extends AwsError {
  constructor(message: string) {
    super('ConflictException', message, 409);
  }
}

export class TooManyRequestsException extends AwsError {
  constructor(message = 'Too Many Requests') {
    super('TooManyRequestsException', message, 429);
  }
}

/** AWS's words for an unknown API id: `Invalid API identifier specified <account>:<id>`. */
export function apiNotFound(accountId: string, apiId: string): NotFoundException {
  return new NotFoundException(`Invalid API identifier specified ${accountId}:${apiId}`);
}
