/**
 * Parity against responses recorded from real AWS (test/conformance/aws-recorded/, vendored from
 * `../shared/conformance/`; boto3's parsed view, normalised by LocalStack's snapshot transformers).
 *
 * Three steps turn one of Lambent's answers into something comparable with a recording:
 *
 * 1. `call()` turns an SDK v3 result or thrown error into boto3's parsed view. Outputs lose
 *    `$metadata` and gain `ResponseMetadata`. Errors are rebuilt from the raw HTTP body (captured
 *    by `instrument()`) the way botocore parses rest-json errors: `Error.Code` from
 *    `x-amzn-ErrorType`, `Error.Message` from `message` (else `Message`), plus the body members
 *    the error shape models (from the SDK's own schema, so `Message` vs `message` is checked,
 *    which the SDK's error object alone cannot show).
 * 2. `normalise()` applies the recordings' normalisation: account → 111111111111,
 *    `arn:aws:` → `arn:<partition>:`, region → `<region>`, then unifies every placeholder of the
 *    recording (`<function-name:1>`, `<uuid:3>`, `<resource:2>`, `<code-sha256:1>`, `<fn-name>`,
 *    `date`, `<code-size>`, `<location>`, ...) with the value found at the same place. One test
 *    shares one set of bindings: the same placeholder must always stand for the same value, and
 *    two placeholders of one kind for two different values (that is what the numbering means).
 * 3. `Recording.match()` compares with deep equality and reports every differing path.
 */
import { AssertionError, deepStrictEqual } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import * as lambdaSdk from '@aws-sdk/client-lambda';

export type View = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Loading recordings.

import { conformanceDir } from '../support/conformance.js';

export { conformanceDir };

/** A recorded test module: `test_lambda_api` (the control plane, default) or `test_lambda` (invoke semantics). */
export type SnapshotModule = 'test_lambda_api' | 'test_lambda';

const snapshotCache = new Map<
  SnapshotModule,
  Record<string, { 'recorded-content': Record<string, unknown> }>
>();

function snapshot(module: SnapshotModule): Record<string, { 'recorded-content': Record<string, unknown> }> {
  const cached = snapshotCache.get(module);
  if (cached) return cached;
  const loaded = JSON.parse(
    fs.readFileSync(path.join(conformanceDir(), 'aws-recorded', `${module}.snapshot.json`), 'utf8'),
  );
  snapshotCache.set(module, loaded);
  return loaded;
}

/** The recorded responses of one test, e.g. `TestLambdaFunction::test_function_lifecycle`. */
export function recordedCase(
  testName: string,
  module: SnapshotModule = 'test_lambda_api',
): Record<string, unknown> {
  const entry = snapshot(module)[`tests/aws/services/lambda_/${module}.py::${testName}`];
  if (!entry) throw new Error(`no recording for ${testName}`);
  return entry['recorded-content'];
}

/** One recorded response, e.g. (`TestLambdaFunction::test_function_lifecycle`, `create_response`). */
export function recordedResponse(testName: string, responseName: string): unknown {
  const content = recordedCase(testName);
  if (!(responseName in content)) throw new Error(`${testName} has no recorded response ${responseName}`);
  return content[responseName];
}

// ---------------------------------------------------------------------------------------------
// SDK v3 → boto3's parsed view.

const RAW = Symbol.for('lambent.parity.rawResponse');

interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

async function collect(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (body == null) return new Uint8Array();
  if (typeof body === 'string') return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Adds a middleware just inside the SDK's deserializer that buffers the raw response body and
 * keeps it on the response object, where a thrown error's hidden `$response` exposes it.
 */
export function instrument<T extends LambdaClient>(client: T): T {
  type Middleware = Parameters<typeof client.middlewareStack.addRelativeTo>[0];
  const captureRaw = (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
    const result = await next(args);
    const response = result.response as {
      statusCode: number;
      headers: Record<string, string>;
      body: unknown;
    };
    const body = await collect(response.body);
    response.body = body;
    Object.defineProperty(response, RAW, {
      value: {
        statusCode: response.statusCode,
        headers: { ...response.headers },
        body,
      } satisfies RawResponse,
      enumerable: false,
    });
    return result;
  };
  client.middlewareStack.addRelativeTo(captureRaw as unknown as Middleware, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'parityRawResponse',
    override: true,
  });
  return client;
}

