/** The AWS Query protocol (awsQuery): form-encoded requests, XML responses and errors. */
export {
  createQueryCodec,
  InvalidAction,
  isQueryRequest,
  MissingAction,
  QueryActionRouter,
  type QueryCodecOptions,
  queryCompatible,
  queryParams,
} from './codec.js';
export { decodeForm, formView, InvalidParameterValue } from './form.js';
export { isoTimestamp } from './xml.js';
