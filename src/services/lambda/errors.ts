/**
 * Lambda's typed errors, one class per AWS error code.
 *
 * Status, fault and body members follow AWS's Lambda model (the error shapes in
 * `@aws-sdk/client-lambda` / botocore's `lambda/2015-03-31`): most carry `Type: 'User'`, and
 * the model itself is inconsistent about the message key (`message` vs `Message`), which the
 * SDKs read as a modeled member, so each class pins the key its shape declares.
 *
 * Real AWS sometimes leaves `Type` out of an error whose shape declares it (recorded: some
 * InvalidParameterValueException and the code-signing ResourceNotFoundException), hence the
 * `{ type: null }` option.
 */
import { AwsError } from '../../shared/errors.js';

export { ServiceException, ValidationException, validationMessage } from '../../shared/errors.js';

export interface LambdaErrorOptions {
  /** The `Type` body member; `null` omits it (as AWS does for a few messages). */
  type?: string | null;
}

type MessageKey = 'message' | 'Message';

/**
 * Builds the base class of a modeled Lambda error. A factory rather than 50 hand-written
 * constructors: the shapes differ only in code, status and message key.
 */
function lambdaError(
  code: string,
  status: number,
  messageKey: MessageKey,
  defaultType: string | null = 'User',
) {
  return class extends AwsError {
    constructor(message: string, options: LambdaErrorOptions = {}) {
      const type = options.type === undefined ? defaultType : options.type;
      super(code, message, status, { fields: type === null ? {} : { Type: type }, messageKey });
    }
  };
}

// The ones Lambent raises today.
export class ResourceNotFoundException extends lambdaError('ResourceNotFoundException', 404, 'Message') {}
export class InvalidParameterValueException extends lambdaError(
  'InvalidParameterValueException',
  400,
  'message',
) {}
export class ResourceConflictException extends lambdaError('ResourceConflictException', 409, 'message') {}
export class PreconditionFailedException extends lambdaError('PreconditionFailedException', 412, 'message') {}
export class ResourceInUseException extends lambdaError('ResourceInUseException', 400, 'Message') {}
export class PolicyLengthExceededException extends lambdaError(
  'PolicyLengthExceededException',
  400,
  'message',
) {}
export class CodeStorageExceededException extends lambdaError(
  'CodeStorageExceededException',
  400,
  'message',
) {}
export class ProvisionedConcurrencyConfigNotFoundException extends lambdaError(
  'ProvisionedConcurrencyConfigNotFoundException',
  404,
  'message',
) {}
export class InvalidRequestContentException extends lambdaError(
  'InvalidRequestContentException',
  400,
  'message',
) {}
export class UnsupportedMediaTypeException extends lambdaError(
  'UnsupportedMediaTypeException',
  415,
  'message',
) {}
export class CodeSigningConfigNotFoundException extends lambdaError(
  'CodeSigningConfigNotFoundException',
  404,
  'Message',
) {}
export class CodeVerificationFailedException extends lambdaError(
  'CodeVerificationFailedException',
  400,
  'Message',
) {}
export class InvalidCodeSignatureException extends lambdaError(
  'InvalidCodeSignatureException',
  400,
  'Message',
) {}
export class RecursiveInvocationException extends lambdaError(
  'RecursiveInvocationException',
  400,
  'Message',
) {}
export class SnapStartException extends lambdaError('SnapStartException', 400, 'Message') {}
export class SnapStartNotReadyException extends lambdaError('SnapStartNotReadyException', 409, 'Message') {}
export class SnapStartTimeoutException extends lambdaError('SnapStartTimeoutException', 408, 'Message') {}

// Invoke-time failures of an execution environment (all 502 "server" faults in the model).
export class ResourceNotReadyException extends lambdaError('ResourceNotReadyException', 502, 'message') {}
export class InvalidRuntimeException extends lambdaError('InvalidRuntimeException', 502, 'Message') {}
export class InvalidZipFileException extends lambdaError('InvalidZipFileException', 502, 'Message') {}
export class EC2AccessDeniedException extends lambdaError('EC2AccessDeniedException', 502, 'Message') {}
export class EC2ThrottledException extends lambdaError('EC2ThrottledException', 502, 'Message') {}
export class EC2UnexpectedException extends lambdaError('EC2UnexpectedException', 502, 'Message') {}
export class ENILimitReachedException extends lambdaError('ENILimitReachedException', 502, 'Message') {}
export class InvalidSecurityGroupIDException extends lambdaError(
  'InvalidSecurityGroupIDException',
  502,
  'Message',
) {}
export class InvalidSubnetIDException extends lambdaError('InvalidSubnetIDException', 502, 'Message') {}
export class SubnetIPAddressLimitReachedException extends lambdaError(
  'SubnetIPAddressLimitReachedException',
  502,
  'Message',
) {}
export class KMSAccessDeniedException extends lambdaError('KMSAccessDeniedException', 502, 'Message') {}
export class KMSDisabledException extends lambdaError('KMSDisabledException', 502, 'Message') {}
export class KMSInvalidStateException extends lambdaError('KMSInvalidStateException', 502, 'Message') {}
export class KMSNotFoundException extends lambdaError('KMSNotFoundException', 502, 'Message') {}
export class EFSIOException extends lambdaError('EFSIOException', 410, 'Message') {}
export class EFSMountConnectivityException extends lambdaError(
  'EFSMountConnectivityException',
  408,
  'Message',
) {}
export class EFSMountFailureException extends lambdaError('EFSMountFailureException', 403, 'Message') {}
export class EFSMountTimeoutException extends lambdaError('EFSMountTimeoutException', 408, 'Message') {}

/**
 * 413 for an oversized request or zip. AWS sends the code `RequestEntityTooLargeException`
 * (the model calls the shape RequestTooLargeException) and no `Type` (recorded).
 */
export class RequestEntityTooLargeException extends lambdaError(
  'RequestEntityTooLargeException',
  413,
  'message',
  null,
) {}

/** 429 throttle. `Reason` e.g. `ReservedFunctionConcurrentInvocationLimitExceeded`; Retry-After is a header. */
export class TooManyRequestsException extends AwsError {
  constructor(message = 'Rate Exceeded.', reason?: string, retryAfterSeconds?: number) {
    super('TooManyRequestsException', message, 429, {
      fields: reason === undefined ? { Type: 'User' } : { Type: 'User', Reason: reason },
      messageKey: 'message',
      headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/**
 * 403 for a function ARN of another account. Not in Lambda's model; AWS answers with a body of
 * `{"Message": null}` (boto3 shows `Message: None`, the Java SDK prints "AccessDeniedExceptionnull").
 * The null travels in `fields`, so a codec that writes fields after the message reproduces it.
 */
export class AccessDeniedException extends AwsError {
  constructor(message: string | null = null) {
    super('AccessDeniedException', message ?? '', 403, {
      fields: message === null ? { Message: null } : {},
      messageKey: 'Message',
    });
  }
}