/** botocore drops members whose value is null; so does this. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: View = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = dropNulls(v);
    return out;
  }
  return value;
}

/** boto3's view of a successful SDK v3 output. */
export function outputView(output: Record<string, unknown>): View {
  const { $metadata, ...rest } = output as { $metadata?: { httpStatusCode?: number } } & View;
  return {
    ...(dropNulls(rest) as View),
    ResponseMetadata: { HTTPHeaders: {}, HTTPStatusCode: $metadata?.httpStatusCode },
  };
}

/** The members an error shape of Lambda's model declares (from the SDK's schema), if modeled. */
function modeledErrorMembers(code: string): string[] | undefined {
  const schema = (lambdaSdk as Record<string, unknown>)[`${code}$`];
  if (!Array.isArray(schema) || schema[0] !== -3 || !Array.isArray(schema[4])) return undefined;
  return schema[4] as string[];
}

/** boto3's view of an error thrown by the SDK (raw body when `instrument()` captured it). */
export function errorView(err: unknown): View {
  if (!(err instanceof Error)) throw err;
  const e = err as Error & {
    $metadata?: { httpStatusCode?: number };
    $response?: Record<symbol, RawResponse>;
  };
  const raw = e.$response?.[RAW];
  if (!e.$metadata?.httpStatusCode && !raw) throw err; // not an AWS error answer (network, client bug)
  const status = raw?.statusCode ?? e.$metadata?.httpStatusCode;
  let body: View | undefined;
  if (raw && raw.body.length > 0) {
    try {
      const parsed = JSON.parse(Buffer.from(raw.body).toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as View;
    } catch {
      body = undefined;
    }
  }
  const headerCode = raw ? headerValue(raw.headers, 'x-amzn-errortype')?.split(':')[0] : undefined;
  const bodyCode = body
    ? ((body.code ?? body.Code ?? body.__type) as string | undefined)?.split('#').pop()
    : undefined;
  const code = headerCode ?? bodyCode ?? e.name;
  const view: View = {};
  if (body) {
    const message = 'message' in body ? body.message : 'Message' in body ? body.Message : '';
    view.Error = { Code: code, Message: message };
    for (const member of modeledErrorMembers(code) ?? [])
      if (member in body && body[member] !== null) view[member] = body[member];
  } else {
    // No JSON body to read: fall back to what the SDK shows.
    view.Error = { Code: code, Message: e.message };
    const sdkFields = e as unknown as View;
    for (const member of modeledErrorMembers(code) ?? []) {
      if (member === 'message' || member === 'Message') continue;
      if (sdkFields[member] !== undefined) view[member] = sdkFields[member];
    }
  }
  view.ResponseMetadata = { HTTPHeaders: {}, HTTPStatusCode: status };
  if (raw) Object.defineProperty(view, RAW_HEADERS, { value: raw.headers, enumerable: false });
  return view;
}

const RAW_HEADERS = Symbol.for('lambent.parity.rawHeaders');
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For the rare recording that kept its HTTP headers: boto3's full ResponseMetadata from the raw
 * headers, with the per-request values (Date, request id) taking the recorded value when they
 * are well-formed.
 */
function withRecordedHeaders(actual: unknown, expected: unknown): unknown {
  const expMeta = (
    expected as
      | { ResponseMetadata?: { HTTPHeaders?: Record<string, string>; RequestId?: string } }
      | undefined
  )?.ResponseMetadata;
  if (!expMeta?.HTTPHeaders || Object.keys(expMeta.HTTPHeaders).length === 0) return actual;
  const headers = (actual as Record<symbol, Record<string, string> | undefined>)[RAW_HEADERS];
  if (!headers) return actual;
  const view = actual as View & { ResponseMetadata: { HTTPStatusCode?: number } };
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = String(v);
  const requestId = lower['x-amzn-requestid'];
  if (lower.date && HTTP_DATE.test(lower.date) && expMeta.HTTPHeaders.date)
    lower.date = expMeta.HTTPHeaders.date;
  let recordedId = requestId;
  if (requestId && UUID.test(requestId) && expMeta.RequestId) {
    recordedId = expMeta.RequestId;
    lower['x-amzn-requestid'] = expMeta.HTTPHeaders['x-amzn-requestid'] ?? recordedId;
  }
  return {
    ...view,
    ResponseMetadata: {
      HTTPHeaders: lower,
      HTTPStatusCode: view.ResponseMetadata.HTTPStatusCode,
      RequestId: recordedId,
      RetryAttempts: 0,
    },
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Awaits an SDK call and returns boto3's view of its output or error. */
export async function call(promise: Promise<object>): Promise<View> {
  try {
    return outputView((await promise) as Record<string, unknown>);
  } catch (err) {
    return errorView(err);
  }
}

/** AddPermission's `Statement` and GetPolicy's `Policy` are JSON strings the recordings hold parsed. */
export function parsePolicyStrings(view: View): View {
  const out = { ...view };
  const headers = (view as Record<symbol, unknown>)[RAW_HEADERS];
  if (headers) Object.defineProperty(out, RAW_HEADERS, { value: headers, enumerable: false });
  for (const key of ['Statement', 'Policy']) {
    if (typeof out[key] === 'string') out[key] = JSON.parse(out[key] as string);
  }
  return out;
}

/** The create_lambda_function fixture's wrapping of a CreateFunction response. */
export function fixtureCreateView(view: View): View {
  if ('Error' in view) return view;
  return { CreateEventSourceMappingResponse: null, CreateFunctionResponse: view };
}

/**
 * The validation tests record `{Code, Count, Errors}` for "N validation error(s) detected: a; b"
 * messages and `{Code, Message}` otherwise.
 */
export function validationSummary(view: View): View {
  const error = (view.Error ?? {}) as { Code?: string; Message?: string };
  const message = String(error.Message ?? '');
  const m = /^(\d+) validation errors? detected: (.*)$/s.exec(message);
  if (!m) return { Code: error.Code, Message: error.Message };
  return { Code: error.Code, Count: Number(m[1]), Errors: (m[2] ?? '').split('; ') };
}

// ---------------------------------------------------------------------------------------------
// Normalisation.

export const ACCOUNT_ID = '000000000000';
export const REGION = 'us-east-1';
const RECORDED_ACCOUNT_ID = '111111111111';

/** The account/partition/region substitutions every recording had applied. */
function fixedSubstitutions(s: string): string {
  return s
    .replaceAll(ACCOUNT_ID, RECORDED_ACCOUNT_ID)
    .replaceAll('arn:aws:', 'arn:<partition>:')
    .replaceAll(REGION, '<region>');
}

/** Expands the `<a:len(N)>` shorthand of the validation recordings into N letters `a`. */
function expandShorthands(value: unknown): unknown {
  if (typeof value === 'string')
    return value.replace(/<a:len\((\d+)\)>/g, (_m, n: string) => 'a'.repeat(Number(n)));
  if (Array.isArray(value)) return value.map(expandShorthands);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandShorthands(v)]));
  }
  return value;
}

