/**
 * AWS Signature Version 4 verification, for the header form (`Authorization: AWS4-HMAC-SHA256
 * Credential=..., SignedHeaders=..., Signature=...`) and the presigned query form
 * (`X-Amz-Algorithm=...&X-Amz-Signature=...`).
 *
 * The canonical request is rebuilt exactly as the SDKs build it (smithy `SignatureV4` in JS,
 * botocore `SigV4Auth` in Python), because a verifier that is "more correct" than the signers
 * just rejects real clients. Error types and messages are AWS's own (see the report in the
 * pull request for which wordings were confirmed against recorded AWS responses).
 *
 * Not handled here: region/service checks (the caller routes by them), session tokens (read
 * and returned, not validated), SigV4a, and the chunk signatures of `STREAMING-*` payloads
 * (the S3 body decoder must verify those, seeded with the signature verified here).
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  AccessDeniedException,
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../shared/errors.js';
import { canonicalizeQueryComponent, percentDecode, uriEncode } from './uri-encode.js';

export interface SignedRequestView {
  method: string;
  /** Path exactly as received on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** Query string exactly as received, without '?'; '' if none. */
  rawQuery: string;
  /** Lower-case names; arrays are repeated headers (e.g. Node's `req.headersDistinct`). */
  headers: Record<string, string | string[] | undefined>;
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  presigned: boolean;
}

/** The parsed and shape-checked signature of a request; pass it back to verifySigV4 to skip re-parsing. */
export interface SigV4Auth extends CredentialScope {
  /** `date/region/service/aws4_request`, as it goes into the string to sign. */
  readonly scope: string;
  /** Request time in basic ISO 8601 (`YYYYMMDDTHHMMSSZ`), as it goes into the string to sign. */
  readonly amzDate: string;
  readonly timeMs: number;
  /** The SignedHeaders value exactly as sent (it is a line of the canonical request). */
  readonly signedHeaders: string;
  readonly signedHeaderNames: readonly string[];
  readonly signature: string;
  /** X-Amz-Expires of a presigned request; undefined for the header form. */
  readonly expiresSeconds: number | undefined;
  readonly sessionToken: string | undefined;
  /** x-amz-content-sha256 header (or X-Amz-Content-Sha256 of a presigned URL), if any. */
  readonly declaredPayloadHash: string | undefined;
  /** The parsed query, kept when parsing it was needed anyway (presigned form). */
  readonly query: readonly QueryParam[] | undefined;
}

export type SecretLookup = (
  accessKeyId: string,
) => { secretAccessKey: string; accountId: string } | undefined;

export interface VerifiedIdentity {
  accessKeyId: string;
  accountId: string;
  region: string;
  service: string;
  /** X-Amz-Security-Token as sent, for the caller to validate; undefined when absent. */
  sessionToken?: string | undefined;
}

export interface VerifyOptions {
  /** Defaults to a module-wide cache; the gateway should create one per server. */
  keyCache?: SigningKeyCache;
  /** The result of readCredentialScope for this same request, to avoid parsing twice. */
  parsed?: SigV4Auth;
}

