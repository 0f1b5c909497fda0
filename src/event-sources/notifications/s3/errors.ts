/**
 * The errors PutBucketNotificationConfiguration answers for a configuration it refuses. S3 puts
 * the offending argument in `ArgumentName`/`ArgumentValue` for checks of the request itself, and
 * numbered `ArgumentName1..N`/`ArgumentValue1..N` for destinations it could not validate
 * (recorded: test_invalid_sqs_arn, test_multiple_invalid_sqs_arns, test_invalid_lambda_arn).
 */
import { AwsError } from '../../../shared/errors.js';

export class InvalidArgument extends AwsError {
  constructor(message: string, fields: Record<string, string>) {
    super('InvalidArgument', message, 400, { fields, messageKey: 'Message' });
  }
}

export class MalformedXML extends AwsError {
  constructor() {
    super(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
      { messageKey: 'Message' },
    );
  }
}

export const ARN_NOT_PARSED = 'The ARN could not be parsed';
export const UNABLE_TO_VALIDATE = 'Unable to validate the following destination configurations';
export const FILTER_RULE_NAME = 'filter rule name must be either prefix or suffix';
/** Unrecorded; AWS's wording as S3-compatible servers and users report it. */
export const MORE_THAN_ONE_PREFIX = 'Cannot specify more than one prefix rule in a filter.';
export const MORE_THAN_ONE_SUFFIX = 'Cannot specify more than one suffix rule in a filter.';
export const FILTER_VALUE_TOO_LONG =
  'Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation';
export const CONFIGURATIONS_OVERLAP =
  'Configurations overlap. Configurations on the same bucket cannot share a common event type.';
export const AMBIGUOUS_FILTERS =
  'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.';
export const EVENT_NOT_SUPPORTED = 'The event is not supported for notifications';

/** One destination that failed validation: its `ArgumentNameN` and `ArgumentValueN`. */
export interface DestinationFailure {
  name: string;
  value: string;
}

export function unableToValidate(failures: readonly DestinationFailure[]): InvalidArgument {
  const fields: Record<string, string> = {};
  failures.forEach((f, i) => {
    fields[`ArgumentName${i + 1}`] = f.name;
    fields[`ArgumentValue${i + 1}`] = f.value;
  });
  return new InvalidArgument(UNABLE_TO_VALIDATE, fields);
}