/** A placeholder token in a recording: `<kind>` or `<kind:N>` (not `<partition>`/`<region>`). */
const TOKEN = /<([a-z][a-z0-9-]*)(?::(\d+))?>/g;
const LITERAL_TOKENS = new Set(['partition', 'region']);

/** What each kind of placeholder may stand for. */
const KIND_PATTERNS: Record<string, string> = {
  uuid: '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
  'code-sha256': '[A-Za-z0-9+/]{43}=',
  'function-name': '[A-Za-z0-9_-]+',
  resource: '[A-Za-z0-9_.+=,@-]+',
  location: 'https?://\\S+',
  'layer-location': 'https?://\\S+',
  'code-size': '\\d+',
};
const DEFAULT_KIND_PATTERN = '.+?';
/** Placeholders the recordings put in place of a value without numbering it (no binding). */
const UNNUMBERED_VALUE_KINDS = new Set(['location', 'layer-location', 'code-size']);
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Placeholder bindings shared by the responses of one test. */
export class Bindings {
  private readonly byToken = new Map<string, string>();
  private readonly byKindValue = new Map<string, Map<string, string>>();

  /** Pins a placeholder to a value the test knows (e.g. `<function-name:1>` → the name it created). */
  bind(token: string, value: string): void {
    const kind = /^<([a-z][a-z0-9-]*)/.exec(token)?.[1];
    if (!kind) throw new Error(`not a placeholder: ${token}`);
    if (!this.tryCommit([[token, kind, value]])) {
      throw new Error(`cannot bind ${token} to ${value}: already bound differently`);
    }
  }