/** One key-value pair of the query, both in canonical (strictly re-encoded) form. */
export interface QueryParam {
  readonly key: string;
  readonly value: string;
  readonly rawValue: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const SKEW_MS = 5 * 60 * 1000;
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60; // SigV4 signing keys are valid for a week at most
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
/** botocore's S3SigV4Auth and the S3 clients (uriEscapePath: false) neither normalise nor re-encode. */
const SINGLE_ENCODED_SERVICES = new Set(['s3', 's3-object-lambda', 's3-outposts']);

// ---------------------------------------------------------------------------------------------
// Signing-key cache: kSigning = HMAC chain over (date, region, service, "aws4_request") costs four
// HMACs, and every request of a day from one key uses the same one.

export interface SigningKeyCache {
  get(secretAccessKey: string, date: string, region: string, service: string): Buffer;
}

export function createSigningKeyCache(maxEntries = 256): SigningKeyCache {
  const keys = new Map<string, Buffer>();
  return {
    get(secretAccessKey, date, region, service) {
      // date/region/service come from a '/'-split credential, so they hold no '/': no collisions.
      const id = `${date}/${region}/${service}/${secretAccessKey}`;
      let key = keys.get(id);
      if (key === undefined) {
        key = hmac(`AWS4${secretAccessKey}`, date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, TERMINATOR);
        // Insertion-ordered Map: dropping the first entry evicts the oldest (yesterday's keys).
        if (keys.size >= maxEntries) keys.delete(keys.keys().next().value as string);
        keys.set(id, key);
      }
      return key;
    },
  };
}

const defaultKeyCache = createSigningKeyCache();

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

// ---------------------------------------------------------------------------------------------
// Parsing: everything that needs no secret and no clock.

/**
 * Cheap: reads only the Authorization header (or the X-Amz-* query parameters) so the gateway
 * can route by service before reading the body. Undefined when the request carries no SigV4
 * credential; throws IncompleteSignatureException / InvalidSignatureException when it carries
 * a malformed one.
 */
export function readCredentialScope(req: SignedRequestView): SigV4Auth | undefined {
  const authorization = firstValue(req.headers.authorization);
  if (authorization !== undefined && authorization.trim() !== '') {
    return parseAuthorizationHeader(authorization, req.headers);
  }
  // Substring test first: most unsigned requests have no query at all.
  if (req.rawQuery.includes('X-Amz-Algorithm')) {
    const query = parseQuery(req.rawQuery);
    if (query.some((p) => p.key === 'X-Amz-Algorithm')) return parsePresignedQuery(query, req.headers);
  }
  return undefined;
}

function parseAuthorizationHeader(value: string, headers: SignedRequestView['headers']): SigV4Auth {
  // AWS splits off the algorithm at the first blank, then reads key=value pairs separated by
  // commas and/or blanks ("Credential= AKID/..." fails on the blank, as it does on AWS).
  const trimmed = value.trim();
  const blank = trimmed.search(/\s/);
  const algorithm = blank < 0 ? trimmed : trimmed.slice(0, blank);
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  if (blank >= 0) {
    for (const pair of trimmed.slice(blank + 1).split(/[\s,]+/)) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) {
        // AWS no longer echoes the header here (it may hold a bearer token), only its hash.
        const digest = createHash('sha256').update(value, 'utf8').digest('base64');
        throw new IncompleteSignatureException(
          `Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '${digest}'.`,
        );
      }
      const key = pair.slice(0, eq);
      const val = pair.slice(eq + 1);
      if (key === 'Credential') credential ??= val;
      else if (key === 'SignedHeaders') signedHeaders ??= val;
      else if (key === 'Signature') signature ??= val;
    }
  }
  const amzDate = firstValue(headers['x-amz-date']);
  const rawDate = amzDate ?? firstValue(headers.date);
  const missing: string[] = [];
  if (credential === undefined) missing.push("Authorization header requires 'Credential' parameter.");
  if (signature === undefined) missing.push("Authorization header requires 'Signature' parameter.");
  if (signedHeaders === undefined) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  if (rawDate === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (
    credential === undefined ||
    signature === undefined ||
    signedHeaders === undefined ||
    rawDate === undefined
  ) {
    throw new IncompleteSignatureException(`${missing.join(' ')} Authorization=${value}`);
  }
  return finishParse({
    algorithm,
    credential,
    signedHeaders,
    signature,
    rawDate,
    // Only the Date header may use the HTTP date format; X-Amz-Date must be basic ISO 8601.
    allowHttpDate: amzDate === undefined,
    presigned: false,
    expiresSeconds: undefined,
    sessionToken: firstValue(headers['x-amz-security-token']),
    declaredPayloadHash: firstValue(headers['x-amz-content-sha256']),
    query: undefined,
  });
}

