/**
 * IAM policy documents: parsed once into a normal form the evaluator reads without further
 * checks. A document that AWS would refuse is refused here with IAM's
 * `MalformedPolicyDocument` wording, so the same parser serves IAM's API (PutRolePolicy,
 * CreatePolicy, ...), Lambda's resource policies and the evaluator.
 *
 * The normal form: every list-or-string field is a list; `Principal` is a map of principal
 * type to values (`"*"` becomes `{ '*': ['*'] }`); `Condition` is a list of
 * (operator, key, values) with values as strings (AWS compares numbers, dates and booleans by
 * their text forms after conversion).
 */
import { isKnownOperator } from './conditions.js';

export type Effect = 'Allow' | 'Deny';

export interface ConditionClause {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  /** The condition key, e.g. `aws:SourceArn` (keys are case-insensitive). */
  key: string;
  values: string[];
}

export interface Statement {
  sid?: string;
  effect: Effect;
  /** Exactly one of action / notAction is set. */
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: Record<string, string[]>;
  notPrincipal?: Record<string, string[]>;
  condition: ConditionClause[];
}

export interface PolicyDocument {
  version: '2012-10-17' | '2008-10-17';
  id?: string;
  statements: Statement[];
}

/** IAM's MalformedPolicyDocument: the message is what IAM says. */
export class PolicyDocumentError extends Error {}

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

export interface ParseOptions {
  /** Resource policies name principals; identity policies must not. */
  kind: 'identity' | 'resource' | 'trust';
}

export function parsePolicyDocument(text: string, options: ParseOptions): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PolicyDocumentError('This policy contains invalid Json');
  }
  if (!isObject(raw)) throw new PolicyDocumentError('Syntax errors in policy.');
  for (const k of Object.keys(raw)) {
    if (!['Version', 'Id', 'Statement'].includes(k))
      throw new PolicyDocumentError('Syntax errors in policy.');
  }
  const version = raw.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') {
    throw new PolicyDocumentError('The policy failed legacy parsing');
  }
  if (raw.Statement === undefined) throw new PolicyDocumentError('Syntax errors in policy.');
  const list = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (list.length === 0) throw new PolicyDocumentError('Syntax errors in policy.');
  const statements = list.map((s) => parseStatement(s, options));
  const doc: PolicyDocument = { version, statements };
  if (typeof raw.Id === 'string') doc.id = raw.Id;
  return doc;
}

function parseStatement(raw: unknown, options: ParseOptions): Statement {
  if (!isObject(raw)) throw new PolicyDocumentError('Syntax errors in policy.');
  for (const k of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(k)) throw new PolicyDocumentError('Syntax errors in policy.');
  }
  if (raw.Effect === undefined) throw new PolicyDocumentError('Missing required field Effect');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') {
    throw new PolicyDocumentError(`Invalid effect: ${String(raw.Effect)}`);
  }
  const st: Statement = { effect: raw.Effect, condition: parseCondition(raw.Condition) };
  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') throw new PolicyDocumentError('Syntax errors in policy.');
    st.sid = raw.Sid;
  }
  if ((raw.Action === undefined) === (raw.NotAction === undefined)) {
    throw new PolicyDocumentError('Policy statement must contain actions.');
  }
  if (raw.Action !== undefined) st.action = stringList(raw.Action);
  if (raw.NotAction !== undefined) st.notAction = stringList(raw.NotAction);
  for (const a of [...(st.action ?? []), ...(st.notAction ?? [])]) {
    if (a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$/.test(a)) {
      throw new PolicyDocumentError(
        `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.`,
      );
    }
  }
  const hasResource = raw.Resource !== undefined || raw.NotResource !== undefined;
  if (raw.Resource !== undefined && raw.NotResource !== undefined) {
    throw new PolicyDocumentError('Syntax errors in policy.');
  }
  if (raw.Resource !== undefined) st.resource = stringList(raw.Resource);
  if (raw.NotResource !== undefined) st.notResource = stringList(raw.NotResource);
  const hasPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (raw.Principal !== undefined) st.principal = principalMap(raw.Principal);
  if (raw.NotPrincipal !== undefined) st.notPrincipal = principalMap(raw.NotPrincipal);
  if (options.kind === 'identity') {
    if (hasPrincipal) throw new PolicyDocumentError('Policy document should not specify a principal.');
    if (!hasResource) throw new PolicyDocumentError('Policy statement must contain resources.');
  } else {
    if (!hasPrincipal) throw new PolicyDocumentError('Missing required field Principal');
    if (options.kind === 'trust') {
      if (hasResource) throw new PolicyDocumentError('Has prohibited field Resource');
      for (const a of st.action ?? st.notAction ?? []) {
        if (
          a !== '*' &&
          a !== 'sts:*' &&
          !/^sts:(AssumeRole\w*|TagSession|SetSourceIdentity|SetContext)$/i.test(a)
        ) {
          throw new PolicyDocumentError('AssumeRole policy may only specify STS AssumeRole actions.');
        }
      }
    }
  }
  return st;
}

function principalMap(raw: unknown): Record<string, string[]> {
  if (raw === '*') return { '*': ['*'] };
  if (!isObject(raw)) throw new PolicyDocumentError('Syntax errors in policy.');
  const out: Record<string, string[]> = {};
  for (const [type, v] of Object.entries(raw)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) {
      throw new PolicyDocumentError(`Invalid principal in policy: "${type}":${JSON.stringify(v)}`);
    }
    out[type] = stringList(v);
  }
  return out;
}

function parseCondition(raw: unknown): ConditionClause[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) throw new PolicyDocumentError('Syntax errors in policy.');
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(raw)) {
    if (!isKnownOperator(operator)) throw new PolicyDocumentError('Syntax errors in policy.');
    if (!isObject(block)) throw new PolicyDocumentError('Syntax errors in policy.');
    for (const [key, v] of Object.entries(block)) {
      const values = (Array.isArray(v) ? v : [v]).map((x) => {
        if (typeof x === 'string') return x;
        if (typeof x === 'number' || typeof x === 'boolean') return String(x);
        if (x === null) return 'null';
        throw new PolicyDocumentError('Syntax errors in policy.');
      });
      out.push({ operator, key, values });
    }
  }
  return out;
}

function stringList(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === 'string')) {
    throw new PolicyDocumentError('Syntax errors in policy.');
  }
  return list as string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
