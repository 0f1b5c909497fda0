/**
 * The AWS Query protocol (awsQuery: CloudWatch, SNS, SQS before JSON, IAM, STS, ...): a
 * request is a form — `POST /` with an `application/x-www-form-urlencoded` body, or a GET
 * with the same keys in the query string — naming the operation by `Action` (and the API
 * `Version`); the input is the rest of the form (see form.ts). The answer is XML:
 *
 *   <OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>
 *
 * (no `OpResult` for an operation without output) and errors are
 *
 *   <ErrorResponse xmlns="…"><Error><Type>Sender|Receiver</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>
 *
 * The error's `Code` is the model's query error code (`awsQueryError`, e.g.
 * `InvalidParameterValue` for the shape `InvalidParameterValueException`): services pass the
 * mapping as `errorCode`. Nothing here knows a particular service.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type AwsError, awsError } from '../../shared/errors.js';
import type { StructureShape } from '../../shared/shapes.js';
import type { Operation, ProtocolCodec, RequestView, ResponseData, RouteMatch } from '../types.js';
import { decodeForm, formView } from './form.js';
import { buildXml, toXmlNode } from './xml.js';

export interface QueryCodecOptions {
  /** The service's XML namespace, e.g. `http://monitoring.amazonaws.com/doc/2010-08-01/`. */
  xmlNamespace: string;
  /** The query error code of an error (default: its `code`). */
  errorCode?: (error: AwsError) => string;
}

const CONTENT_TYPE = 'text/xml';

/** The request's form: the body of a POST, the query string of a GET. */
export function queryParams(req: { method: string; query: URLSearchParams; body?: Buffer }): URLSearchParams {
  if (req.method === 'GET' || !req.body?.length) return req.query;
  const params = new URLSearchParams(req.body.toString('utf8'));
  // Keys may also come in the URL of a POST (some SDKs put Action/Version there).
  for (const [k, v] of req.query) if (!params.has(k)) params.append(k, v);
  return params;
}

/** Whether a request is a query-protocol form rather than another protocol's request. */
export function isQueryRequest(
  method: string,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): boolean {
  if (headers['x-amz-target'] !== undefined) return false;
  if (method === 'GET') return query.has('Action');
  const type = headers['content-type'] ?? '';
  return method === 'POST' && type.toLowerCase().startsWith('application/x-www-form-urlencoded');
}

export function createQueryCodec(options: QueryCodecOptions): ProtocolCodec {
  const codeOf = options.errorCode ?? ((e: AwsError) => e.code);

  function decode(op: Operation, req: RequestView): Record<string, unknown> {
    return decodeForm(op.input, formView(queryParams(req)));
  }

  function encode(op: Operation, output: Record<string, unknown>, requestId: string): ResponseData {
    const response: Record<string, unknown> = { '@_xmlns': options.xmlNamespace };
    const shape: StructureShape | undefined = op.outputShape;
    if (shape || Object.keys(output).length) {
      response[`${op.name}Result`] = toXmlNode(output, shape) ?? '';
    }
    response.ResponseMetadata = { RequestId: requestId };
    return xmlResponse(200, { [`${op.name}Response`]: response }, requestId);
  }

  function encodeError(error: AwsError, requestId: string): ResponseData {
    const tree = {
      ErrorResponse: {
        '@_xmlns': options.xmlNamespace,
        Error: {
          Type: error.fault === 'server' ? 'Receiver' : 'Sender',
          Code: codeOf(error),
          ...(error.message ? { Message: error.message } : {}),
        },
        RequestId: requestId,
      },
    };
    const data = xmlResponse(error.status, tree, requestId);
    Object.assign(data.headers, error.headers);
    return data;
  }

  return { decode, encode, encodeError };
}

function xmlResponse(status: number, tree: Record<string, unknown>, requestId: string): ResponseData {
  return {
    status,
    headers: { 'x-amzn-requestid': requestId, 'content-type': CONTENT_TYPE },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${buildXml(tree)}`,
  };
}

export class MissingAction extends awsError(
  'MissingAction',
  400,
  'The request is missing an action or a required parameter.',
) {}

export class InvalidAction extends awsError('InvalidAction', 400) {}

/** Finds a query operation by the form's `Action`. */
export class QueryActionRouter {
  private readonly byName: ReadonlyMap<string, Operation>;

  constructor(
    /** The API version, for AWS's message about an unknown action. */
    readonly version: string,
    operations: readonly Operation[],
  ) {
    this.byName = new Map(operations.map((op) => [op.name, op]));
  }

  get size(): number {
    return this.byName.size;
  }

  /** The operation, or AWS's MissingAction / InvalidAction error. */
  match(req: { method: string; query: URLSearchParams; body: Buffer }): RouteMatch {
    const action = queryParams(req).get('Action');
    if (!action) throw new MissingAction();
    const op = this.byName.get(action);
    if (!op) throw new InvalidAction(`Could not find operation ${action} for version ${this.version}`);
    return { op, labels: {} };
  }
}

/**
 * A JSON codec of an `awsQueryCompatible` service (CloudWatch, SQS): errors also carry
 * `x-amzn-query-error: <query code>;<Sender|Receiver>`, from which the SDKs take the error's
 * name and type.
 */
export function queryCompatible(json: ProtocolCodec, errorCode: (error: AwsError) => string): ProtocolCodec {
  return {
    ...json,
    encodeError(error, requestId) {
      const data = json.encodeError(error, requestId);
      const type = error.fault === 'server' ? 'Receiver' : 'Sender';
      data.headers['x-amzn-query-error'] = `${errorCode(error)};${type}`;
      return data;
    },
  };
}