function parsePresignedQuery(query: QueryParam[], headers: SignedRequestView['headers']): SigV4Auth {
  const get = (name: string): string | undefined => {
    const param = query.find((p) => p.key === name);
    return param === undefined ? undefined : percentDecode(param.rawValue);
  };
  const algorithm = get('X-Amz-Algorithm') ?? '';
  const credential = get('X-Amz-Credential');
  const signature = get('X-Amz-Signature');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const rawDate = get('X-Amz-Date');
  if (
    credential === undefined ||
    signature === undefined ||
    signedHeaders === undefined ||
    rawDate === undefined
  ) {
    const missing: string[] = [];
    if (credential === undefined)
      missing.push("AWS query-string parameters must include 'X-Amz-Credential'.");
    if (signature === undefined) missing.push("AWS query-string parameters must include 'X-Amz-Signature'.");
    if (signedHeaders === undefined)
      missing.push("AWS query-string parameters must include 'X-Amz-SignedHeaders'.");
    if (rawDate === undefined) missing.push("AWS query-string parameters must include 'X-Amz-Date'.");
    throw new IncompleteSignatureException(`${missing.join(' ')} Re-examine the query-string parameters.`);
  }
  const rawExpires = get('X-Amz-Expires');
  let expiresSeconds: number | undefined;
  if (rawExpires !== undefined) {
    // S3's wordings: the only AWS messages about X-Amz-Expires we know of.
    if (!/^-?\d{1,12}$/.test(rawExpires))
      throw new IncompleteSignatureException('X-Amz-Expires should be a number');
    expiresSeconds = Number(rawExpires);
    if (expiresSeconds < 0) throw new IncompleteSignatureException('X-Amz-Expires must be non-negative');
    if (expiresSeconds > MAX_EXPIRES_SECONDS) {
      throw new IncompleteSignatureException(
        'X-Amz-Expires must be less than a week (in seconds) that is 604800',
      );
    }
  }
  return finishParse({
    algorithm,
    credential,
    signedHeaders,
    signature,
    rawDate,
    allowHttpDate: false,
    presigned: true,
    expiresSeconds,
    sessionToken: get('X-Amz-Security-Token'),
    // Signers hoist an x-amz-content-sha256 header into the query keeping its spelling, so
    // both X-Amz-Content-Sha256 (the S3 presigner's) and the lower-case form occur.
    declaredPayloadHash:
      firstValue(headers['x-amz-content-sha256']) ??
      get('X-Amz-Content-Sha256') ??
      get('x-amz-content-sha256'),
    query,
  });
}

interface RawAuth {
  algorithm: string;
  credential: string;
  signedHeaders: string;
  signature: string;
  rawDate: string;
  allowHttpDate: boolean;
  presigned: boolean;
  expiresSeconds: number | undefined;
  sessionToken: string | undefined;
  declaredPayloadHash: string | undefined;
  query: QueryParam[] | undefined;
}

/** The checks AWS makes after finding all parameters, in AWS's order (less the clock check). */
function finishParse(raw: RawAuth): SigV4Auth {
  const timeMs = parseRequestDate(raw.rawDate, raw.allowHttpDate);
  if (timeMs === undefined) {
    throw new IncompleteSignatureException(
      `Date must be in ISO-8601 'basic format'. Got '${raw.rawDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  // A parsed 16-character date is already basic ISO 8601; only an HTTP Date needs formatting.
  const amzDate = raw.rawDate.length === 16 ? raw.rawDate : formatBasicIso(timeMs);
  const signedHeaderNames = raw.signedHeaders.toLowerCase().split(';');
  if (!signedHeaderNames.includes('host') && !signedHeaderNames.includes(':authority')) {
    throw new InvalidSignatureException(HOST_NOT_SIGNED);
  }
  if (raw.algorithm !== ALGORITHM) {
    throw new IncompleteSignatureException(
      `Unsupported AWS 'algorithm': '${raw.algorithm}' (only ${ALGORITHM} for now). `,
    );
  }
  const parts = raw.credential.split('/');
  if (parts.length !== 5) {
    throw new IncompleteSignatureException(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${raw.credential}'`,
    );
  }
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  // AWS reports all scope problems at once, each sentence followed by a blank.
  let scopeErrors = '';
  if (terminator !== TERMINATOR) {
    scopeErrors += `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'. `;
  }
  if (date !== amzDate.slice(0, 8)) {
    scopeErrors += `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'. `;
  }
  if (scopeErrors !== '') throw new InvalidSignatureException(scopeErrors);
  return {
    accessKeyId,
    date,
    region,
    service,
    presigned: raw.presigned,
    scope: raw.credential.slice(accessKeyId.length + 1),
    amzDate,
    timeMs,
    signedHeaders: raw.signedHeaders,
    signedHeaderNames,
    signature: raw.signature,
    expiresSeconds: raw.expiresSeconds,
    sessionToken: raw.sessionToken,
    declaredPayloadHash: raw.declaredPayloadHash,
    query: raw.query,
  };
}

