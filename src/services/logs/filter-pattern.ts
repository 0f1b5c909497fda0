/**
 * CloudWatch Logs filter patterns (FilterLogEvents, and later subscription/metric filters and
 * Live Tail), compiled once into a matcher over one event message.
 *
 * The syntax, from AWS's "Filter pattern syntax for metric filters, subscription filters,
 * filter log events, and Live Tail":
 *
 * - empty (or only spaces, or `" "`): every event matches.
 * - unstructured terms, case sensitive, matched as substrings: `ERROR` (contains), `ERROR
 *   ARGUMENTS` (all of them), `"INTERNAL SERVER ERROR"` (an exact phrase; quote anything that
 *   is not alphanumeric), `?ERROR ?WARN` (any of them), `ERROR -ARGUMENTS` (exclude).
 *   Mixed forms combine as: every plain term, at least one `?` term (when there are any), and
 *   none of the `-` terms.
 * - a regular expression between percent signs: `%AUTHORI[SZ]ED%`.
 * - JSON: `{ $.field = "value" }` on messages that are JSON documents. Selectors `$.a.b`,
 *   `$.a[0]`, `$.a[0].b[1]`; `=` and `!=` on strings (quoted or bare, `*` is a wildcard, or a
 *   `%regex%`), numbers and booleans; `<`, `<=`, `>`, `>=` on numbers; `IS NULL`, `NOT EXISTS`,
 *   `IS TRUE`, `IS FALSE`; `&&` binds tighter than `||`; parentheses group.
 * - space-delimited: `[ip, user, ..., status = 4* || status = 5*, bytes]` on messages split at
 *   spaces, text in `""` or `[]` being one field; `...` stands for any number of fields.
 *
 * Choices where AWS's documentation is silent (docs/parity/logs.md): a JSON comparison on a
 * field that does not exist is false for `!=` too; a number compared with `=` to a bare
 * numeric literal compares numerically, any other scalar compares its text; a JSON pattern on
 * a message that is not a JSON object matches nothing.
 */

export class FilterPatternError extends Error {}

export interface CompiledFilterPattern {
  readonly kind: 'all' | 'terms' | 'regex' | 'json' | 'delimited';
  matches(message: string): boolean;
  /** Substrings every matching message contains: lets storage pre-filter before `matches`. */
  readonly requiredSubstrings: readonly string[];
}

const MATCH_ALL: CompiledFilterPattern = { kind: 'all', matches: () => true, requiredSubstrings: [] };

export function compileFilterPattern(pattern: string | undefined): CompiledFilterPattern {
  const text = (pattern ?? '').trim();
  if (text === '') return MATCH_ALL;
  if (text.startsWith('{')) return compileJson(text);
  if (text.startsWith('[')) return compileDelimited(text);
  if (text.length >= 2 && text.startsWith('%') && text.endsWith('%')) {
    const re = compileRegex(text.slice(1, -1));
    return { kind: 'regex', matches: (m) => re.test(m), requiredSubstrings: [] };
  }
  return compileTerms(text);
}

function fail(reason: string): never {
  throw new FilterPatternError(reason);
}

function compileRegex(source: string): RegExp {
  if (source === '') fail('empty regular expression');
  // AWS supports no groups in filter-pattern regexes.
  if (/[()]/.test(source)) fail('parentheses are not supported in regular expressions');
  try {
    return new RegExp(source);
  } catch {
    return fail(`invalid regular expression %${source}%`);
  }
}

// ---- unstructured terms -------------------------------------------------------------------

function compileTerms(text: string): CompiledFilterPattern {
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text.charAt(i))) {
      i++;
      continue;
    }
    let bucket = all;
    const lead = text.charAt(i);
    if ((lead === '?' || lead === '-') && i + 1 < text.length && !/\s/.test(text.charAt(i + 1))) {
      bucket = lead === '?' ? any : none;
      i++;
    }
    let term: string;
    if (text.charAt(i) === '"') {
      const read = readQuoted(text, i);
      term = read.value;
      i = read.end;
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text.charAt(i))) i++;
      term = text.slice(start, i);
    }
    // `" "` and `""` are AWS's way of writing "everything".
    if (term.trim() === '') continue;
    bucket.push(term);
  }
  if (all.length === 0 && any.length === 0 && none.length === 0) return MATCH_ALL;
  return {
    kind: 'terms',
    requiredSubstrings: all,
    matches: (m) =>
      all.every((t) => m.includes(t)) &&
      (any.length === 0 || any.some((t) => m.includes(t))) &&
      !none.some((t) => m.includes(t)),
  };
}