  valueOf(token: string): string | undefined {
    return this.byToken.get(token);
  }

  private tryCommit(pairs: Array<[token: string, kind: string, value: string]>): boolean {
    const pending = new Map<string, string>();
    const pendingByKind = new Map<string, string>();
    for (const [token, kind, value] of pairs) {
      const boundValue = this.byToken.get(token) ?? pending.get(token);
      if (boundValue !== undefined && boundValue !== value) return false;
      const kindKey = `${kind}\u0000${value}`;
      const boundToken = this.byKindValue.get(kind)?.get(value) ?? pendingByKind.get(kindKey);
      if (boundToken !== undefined && boundToken !== token) return false;
      pending.set(token, value);
      pendingByKind.set(kindKey, token);
    }
    for (const [token, kind, value] of pairs) {
      this.byToken.set(token, value);
      let values = this.byKindValue.get(kind);
      if (!values) {
        values = new Map();
        this.byKindValue.set(kind, values);
      }
      values.set(value, token);
    }
    return true;
  }

  /** Replaces every bound value by its placeholder (to make a mismatch readable). */
  private referenceReplace(s: string): string {
    const entries = [...this.byToken.entries()]
      .filter(([, v]) => v.length > 0)
      .sort((a, b) => b[1].length - a[1].length);
    let out = s;
    for (const [token, value] of entries) out = out.replaceAll(value, token);
    return out;
  }

  /** Unifies one string of Lambent's answer with the recorded string at the same place. */
  unifyString(actualRaw: string, expected: unknown): string {
    const actual = fixedSubstitutions(actualRaw);
    if (typeof expected !== 'string') return this.referenceReplace(actual);
    if (actual === expected) return actual;
    if (expected === 'date') return DATE.test(actualRaw) ? 'date' : actual;
    const tokens: Array<{ token: string; kind: string; index: number }> = [];
    let pattern = '^';
    let last = 0;
    for (const m of expected.matchAll(TOKEN)) {
      const kind = m[1] ?? '';
      if (LITERAL_TOKENS.has(kind)) continue;
      pattern += escapeRegex(expected.slice(last, m.index));
      pattern += `(${KIND_PATTERNS[kind] ?? DEFAULT_KIND_PATTERN})`;
      const index = m.index ?? 0;
      tokens.push({ token: m[0], kind, index });
      last = index + m[0].length;
    }
    if (tokens.length === 0) return this.referenceReplace(actual);
    pattern += `${escapeRegex(expected.slice(last))}$`;
    const match = new RegExp(pattern, 's').exec(actual);
    if (!match) return this.referenceReplace(actual);
    const pairs = tokens
      .map((t, i): [string, string, string] => [t.token, t.kind, match[i + 1] ?? ''])
      .filter(([, kind]) => !UNNUMBERED_VALUE_KINDS.has(kind));
    return this.tryCommit(pairs) ? expected : this.referenceReplace(actual);
  }