const BASIC_ISO = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function parseRequestDate(value: string, allowHttpDate: boolean): number | undefined {
  const m = BASIC_ISO.exec(value);
  if (m !== null) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    const second = Number(m[6]);
    if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
      return undefined;
    }
    const t = Date.UTC(year, month - 1, day, hour, minute, second);
    // Date.UTC rolls 20240230 over to 1 March: reject days the month does not have.
    return new Date(t).getUTCDate() === day ? t : undefined;
  }
  if (allowHttpDate && HTTP_DATE.test(value)) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function formatBasicIso(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  const s = d.toISOString(); // 2024-01-01T00:10:00.000Z (whole seconds kept, ms dropped below)
  if (s.length !== 24) return ''; // extended years (+275760-...) are not basic-format dates
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}T${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`;
}

function firstValue(v: string | string[] | undefined): string | undefined {
  // Node itself keeps only the first of repeated Authorization / Date headers.
  return Array.isArray(v) ? v[0] : v;
}

// ---------------------------------------------------------------------------------------------
// Verification.

/**
 * Verifies the signature. `payloadHash()` returns the lowercase hex SHA-256 of the body and is
 * called only when the canonical request or the body check needs it.
 */
export function verifySigV4(
  req: SignedRequestView,
  lookup: SecretLookup,
  now: Date,
  payloadHash: () => string,
  options: VerifyOptions = {},
): VerifiedIdentity {
  return checkSigV4Headers(req, lookup, now, options).verify(payloadHash);
}

/** What is left to check of a request whose headers passed: the signature, and the body against it. */
export interface PendingSignature {
  /**
   * Whether the signature covers the body's hash computed here (no `x-amz-content-sha256`
   * declared): then only the body can complete verification.
   */
  readonly needsBody: boolean;
  /** Whether the body must be hashed at all: to sign, or to hold it to a declared hash. */
  readonly needsBodyHash: boolean;
  /** Verifies the signature alone; only for `!needsBody` (throws InvalidSignatureException). */
  verifySignature(): void;
  /** Verifies the signature (unless already done) and the body against a declared hash. */
  verify(payloadHash: () => string): VerifiedIdentity;
}

/**
 * Every check that needs no body, in AWS's order: a credential is present and well formed,
 * the request time is within the skew (or the presigned URL unexpired), the access key is
 * known and every signed header is present. The gateway calls it before reading a body so an
 * anonymous or malformed request is refused without the server holding what it sends.
 */
export function checkSigV4Headers(
  req: SignedRequestView,
  lookup: SecretLookup,
  now: Date,
  options: VerifyOptions = {},
): PendingSignature {
  const auth = options.parsed ?? readCredentialScope(req);
  if (auth === undefined) throw new MissingAuthenticationTokenException();
  checkClock(auth, now.getTime());
  const secret = lookup(auth.accessKeyId);
  if (secret === undefined) throw new UnrecognizedClientException();

  const canonicalHeaders = buildCanonicalHeaders(auth.signedHeaderNames, req.headers);
  if (canonicalHeaders === undefined) throw new InvalidSignatureException(MISMATCH); // a signed header is absent

  const declared = auth.declaredPayloadHash;
  // The S3 presigners sign UNSIGNED-PAYLOAD; the others (smithy without the header, botocore
  // SigV4QueryAuth) sign the hash of the actual body, the empty body for a GET.
  const implied =
    declared === undefined && auth.presigned && SINGLE_ENCODED_SERVICES.has(auth.service)
      ? UNSIGNED_PAYLOAD
      : undefined;
  const signedPayload = declared ?? implied;
  // A declared hash is only a claim about the body: hold the body to it, or a body swapped
  // after signing would pass. UNSIGNED-PAYLOAD opts out; STREAMING-* bodies carry chunk signatures.
  const holdsBodyToDeclared =
    declared !== undefined && declared !== UNSIGNED_PAYLOAD && !declared.startsWith('STREAMING-');
  let signatureVerified = false;

  const verifySignature = (payload: string): void => {
    const canonicalRequest = `${req.method}\n${canonicalPath(req.rawPath, auth.service)}\n${canonicalQuery(
      auth.query ?? parseQuery(req.rawQuery),
      auth.presigned,
    )}\n${canonicalHeaders}\n${auth.signedHeaders}\n${payload}`;
    const stringToSign = `${ALGORITHM}\n${auth.amzDate}\n${auth.scope}\n${createHash('sha256')
      .update(canonicalRequest, 'utf8')
      .digest('hex')}`;
    const key = (options.keyCache ?? defaultKeyCache).get(
      secret.secretAccessKey,
      auth.date,
      auth.region,
      auth.service,
    );
    const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
    if (
      !/^[0-9a-f]{64}$/.test(auth.signature) ||
      !timingSafeEqual(Buffer.from(auth.signature, 'hex'), expected)
    ) {
      throw new InvalidSignatureException(MISMATCH);
    }
    signatureVerified = true;
  };

  return {
    needsBody: signedPayload === undefined,
    needsBodyHash: signedPayload === undefined || holdsBodyToDeclared,
    verifySignature() {
      if (signedPayload === undefined)
        throw new Error('the signature covers the body: verify it with the body');
      if (!signatureVerified) verifySignature(signedPayload);
    },
    verify(payloadHash) {
      if (!signatureVerified) verifySignature(signedPayload ?? payloadHash());
      if (holdsBodyToDeclared && payloadHash() !== (declared as string).toLowerCase()) {
        throw new InvalidSignatureException(MISMATCH);
      }
      return {
        accessKeyId: auth.accessKeyId,
        accountId: secret.accountId,
        region: auth.region,
        service: auth.service,
        sessionToken: auth.sessionToken,
      };
    },
  };
}

function checkClock(auth: SigV4Auth, nowMs: number): void {
  const t = auth.timeMs;
  if (auth.expiresSeconds !== undefined) {
    // Presigned URLs live for X-Amz-Expires after X-Amz-Date; AWS answers these in S3's words.
    if (t > nowMs + SKEW_MS) throw new AccessDeniedException('Request is not yet valid');
    if (nowMs > t + auth.expiresSeconds * 1000) throw new AccessDeniedException('Request has expired');
    return;
  }
  if (t < nowMs - SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature expired: ${auth.amzDate} is now earlier than ${formatBasicIso(nowMs - SKEW_MS)} (${formatBasicIso(nowMs)} - 5 min.)`,
    );
  }
  if (t > nowMs + SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${auth.amzDate} is still later than ${formatBasicIso(nowMs + SKEW_MS)} (${formatBasicIso(nowMs)} + 5 min.)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Canonical request parts.

/**
 * Non-S3: drop empty, `.` and `..` segments (smithy and botocore both collapse `//` too, despite
 * RFC 3986), then encode the still-encoded path once more (`%3A` → `%253A`). S3: the path as sent.
 */
export function canonicalPath(rawPath: string, service: string): string {
  if (rawPath === '') return '/';
  if (SINGLE_ENCODED_SERVICES.has(service)) return rawPath;
  let path = rawPath;
  if (path.charCodeAt(0) !== 47 || path.includes('//') || path.includes('/.')) {
    const segments: string[] = [];
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') segments.pop();
      else segments.push(segment);
    }
    const lead = path.startsWith('/') ? '/' : '';
    const trail = segments.length > 0 && path.endsWith('/') ? '/' : '';
    path = `${lead}${segments.join('/')}${trail}`;
  }
  return uriEncode(path, true);
}

