/**
 * The answer to a request for a service Lambent does not serve, in the protocol the request
 * spoke, so that the client's own error parser reads it (the AWS CLI prints "Unable to parse
 * response ... invalid XML" when an S3, SNS or SQS client gets JSON):
 *
 * - `X-Amz-Target`: awsJson 1.0/1.1 (DynamoDB, Kinesis, newer SQS clients, ...);
 * - a form body (`application/x-www-form-urlencoded`): awsQuery's XML `ErrorResponse` (SNS, SQS, IAM, STS);
 * - a rest-json service's signing name: JSON with `x-amzn-ErrorType`;
 * - anything else: rest-xml, S3's `<Error>` document.
 *
 * The code is S3's `NotImplemented` (501): botocore does not retry it, and every client shows
 * its message.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createJsonCodec } from '../protocols/json/index.js';
import { createQueryCodec } from '../protocols/query/index.js';
import { buildXml } from '../protocols/query/xml.js';
import type { ResponseData } from '../protocols/types.js';
import { awsError } from '../shared/errors.js';

export class NotImplemented extends awsError('NotImplemented', 501) {}

/** Services whose APIs are rest-json: their errors are JSON even without `X-Amz-Target`. */
const REST_JSON = new Set(['apigateway', 'execute-api', 'scheduler', 'pipes', 'lambda', 'appsync']);

export function unknownServiceResponse(
  signingName: string | undefined,
  headers: IncomingHttpHeaders,
  requestId: string,
): ResponseData {
  const error = new NotImplemented(
    signingName
      ? `Lambent does not serve the ${signingName} service (yet)`
      : 'Lambent does not serve this request: no AWS service matches it',
  );
  const contentType = String(headers['content-type'] ?? '');
  if (typeof headers['x-amz-target'] === 'string') {
    return createJsonCodec(contentType.includes('1.1') ? '1.1' : '1.0').encodeError(error, requestId);
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return createQueryCodec({
      xmlNamespace: `https://${signingName ?? 'aws'}.amazonaws.com/doc/`,
    }).encodeError(error, requestId);
  }
  if (signingName && REST_JSON.has(signingName)) {
    const json = createJsonCodec('1.1').encodeError(error, requestId);
    return {
      ...json,
      headers: { ...json.headers, 'content-type': 'application/json', 'x-amzn-errortype': error.code },
    };
  }
  return {
    status: error.status,
    headers: {
      'x-amzn-requestid': requestId,
      'x-amz-request-id': requestId,
      'content-type': 'application/xml',
    },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${buildXml({
      Error: { Code: error.code, Message: error.message, RequestId: requestId },
    })}`,
  };
}