/** Reads `"..."` starting at `start` (the opening quote); `\"` and `\\` are escapes. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length) {
      value += text.charAt(i + 1);
      i += 2;
      continue;
    }
    if (c === '"') return { value, end: i + 1 };
    value += c;
    i++;
  }
  return fail('unterminated quoted string');
}

// ---- values shared by JSON and space-delimited patterns ------------------------------------

type Literal =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'string'; text: string; glob?: RegExp }
  | { kind: 'regex'; re: RegExp };

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function literalOf(text: string, quoted: boolean): Literal {
  if (!quoted && NUMBER.test(text)) return { kind: 'number', value: Number(text), text };
  if (!quoted && text.length >= 2 && text.startsWith('%') && text.endsWith('%')) {
    return { kind: 'regex', re: compileRegex(text.slice(1, -1)) };
  }
  if (!text.includes('*')) return { kind: 'string', text };
  const source = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return { kind: 'string', text, glob: new RegExp(`^${source}$`) };
}

/** Compares a scalar field value with a literal; `undefined` means the field is absent. */
function compare(value: unknown, op: CompareOp, literal: Literal): boolean {
  if (value === undefined) return false;
  if (op === '=' || op === '!=') {
    const equal = equals(value, literal);
    return op === '=' ? equal : !equal;
  }
  if (literal.kind !== 'number') return false;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && NUMBER.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (Number.isNaN(n)) return false;
  switch (op) {
    case '<':
      return n < literal.value;
    case '<=':
      return n <= literal.value;
    case '>':
      return n > literal.value;
    default:
      return n >= literal.value;
  }
}

function equals(value: unknown, literal: Literal): boolean {
  if (value === null || typeof value === 'object') return false;
  if (literal.kind === 'number' && typeof value === 'number') return value === literal.value;
  const text = String(value);
  if (literal.kind === 'regex') return literal.re.test(text);
  if (literal.kind === 'number')
    return text === literal.text || (NUMBER.test(text.trim()) && Number(text) === literal.value);
  return literal.glob ? literal.glob.test(text) : text === literal.text;
}

// ---- JSON patterns ------------------------------------------------------------------------

type Segment = string | number;

type JsonExpr =
  | { kind: 'or' | 'and'; left: JsonExpr; right: JsonExpr }
  | { kind: 'compare'; path: Segment[]; op: CompareOp; literal: Literal }
  | { kind: 'test'; path: Segment[]; test: 'null' | 'true' | 'false' | 'not-exists' | 'exists' };

class Scanner {
  i = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text.charAt(this.i))) this.i++;
  }
  peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.i);
  }
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.i += s.length;
    return true;
  }
  expect(s: string): void {
    if (!this.eat(s)) fail(`expected '${s}' at position ${this.i}`);
  }
  /** A keyword (case-insensitive) followed by a non-word character. */
  eatWord(word: string): boolean {
    this.skipSpace();
    const candidate = this.text.slice(this.i, this.i + word.length);
    const next = this.text.charAt(this.i + word.length);
    if (candidate.toUpperCase() !== word || /\w/.test(next)) return false;
    this.i += word.length;
    return true;
  }
  get done(): boolean {
    this.skipSpace();
    return this.i >= this.text.length;
  }
}

function compileJson(text: string): CompiledFilterPattern {
  const s = new Scanner(text);
  s.expect('{');
  const expr = parseOr(s, '}');
  s.expect('}');
  if (!s.done) fail('unexpected text after the closing }');
  return {
    kind: 'json',
    requiredSubstrings: [],
    matches(message) {
      const doc = parseJsonMessage(message);
      return doc !== undefined && evaluate(expr, doc);
    },
  };
}

