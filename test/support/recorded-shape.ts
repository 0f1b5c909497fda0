/**
 * Compares a value Lambent produced with one recorded from AWS whose dynamic parts the recording
 * normalised (LocalStack's snapshot transformers): `<name:1>` stands for one value wherever it
 * appears (and two numbers of one name for two different values), `<name>` for any value, and a
 * few whole values stand for a kind of value (`date`, `sequencer`, `amz-request-id`, ...), which
 * the comparison checks by form. Everything else must be equal, field set included.
 * Used by unit tests that replay recorded shapes without a server (S3 notifications).
 */
import fs from 'node:fs';
import path from 'node:path';
import { conformanceDir } from './conformance.js';

/** The recorded content of one test of one module, e.g. (`test_s3_notifications_sqs`, `TestS3NotificationsToSQS::test_key_encoding`). */
export function recorded(module: string, test: string): Record<string, unknown> {
  const file = path.join(conformanceDir(), 'aws-recorded', `${module}.snapshot.json`);
  const all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<
    string,
    { 'recorded-content': Record<string, unknown> }
  >;
  const folder = module.startsWith('test_s3') ? 's3' : module.replace(/^test_/, '').split('_')[0];
  const entry = all[`tests/aws/services/${folder}/${module}.py::${test}`];
  if (!entry) throw new Error(`no recording ${module}::${test}`);
  return entry['recorded-content'];
}

/** Whole recorded values that stand for a kind of value, with the form the actual one must have. */
const KINDS: Record<string, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/,
  sequencer: /^[0-9A-F]{16,}$/,
  'object-sequencer': /^[0-9A-F]{16,}$/,
  'amz-request-id': /^\S+$/,
  'amz-id': /^\S+$/,
  'request-id': /^\S+$/,
  'version-id': /^\S+$/,
};

export class Bindings {
  private readonly byPlaceholder = new Map<string, string>();
  private readonly byValue = new Map<string, string>();

  bind(placeholder: string, value: string, where: string, problems: string[]): void {
    const numbered = /:\d+>$/.test(placeholder);
    if (!numbered) return;
    const had = this.byPlaceholder.get(placeholder);
    if (had !== undefined && had !== value)
      problems.push(`${where}: ${placeholder} was ${had}, now ${value}`);
    const kind = placeholder.replace(/:\d+>$/, '');
    const other = this.byValue.get(`${kind}|${value}`);
    if (other !== undefined && other !== placeholder)
      problems.push(`${where}: ${value} is both ${other} and ${placeholder}`);
    this.byPlaceholder.set(placeholder, value);
    this.byValue.set(`${kind}|${value}`, placeholder);
  }
}

function matchString(actual: string, expected: string, where: string, b: Bindings, problems: string[]): void {
  const kind = KINDS[expected];
  if (kind) {
    if (!kind.test(actual)) problems.push(`${where}: ${JSON.stringify(actual)} is not a ${expected}`);
    return;
  }
  const placeholders = expected.match(/<[^<>]+>/g);
  if (!placeholders) {
    if (actual !== expected)
      problems.push(`${where}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
    return;
  }
  const pattern = expected
    .split(/<[^<>]+>/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('(.+?)');
  const m = new RegExp(`^${pattern}$`).exec(actual);
  if (!m) {
    problems.push(`${where}: ${JSON.stringify(actual)} does not fit ${JSON.stringify(expected)}`);
    return;
  }
  placeholders.forEach((p, i) => {
    b.bind(p, m[i + 1] ?? '', where, problems);
  });
}

function walk(actual: unknown, expected: unknown, where: string, b: Bindings, problems: string[]): void {
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') problems.push(`${where}: ${JSON.stringify(actual)} is not a string`);
    else matchString(actual, expected, where, b, problems);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      problems.push(`${where}: expected an array of ${expected.length}`);
      return;
    }
    expected.forEach((e, i) => {
      walk(actual[i], e, `${where}[${i}]`, b, problems);
    });
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const missing = Object.keys(e).filter((k) => !(k in a));
    const extra = Object.keys(a).filter((k) => !(k in e));
    if (missing.length) problems.push(`${where}: missing ${missing.join(', ')}`);
    if (extra.length) problems.push(`${where}: unexpected ${extra.join(', ')}`);
    for (const k of Object.keys(e)) if (k in a) walk(a[k], e[k], `${where}.${k}`, b, problems);
    return;
  }
  if (actual !== expected) problems.push(`${where}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
}

/** The differences between `actual` and the recorded `expected` (empty when they match). */
export function shapeDifferences(
  actual: unknown,
  expected: unknown,
  bindings: Bindings = new Bindings(),
): string[] {
  const problems: string[] = [];
  walk(JSON.parse(JSON.stringify(actual)), expected, '$', bindings, problems);
  return problems;
}

/** Key order, recursively: for recordings that kept AWS's field order (SNS messages, raw SQS bodies). */
export function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, keyOrder(v)]);
  }
  return null;
}
