/** The AWS JSON protocol (awsJson1_0, awsJson1_1): codec and X-Amz-Target router. */
export { contentTypeOf, createJsonCodec, type JsonVersion, protocolError } from './codec.js';
export { JSON_HTTP_BINDING, JsonTargetRouter, unknownOperationError } from './router.js';