function parseJsonMessage(message: string): unknown {
  const trimmed = message.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

function parseOr(s: Scanner, closer: string): JsonExpr {
  let left = parseAnd(s, closer);
  while (s.eat('||')) left = { kind: 'or', left, right: parseAnd(s, closer) };
  return left;
}

function parseAnd(s: Scanner, closer: string): JsonExpr {
  let left = parseUnary(s, closer);
  while (s.eat('&&')) left = { kind: 'and', left, right: parseUnary(s, closer) };
  return left;
}

function parseUnary(s: Scanner, closer: string): JsonExpr {
  if (s.eat('(')) {
    const inner = parseOr(s, ')');
    s.expect(')');
    return inner;
  }
  const path = parseSelector(s);
  if (s.eatWord('IS')) {
    if (s.eatWord('NULL')) return { kind: 'test', path, test: 'null' };
    if (s.eatWord('TRUE')) return { kind: 'test', path, test: 'true' };
    if (s.eatWord('FALSE')) return { kind: 'test', path, test: 'false' };
    return fail('expected NULL, TRUE or FALSE after IS');
  }
  if (s.eatWord('NOT')) {
    if (s.eatWord('EXISTS')) return { kind: 'test', path, test: 'not-exists' };
    return fail('expected EXISTS after NOT');
  }
  if (s.eatWord('EXISTS')) return { kind: 'test', path, test: 'exists' };
  const op = parseOperator(s);
  return { kind: 'compare', path, op, literal: parseValue(s, closer) };
}

function parseSelector(s: Scanner): Segment[] {
  s.skipSpace();
  if (!s.eat('$')) fail(`expected a selector starting with $ at position ${s.i}`);
  const path: Segment[] = [];
  for (;;) {
    const c = s.text.charAt(s.i);
    if (c === '.') {
      s.i++;
      const m = /^[^\s.[\]=!<>()&|{}]+/.exec(s.text.slice(s.i));
      if (!m) fail(`expected a field name at position ${s.i}`);
      path.push(m[0]);
      s.i += m[0].length;
    } else if (c === '[') {
      const m = /^\[\s*(\d+)\s*\]/.exec(s.text.slice(s.i));
      if (!m) fail(`expected an array index at position ${s.i}`);
      path.push(Number(m[1]));
      s.i += m[0].length;
    } else {
      break;
    }
  }
  if (path.length === 0) fail('a selector must name a field, e.g. $.level');
  return path;
}

function parseOperator(s: Scanner): CompareOp {
  for (const op of ['!=', '<=', '>=', '=', '<', '>'] as const) if (s.eat(op)) return op;
  return fail(`expected a comparison operator at position ${s.i}`);
}

function parseValue(s: Scanner, closer: string): Literal {
  s.skipSpace();
  if (s.text.charAt(s.i) === '"') {
    const read = readQuoted(s.text, s.i);
    s.i = read.end;
    return literalOf(read.value, true);
  }
  const start = s.i;
  while (s.i < s.text.length) {
    const c = s.text.charAt(s.i);
    if (
      /\s/.test(c) ||
      c === ')' ||
      c === closer ||
      s.text.startsWith('&&', s.i) ||
      s.text.startsWith('||', s.i)
    )
      break;
    s.i++;
  }
  const text = s.text.slice(start, s.i);
  if (text === '') fail(`expected a value at position ${start}`);
  return literalOf(text, false);
}

function resolve(doc: unknown, path: readonly Segment[]): unknown {
  let node: unknown = doc;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) return undefined;
      node = node[segment];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, segment))
        return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
  }
  return node;
}

function evaluate(expr: JsonExpr, doc: unknown): boolean {
  switch (expr.kind) {
    case 'or':
      return evaluate(expr.left, doc) || evaluate(expr.right, doc);
    case 'and':
      return evaluate(expr.left, doc) && evaluate(expr.right, doc);
    case 'compare':
      return compare(resolve(doc, expr.path), expr.op, expr.literal);
    case 'test': {
      const value = resolve(doc, expr.path);
      switch (expr.test) {
        case 'null':
          return value === null;
        case 'true':
          return value === true;
        case 'false':
          return value === false;
        case 'exists':
          return value !== undefined;
        default:
          return value === undefined;
      }
    }
  }
}

// ---- space-delimited patterns -------------------------------------------------------------

