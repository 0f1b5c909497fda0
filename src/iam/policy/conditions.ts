/**
 * IAM condition operators over a request context. Semantics as the IAM User Guide states them:
 * - several values of one key in the policy: any may match (for negated operators: none may);
 * - a key absent from the request: false for positive operators, true for negated ones
 *   (StringNotEquals, ArnNotLike, NotIpAddress, ...), true with `...IfExists`;
 * - `ForAnyValue:` true when any request value matches (false when the key is absent),
 *   `ForAllValues:` true when every request value matches (true when the key is absent);
 * - `Null`: "true" means the key is absent, "false" that it is present.
 * Keys compare case-insensitively, so the context is keyed by lower-case names.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { ConditionClause } from './document.js';
import { compileArn, compileWildcard } from './wildcard.js';

export type ContextValue = string | readonly string[] | undefined;
/** Request context keys in lower case, e.g. `aws:sourcearn`. */
export type ConditionContext = ReadonlyMap<string, ContextValue>;

interface Operator {
  negated: boolean;
  /** The positive test of one request value against one policy value. */
  test(requestValue: string, policyValue: string): boolean;
}

const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
function dateMs(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return Date.parse(s);
}
const cmp =
  (parse: (s: string) => number, ok: (d: number) => boolean) =>
  (r: string, p: string): boolean => {
    const a = parse(r);
    const b = parse(p);
    return !Number.isNaN(a) && !Number.isNaN(b) && ok(a - b);
  };

function ipTest(r: string, p: string): boolean {
  const [addr, bits] = p.split('/');
  if (!addr) return false;
  const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
  const rType = isIPv4(r) ? 'ipv4' : isIPv6(r) ? 'ipv6' : undefined;
  if (!type || !rType) return false;
  const list = new BlockList();
  const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
  if (!Number.isInteger(prefix)) return false;
  list.addSubnet(addr, prefix, type);
  return list.check(r, rType);
}

const positive = (test: Operator['test']): Operator => ({ negated: false, test });
const negated = (test: Operator['test']): Operator => ({ negated: true, test });
const eq = (r: string, p: string) => r === p;
const eqIgnoreCase = (r: string, p: string) => r.toLowerCase() === p.toLowerCase();
const like = (r: string, p: string) => compileWildcard(p, false)(r);
const arnLike = (r: string, p: string) => compileArn(p)(r);

const OPERATORS: Readonly<Record<string, Operator>> = {
  StringEquals: positive(eq),
  StringNotEquals: negated(eq),
  StringEqualsIgnoreCase: positive(eqIgnoreCase),
  StringNotEqualsIgnoreCase: negated(eqIgnoreCase),
  StringLike: positive(like),
  StringNotLike: negated(like),
  NumericEquals: positive(cmp(num, (d) => d === 0)),
  NumericNotEquals: negated(cmp(num, (d) => d === 0)),
  NumericLessThan: positive(cmp(num, (d) => d < 0)),
  NumericLessThanEquals: positive(cmp(num, (d) => d <= 0)),
  NumericGreaterThan: positive(cmp(num, (d) => d > 0)),
  NumericGreaterThanEquals: positive(cmp(num, (d) => d >= 0)),
  DateEquals: positive(cmp(dateMs, (d) => d === 0)),
  DateNotEquals: negated(cmp(dateMs, (d) => d === 0)),
  DateLessThan: positive(cmp(dateMs, (d) => d < 0)),
  DateLessThanEquals: positive(cmp(dateMs, (d) => d <= 0)),
  DateGreaterThan: positive(cmp(dateMs, (d) => d > 0)),
  DateGreaterThanEquals: positive(cmp(dateMs, (d) => d >= 0)),
  Bool: positive(eqIgnoreCase),
  BinaryEquals: positive(eq),
  IpAddress: positive(ipTest),
  NotIpAddress: negated(ipTest),
  ArnEquals: positive(arnLike),
  ArnLike: positive(arnLike),
  ArnNotEquals: negated(arnLike),
  ArnNotLike: negated(arnLike),
};

/** True when the operator (with its set prefix and IfExists suffix) is one IAM knows. */
export function isKnownOperator(operator: string): boolean {
  return parseOperator(operator) !== undefined;
}

interface ParsedOperator {
  set: 'any' | 'all' | undefined;
  ifExists: boolean;
  base: string;
}

function parseOperator(operator: string): ParsedOperator | undefined {
  let rest = operator;
  let set: ParsedOperator['set'];
  if (rest.startsWith('ForAnyValue:')) {
    set = 'any';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = 'all';
    rest = rest.slice('ForAllValues:'.length);
  }
  const ifExists = rest !== 'Null' && rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  if (rest !== 'Null' && !(rest in OPERATORS)) return undefined;
  return { set, ifExists, base: rest };
}

/** One condition clause against the request context (policy variables already substituted). */
export function conditionHolds(clause: ConditionClause, ctx: ConditionContext): boolean {
  const parsed = parseOperator(clause.operator);
  if (!parsed) return false; // an unknown operator never matches (IAM refuses it on write)
  const raw = ctx.get(clause.key.toLowerCase());
  const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  if (parsed.base === 'Null') {
    const absent = values.length === 0;
    return clause.values.some((v) => (v.toLowerCase() === 'true') === absent);
  }
  const op = OPERATORS[parsed.base] as Operator;
  if (values.length === 0) {
    if (parsed.ifExists || parsed.set === 'all') return true;
    if (parsed.set === 'any') return false;
    return op.negated;
  }
  const one = (rv: string) => {
    const hit = clause.values.some((pv) => op.test(rv, pv));
    return op.negated ? !hit : hit;
  };
  if (parsed.set === 'all') return values.every(one);
  return values.some(one);
}