  /** Lambent's value normalised against the recorded one (walks both in parallel). */
  normalise(actual: unknown, expected: unknown): unknown {
    if (typeof actual === 'string') return this.unifyString(actual, expected);
    if (typeof actual === 'number' && expected === '<code-size>') return '<code-size>';
    if (Array.isArray(actual)) {
      const exp = Array.isArray(expected) ? expected : [];
      return actual.map((v, i) => this.normalise(v, exp[i]));
    }
    if (actual && typeof actual === 'object') {
      const exp =
        expected && typeof expected === 'object' && !Array.isArray(expected) ? (expected as View) : {};
      const out: View = {};
      for (const [k, v] of Object.entries(actual)) out[k] = this.normalise(v, exp[k]);
      return out;
    }
    return actual;
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/** Every path where two JSON-like values differ, as readable lines. */
export function differences(actual: unknown, expected: unknown, at = ''): string[] {
  const show = (v: unknown) => {
    const s = v === undefined ? '(absent)' : JSON.stringify(v);
    return s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s;
  };
  if (Object.is(actual, expected)) return [];
  const bothObjects =
    actual &&
    expected &&
    typeof actual === 'object' &&
    typeof expected === 'object' &&
    Array.isArray(actual) === Array.isArray(expected);
  if (!bothObjects) return [`${at || '/'}: recorded ${show(expected)}, Lambent ${show(actual)}`];
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
  const out: string[] = [];
  for (const k of keys) {
    if (!(k in a)) out.push(`${at}/${k}: recorded ${show(e[k])}, Lambent (absent)`);
    else if (!(k in e)) out.push(`${at}/${k}: recorded (absent), Lambent ${show(a[k])}`);
    else out.push(...differences(a[k], e[k], `${at}/${k}`));
  }
  return out;
}

/**
 * The recorded responses of one test and the placeholder bindings of its replay. `match()`
 * collects mismatches and `done()` fails with all of them, so one run shows every difference.
 */
export class Recording {
  readonly bindings = new Bindings();
  private readonly content: Record<string, unknown>;
  private readonly seen = new Set<string>();
  private readonly skipped = new Map<string, string>();
  private readonly failures: string[] = [];

  constructor(
    readonly testName: string,
    module: SnapshotModule = 'test_lambda_api',
  ) {
    this.content = recordedCase(testName, module);
  }

  /** The recorded response (expanded shorthands), for a test that needs a value from it. */
  expected(name: string): unknown {
    if (!(name in this.content)) throw new Error(`${this.testName} has no recorded response ${name}`);
    return expandShorthands(this.content[name]);
  }

  bind(token: string, value: string): this {
    this.bindings.bind(token, value);
    return this;
  }

  /** Compares Lambent's (boto-view) answer with a recorded response; mismatches fail in `done()`. */
  match(name: string, actual: unknown): boolean {
    const expected = this.expected(name);
    this.seen.add(name);
    const normalised = this.bindings.normalise(withRecordedHeaders(actual, expected), expected);
    try {
      deepStrictEqual(normalised, expected);
      return true;
    } catch {
      const lines = differences(normalised, expected);
      this.failures.push(`${name}:\n    ${lines.join('\n    ')}`);
      return false;
    }
  }

  /**
   * A fact the recorded test relies on without snapshotting it (e.g. a call that must succeed
   * on AWS); a failure counts like a mismatch.
   */
  check(description: string, ok: boolean, detail = ''): boolean {
    if (!ok) this.failures.push(`${description}${detail ? `:\n    ${detail}` : ''}`);
    return ok;
  }

  /** A recorded response this replay does not assert, with the reason. */
  skip(name: string, reason: string): void {
    if (!(name in this.content)) throw new Error(`${this.testName} has no recorded response ${name}`);
    this.skipped.set(name, reason);
  }

  /** Fails with every mismatch, and with recorded responses neither matched nor skipped. */
  done(): void {
    const missing = Object.keys(this.content).filter((n) => !this.seen.has(n) && !this.skipped.has(n));
    const problems = [...this.failures];
    if (missing.length) problems.push(`recorded but not replayed: ${missing.join(', ')}`);
    if (problems.length) {
      throw new AssertionError({
        message: `${this.testName} differs from AWS:\n  ${problems.join('\n  ')}`,
        operator: 'parity',
      });
    }
  }
}