export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue; // `a=1&&b=2`: no SDK sends an empty pair
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1); // `?flag` signs as `flag=`
    params.push({
      key: canonicalizeQueryComponent(rawKey),
      value: canonicalizeQueryComponent(rawValue),
      rawValue,
    });
  }
  return params;
}

/** Sorted by encoded key, then encoded value (byte order: both are ASCII by now). */
export function canonicalQuery(params: readonly QueryParam[], presigned: boolean): string {
  if (params.length === 0) return '';
  // Presigned: the signature cannot sign itself (smithy drops it case-insensitively).
  const kept = presigned ? params.filter((p) => p.key.toLowerCase() !== 'x-amz-signature') : params.slice();
  kept.sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0,
  );
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    const p = kept[i] as QueryParam;
    out += i === 0 ? `${p.key}=${p.value}` : `&${p.key}=${p.value}`;
  }
  return out;
}

const NEEDS_TRIM = /[\t\r\n]| {2}|^ | $/;

function canonicalHeaderValue(value: string): string {
  if (!NEEDS_TRIM.test(value)) return value;
  // smithy's rule: line breaks become blanks, runs of blanks/tabs one blank, trimmed.
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

/** `name:value\n` for each signed header, in SignedHeaders order; undefined if one is absent. */
function buildCanonicalHeaders(
  names: readonly string[],
  headers: SignedRequestView['headers'],
): string | undefined {
  let out = '';
  for (const name of names) {
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (value === undefined) return undefined;
    const canonical = Array.isArray(value)
      ? value.map(canonicalHeaderValue).join(',')
      : canonicalHeaderValue(value);
    out += `${name}:${canonical}\n`;
  }
  return out;
}
