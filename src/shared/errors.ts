/**
 * Typed AWS errors. Each class is named exactly as AWS names the error code, carries the
 * HTTP status and fault, and the modeled members of the error shape (`fields`) that the
 * protocol codec serialises into the body. Services throw these; protocols encode them.
 */

export type Fault = 'client' | 'server';

export class AwsError extends Error {
  /** The AWS error code, e.g. `ResourceNotFoundException`. */
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;
  /** Modeled members of the error shape besides the message, e.g. `{ Type: 'User' }`. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Body key that carries the message: AWS models differ (`message` vs `Message`). */
  readonly messageKey: 'message' | 'Message';
  /** Extra response headers, e.g. `x-amzn-errortype` overrides; rarely needed. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    message: string,
    status: number,
    options: {
      fault?: Fault;
      fields?: Record<string, unknown>;
      messageKey?: 'message' | 'Message';
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fault = options.fault ?? (status >= 500 ? 'server' : 'client');
    this.fields = options.fields ?? {};
    this.messageKey = options.messageKey ?? 'message';
    this.headers = options.headers ?? {};
  }
}

/**
 * The class of one AWS error code whose shape has nothing but a message: most of them. The
 * classes still carry AWS's names (`class X extends awsError('X', 400) {}`), so `instanceof`
 * and stack traces read as AWS's error types.
 */
export function awsError(code: string, status: number, defaultMessage?: string) {
  return class extends AwsError {
    constructor(message: string | undefined = defaultMessage) {
      super(code, message ?? '', status);
    }
  };
}

// Errors common to every AWS service (authentication, validation, throttling, internal).

export class ValidationException extends awsError('ValidationException', 400) {}

/** Builds AWS's "N validation error(s) detected: ..." message from constraint failures. */
export function validationMessage(failures: readonly string[]): string {
  const n = failures.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${failures.join('; ')}`;
}

export class UnrecognizedClientException extends awsError(
  'UnrecognizedClientException',
  403,
  'The security token included in the request is invalid.',
) {}

export class InvalidSignatureException extends awsError('InvalidSignatureException', 403) {}

export class MissingAuthenticationTokenException extends awsError(
  'MissingAuthenticationTokenException',
  403,
  'Missing Authentication Token',
) {}

export class IncompleteSignatureException extends awsError('IncompleteSignatureException', 403) {}

export class AccessDeniedException extends awsError('AccessDeniedException', 403) {}

export class UnknownOperationException extends awsError(
  'UnknownOperationException',
  400,
  'Unknown operation',
) {}

export class SerializationException extends awsError('SerializationException', 400) {}

/** The JSON services' common throttling error; the SDKs retry it with backoff. */
export class ThrottlingException extends awsError('ThrottlingException', 400, 'Rate exceeded') {}

/** Anything unexpected becomes AWS's 500 ServiceException; the cause is logged, not sent. */
export class ServiceException extends AwsError {
  constructor(message = 'An internal error occurred.') {
    super('ServiceException', message, 500, { fields: { Type: 'Service' }, messageKey: 'Message' });
  }
}
