/**
 * CloudWatch Logs' typed errors. The model's error shapes have no members besides the
 * message, which AWS sends as `message`; all are 400 except ServiceUnavailableException.
 * Messages here are the ones the real service sends (recorded in docs/parity/logs.md).
 */
import { AwsError } from '../../shared/errors.js';

export class ResourceNotFoundException extends AwsError {
  constructor(message: string) {
    super('ResourceNotFoundException', message, 400);
  }
}

export class ResourceAlreadyExistsException extends AwsError {
  constructor(message: string) {
    super('ResourceAlreadyExistsException', message, 400);
  }
}

export class InvalidParameterException extends AwsError {
  constructor(message: string) {
    super('InvalidParameterException', message, 400);
  }
}

export class LimitExceededException extends AwsError {
  constructor(message: string) {
    super('LimitExceededException', message, 400);
  }
}

export class TooManyTagsException extends AwsError {
  constructor(message: string, resourceName: string) {
    super('TooManyTagsException', message, 400, { fields: { resourceName } });
  }
}

export class ServiceUnavailableException extends AwsError {
  constructor(message = 'The service cannot complete the request.') {
    super('ServiceUnavailableException', message, 500);
  }
}

/**
 * Logs reports some argument conflicts as a plain `ValidationException` (recorded for
 * DescribeLogStreams with both logGroupName and logGroupIdentifier). Not the shared class:
 * that one is the shape validator's, which Logs re-labels InvalidParameterException.
 */
export class LogsValidationException extends AwsError {
  constructor(message: string) {
    super('ValidationException', message, 400);
  }
}

export const groupNotFound = () => new ResourceNotFoundException('The specified log group does not exist.');
export const streamNotFound = () => new ResourceNotFoundException('The specified log stream does not exist.');
export const invalidNextToken = () => new InvalidParameterException('The specified nextToken is invalid.');