type FieldCondition =
  | { kind: 'or' | 'and'; left: FieldCondition; right: FieldCondition }
  | { kind: 'compare'; name: string; op: CompareOp; literal: Literal };

interface FieldSpec {
  /** `undefined` for `...`. */
  name?: string;
  condition?: FieldCondition;
}

function compileDelimited(text: string): CompiledFilterPattern {
  if (!text.endsWith(']')) fail('a space-delimited pattern must end with ]');
  const specs = splitTopLevel(text.slice(1, -1)).map(parseFieldSpec);
  if (specs.length === 0) fail('a space-delimited pattern needs at least one field');
  const conditions = specs.flatMap((spec) => (spec.condition ? [spec.condition] : []));
  return {
    kind: 'delimited',
    requiredSubstrings: [],
    matches(message) {
      const fields = splitFields(message);
      return layouts(specs, fields).some((values) => conditions.every((c) => evaluateField(c, values)));
    },
  };
}

/** Splits at commas outside quotes. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c === '"' && body.charAt(i - 1) !== '\\') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) fail('unterminated quoted string');
  if (current.trim() !== '' || parts.length > 0) parts.push(current.trim());
  return parts;
}

function parseFieldSpec(part: string): FieldSpec {
  if (part === '...') return {};
  if (part === '') fail('empty field in a space-delimited pattern');
  const name = /^[A-Za-z_][\w-]*/.exec(part)?.[0];
  if (!name) fail(`invalid field '${part}'`);
  if (part.trim() === name) return { name };
  const s = new Scanner(part);
  const condition = parseFieldOr(s);
  if (!s.done) fail(`unexpected text in field '${part}'`);
  return { name, condition };
}

function parseFieldOr(s: Scanner): FieldCondition {
  let left = parseFieldAnd(s);
  while (s.eat('||')) left = { kind: 'or', left, right: parseFieldAnd(s) };
  return left;
}

function parseFieldAnd(s: Scanner): FieldCondition {
  let left = parseFieldCompare(s);
  while (s.eat('&&')) left = { kind: 'and', left, right: parseFieldCompare(s) };
  return left;
}

function parseFieldCompare(s: Scanner): FieldCondition {
  s.skipSpace();
  const name = /^[A-Za-z_][\w-]*/.exec(s.text.slice(s.i))?.[0];
  if (!name) fail(`expected a field name at position ${s.i}`);
  s.i += name.length;
  const op = parseOperator(s);
  return { kind: 'compare', name, op, literal: parseValue(s, ',') };
}

function evaluateField(c: FieldCondition, values: ReadonlyMap<string, string>): boolean {
  switch (c.kind) {
    case 'or':
      return evaluateField(c.left, values) || evaluateField(c.right, values);
    case 'and':
      return evaluateField(c.left, values) && evaluateField(c.right, values);
    default:
      return compare(values.get(c.name), c.op, c.literal);
  }
}

/** Splits a message at spaces; `"..."` and `[...]` are single fields (without their delimiters). */
export function splitFields(message: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const text = message.trim();
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const close = c === '"' ? '"' : c === '[' ? ']' : undefined;
    if (close) {
      const end = text.indexOf(close, i + 1);
      if (end !== -1) {
        fields.push(text.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    const start = i;
    while (i < text.length && text.charAt(i) !== ' ' && text.charAt(i) !== '\t') i++;
    fields.push(text.slice(start, i));
  }
  return fields;
}

/** Every way the specs (with `...` taking any number of fields) cover the fields exactly. */
function layouts(specs: readonly FieldSpec[], fields: readonly string[]): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  const walk = (si: number, fi: number, values: Map<string, string>): void => {
    if (out.length >= 16) return;
    if (si === specs.length) {
      if (fi === fields.length) out.push(new Map(values));
      return;
    }
    const spec = specs[si] as FieldSpec;
    if (spec.name === undefined) {
      for (let take = 0; fi + take <= fields.length; take++) walk(si + 1, fi + take, values);
      return;
    }
    if (fi >= fields.length) return;
    values.set(spec.name, fields[fi] as string);
    walk(si + 1, fi + 1, values);
    values.delete(spec.name);
  };
  walk(0, 0, new Map());
  return out;
}
