/**
 * The one rule for which request bodies reach a function as text and which as base64 with
 * `isBase64Encoded: true`, shared by every front door (function URLs, HTTP APIs with payload
 * 1.0 and 2.0). AWS documents no list for either product; what is known agrees on one rule for
 * both (they share payload 2.0 and, it seems, the front end that builds it):
 * - HTTP APIs, measured on AWS (ministack PR #766): `text/*`, `application/json`,
 *   `application/xml` and `application/javascript` are text; every other type, no type at all,
 *   `application/x-www-form-urlencoded`, `+json`/`+xml` suffixes and YAML are base64;
 * - function URLs: AWS's own Lambda talk (2022) says a body is base64 unless its Content-Type is
 *   `application/json` or `text/*`; `multipart/form-data` is recorded base64
 *   (test_lambda_url_form_payload).
 * A body that is not valid UTF-8 is base64 whatever its type, so that no byte is lost.
 */

const TEXT_TYPES = /^(text\/[^;\s]+|application\/(json|xml|javascript))\s*(;|$)/i;

/** Whether the Content-Type names a text body (parameters such as `charset` do not matter). */
export function isTextType(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPES.test(contentType.trim());
}

/** Whether a body goes to the function as text; else base64 with `isBase64Encoded: true`. */
export function bodyIsText(body: Buffer, contentType: string | undefined): boolean {
  return isTextType(contentType) && isUtf8(body);
}

function isUtf8(body: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}
