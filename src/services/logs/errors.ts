/**
 * CloudWatch Logs' typed errors. The model's error shapes have no members besides the
 * message, which AWS sends as `message`; all are 400 except ServiceUnavailableException.
 * Messages here are the ones the real service sends (recorded in docs/parity/logs.md).
 */
import { AwsError, awsError } from '../../shared/errors.js';

export class ResourceNotFoundException extends awsError('ResourceNotFoundException', 400) {}

export class ResourceAlreadyExistsException extends awsError('ResourceAlreadyExistsException', 400) {}

export class InvalidParameterException extends awsError('InvalidParameterException', 400) {}

export class LimitExceededException extends awsError('LimitExceededException', 400) {}

export class TooManyTagsException extends AwsError {
  constructor(message: string, resourceName: string) {
    super('TooManyTagsException', message, 400, { fields: { resourceName } });
  }
}

export class ServiceUnavailableException extends awsError(
  'ServiceUnavailableException',
  500,
  'The service cannot complete the request.',
) {}

/**
 * Logs reports some argument conflicts as a plain `ValidationException` (recorded for
 * DescribeLogStreams with both logGroupName and logGroupIdentifier). Not the shared class:
 * that one is the shape validator's, which Logs re-labels InvalidParameterException.
 */
export class LogsValidationException extends awsError('ValidationException', 400) {}

export const groupNotFound = () => new ResourceNotFoundException('The specified log group does not exist.');
export const streamNotFound = () => new ResourceNotFoundException('The specified log stream does not exist.');
export const invalidNextToken = () => new InvalidParameterException('The specified nextToken is invalid.');
