/**
 * PutIntegration's checks of `uri`, with AWS's messages (recorded:
 * test_apigateway_lambda::test_put_integration_aws_proxy_uri).
 */
import { BadRequestException } from '../errors.js';

/** `arn:aws:apigateway:<region>:<service>:<path|action>/...`. */
const APIGATEWAY_ARN = /^arn:aws[a-z-]*:apigateway:([a-z0-9-]*):([a-zA-Z0-9-.]+):(.*)$/;
/**
 * The Lambda invocation path of an AWS_PROXY (or AWS) integration: Invoke's, or
 * InvokeWithResponseStream's for a streamed response (`responseTransferMode: STREAM`); group 1
 * is the function's ARN.
 */
export const LAMBDA_INVOCATION_PATH =
  /^path\/(?:2015-03-31\/functions\/(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_.]+(?::[a-zA-Z0-9-_$]+)?)\/invocations|2021-11-15\/functions\/(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_.]+(?::[a-zA-Z0-9-_$]+)?)\/response-streaming-invocations)$/;

export function checkIntegrationUri(type: string, uri: string | undefined): void {
  if (type === 'HTTP' || type === 'HTTP_PROXY') {
    if (!uri || !/^https?:\/\/[^/\s]+/.test(uri))
      throw new BadRequestException('Invalid HTTP endpoint specified for URI');
    return;
  }
  const m = APIGATEWAY_ARN.exec(uri ?? '');
  if (!m) throw new BadRequestException('Invalid ARN specified in the request');
  const [, , service, rest] = m as unknown as [string, string, string, string];
  if (!rest.startsWith('path/') && !rest.startsWith('action/')) {
    throw new BadRequestException('AWS ARN for integration must contain path or action');
  }
  if (type === 'AWS_PROXY') {
    const lambda = service === 'lambda' && LAMBDA_INVOCATION_PATH.test(rest);
    // Firehose stream integrations are AWS's other option; Lambent has no Firehose.
    if (!lambda) {
      throw new BadRequestException(
        "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
      );
    }
  }
}

/** The function ARN an integration's uri invokes, or undefined when it is not a Lambda invocation. */
export function lambdaArnOfUri(uri: string | undefined): string | undefined {
  const m = APIGATEWAY_ARN.exec(uri ?? '');
  if (m?.[2] !== 'lambda') return undefined;
  const path = LAMBDA_INVOCATION_PATH.exec(m[3] ?? '');
  return path?.[1] ?? path?.[2];
}
