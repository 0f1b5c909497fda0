/**
 * Input shapes of the CloudWatch Logs operations (model `logs/2014-03-28`), in the shared
 * shape language so the gateway validates them with AWS's messages. Log group and stream
 * names carry no `max` here: AWS answers an over-long name with its own sentence, checked by
 * the operations (see `checkNameLengths`).
 */
import type { Member, Shape } from '../../shared/shapes.js';

export const logGroupName = {
  type: 'string',
  min: 1,
  pattern: '[\\.\\-_/#A-Za-z0-9]+',
} as const satisfies Shape;
export const logStreamName = { type: 'string', min: 1, pattern: '[^:*]*' } as const satisfies Shape;
export const logGroupNamePattern = {
  type: 'string',
  min: 0,
  max: 512,
  pattern: '[\\.\\-_/#A-Za-z0-9]*',
} as const satisfies Shape;
export const logGroupIdentifier = {
  type: 'string',
  min: 1,
  max: 2048,
  pattern: '[\\w#+=/:,.@-]*',
} as const satisfies Shape;
/** Epoch milliseconds (`long`, min 0). */
export const timestamp = { type: 'integer', min: 0 } as const satisfies Shape;
export const nextToken = { type: 'string', min: 1 } as const satisfies Shape;
export const describeLimit = { type: 'integer', min: 1, max: 50 } as const satisfies Shape;
export const eventsLimit = { type: 'integer', min: 1, max: 10000 } as const satisfies Shape;
export const sequenceToken = { type: 'string', min: 1 } as const satisfies Shape;
export const retentionInDays = { type: 'integer' } as const satisfies Shape;
export const logGroupClass = {
  type: 'string',
  enum: ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'],
} as const satisfies Shape;
export const kmsKeyId = { type: 'string', max: 256 } as const satisfies Shape;
export const filterPattern = { type: 'string', min: 0, max: 1024 } as const satisfies Shape;
export const arn = { type: 'string', min: 1, max: 1011, pattern: '[\\w+=/:,.@-]*' } as const satisfies Shape;

const tagKey = {
  type: 'string',
  min: 1,
  max: 128,
  pattern: '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$',
} as const satisfies Shape;
const tagValue = {
  type: 'string',
  max: 256,
  pattern: '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$',
} as const satisfies Shape;
export const tags = { type: 'map', key: tagKey, value: tagValue, min: 1, max: 50 } as const satisfies Shape;
export const tagKeyList = { type: 'list', member: tagKey, min: 0, max: 50 } as const satisfies Shape;
export const tagList = { type: 'list', member: tagKey, min: 1 } as const satisfies Shape;

export const inputLogEvents: Member = {
  type: 'list',
  min: 1,
  max: 10000,
  member: {
    type: 'structure',
    members: {
      timestamp: { ...timestamp, required: true },
      message: { type: 'string', min: 1, required: true },
    },
  },
};

export const inputLogStreamNames = {
  type: 'list',
  member: logStreamName,
  min: 1,
  max: 100,
} as const satisfies Shape;
export const logGroupIdentifiers = {
  type: 'list',
  member: logGroupIdentifier,
  min: 1,
  max: 50,
} as const satisfies Shape;
export const accountIds = {
  type: 'list',
  member: { type: 'string', min: 12, max: 12, pattern: '^\\d{12}$' },
  min: 0,
  max: 20,
} as const satisfies Shape;
/** `entity` of PutLogEvents: accepted and ignored. */
export const entity = { type: 'any' } as const satisfies Shape;
