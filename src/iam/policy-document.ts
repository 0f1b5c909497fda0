/**
 * What IAM checks of a policy document before storing it (MalformedPolicyDocument, with
 * AWS's wordings where known), and the URL encoding IAM applies to documents in its answers.
 * This is grammar only; what a policy means is the evaluator's business (src/iam/policy/).
 */
import { awsError } from '../shared/errors.js';

export class MalformedPolicyDocument extends awsError('MalformedPolicyDocument', 400) {}

export type PolicyKind = 'identity' | 'trust';

const VERSIONS = new Set(['2008-10-17', '2012-10-17']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringOrStrings(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

/** Parses and checks a document; returns it parsed. Throws MalformedPolicyDocument. */
export function checkPolicyDocument(text: string, kind: PolicyKind): Record<string, Json> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new MalformedPolicyDocument('This policy contains invalid Json');
  }
  if (!isObject(doc)) throw new MalformedPolicyDocument('Syntax errors in policy.');
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) {
      throw new MalformedPolicyDocument(`Syntax errors in policy.`);
    }
  }
  if (doc.Version !== undefined && (typeof doc.Version !== 'string' || !VERSIONS.has(doc.Version))) {
    throw new MalformedPolicyDocument('The policy failed legacy parsing');
  }
  const raw = doc.Statement;
  if (raw === undefined) throw new MalformedPolicyDocument('Syntax errors in policy.');
  const statements = Array.isArray(raw) ? raw : [raw];
  if (statements.length === 0) throw new MalformedPolicyDocument('Syntax errors in policy.');
  for (const st of statements) {
    if (!isObject(st)) throw new MalformedPolicyDocument('Syntax errors in policy.');
    for (const key of Object.keys(st)) {
      if (!STATEMENT_KEYS.has(key)) throw new MalformedPolicyDocument('Syntax errors in policy.');
    }
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') {
      throw new MalformedPolicyDocument(
        st.Effect === undefined ? 'Missing required field Effect' : `Invalid effect: ${String(st.Effect)}`,
      );
    }
    const action = st.Action ?? st.NotAction;
    if (action === undefined) throw new MalformedPolicyDocument('Policy statement must contain actions.');
    if (!isStringOrStrings(action)) throw new MalformedPolicyDocument('Syntax errors in policy.');
    if (kind === 'identity') {
      if (st.Principal !== undefined || st.NotPrincipal !== undefined) {
        throw new MalformedPolicyDocument('Policy document should not specify a principal.');
      }
      const resource = st.Resource ?? st.NotResource;
      if (resource === undefined)
        throw new MalformedPolicyDocument('Policy statement must contain resources.');
      if (!isStringOrStrings(resource)) throw new MalformedPolicyDocument('Syntax errors in policy.');
    } else {
      if (st.Resource !== undefined || st.NotResource !== undefined) {
        throw new MalformedPolicyDocument('Has prohibited field Resource');
      }
      if (st.Principal === undefined && st.NotPrincipal === undefined) {
        throw new MalformedPolicyDocument('Missing required field Principal');
      }
      const actions = typeof action === 'string' ? [action] : (action as string[]);
      for (const a of actions) {
        if (
          a !== '*' &&
          a !== 'sts:*' &&
          !/^sts:(AssumeRole\w*|TagSession|SetSourceIdentity|SetContext)$/i.test(a)
        ) {
          throw new MalformedPolicyDocument('AssumeRole policy may only specify STS AssumeRole actions.');
        }
      }
    }
    if (st.Condition !== undefined && !isObject(st.Condition)) {
      throw new MalformedPolicyDocument('Syntax errors in policy.');
    }
  }
  return doc;
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
