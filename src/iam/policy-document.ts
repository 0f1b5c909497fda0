/**
 * What IAM checks of a policy document before storing it (MalformedPolicyDocument, with
 * AWS's wordings where known), and the URL encoding IAM applies to documents in its answers.
 * This is grammar only; what a policy means is the evaluator's business (src/iam/policy/).
 */
import { awsError } from '../shared/errors.js';
import { PolicyDocumentError, parsePolicyDocument } from './policy/index.js';

export class MalformedPolicyDocument extends awsError('MalformedPolicyDocument', 400) {}

export type PolicyKind = 'identity' | 'trust';

/** Parses and checks a document; returns it parsed. Throws MalformedPolicyDocument. */
export function checkPolicyDocument(text: string, kind: PolicyKind): Record<string, unknown> {
  try {
    parsePolicyDocument(text, { kind });
  } catch (err) {
    if (err instanceof PolicyDocumentError) throw new MalformedPolicyDocument(err.message);
    throw err;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** IAM counts a policy's size without whitespace. */
export function policySize(text: string): number {
  return text.replace(/\s+/g, '').length;
}

/**
 * IAM answers carry documents URL-encoded (RFC 3986: everything but letters, digits and
 * `-_.~/` is %-escaped), as AWS sends them; the AWS CLI and boto3 decode them, the JS SDK
 * hands them over as sent.
 */
export function encodePolicyDocument(text: string): string {
  return encodeURIComponent(text)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
