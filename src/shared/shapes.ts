/**
 * A small model of AWS input shapes and the validator that checks a decoded request
 * against it, producing AWS's own messages ("1 validation error detected: Value '0' at
 * 'memorySize' failed to satisfy constraint: Member must have value greater than or equal
 * to 128"). Services declare their shapes; protocols decode into plain values; this checks
 * types (SerializationException) and constraints (ValidationException).
 */
import { SerializationException, ValidationException, validationMessage } from './errors.js';

export type Shape =
  | {
      type: 'string';
      min?: number;
      max?: number;
      pattern?: string;
      enum?: readonly string[];
      /** Values accepted besides `enum` but not listed in AWS's message (e.g. retired runtimes). */
      alsoAccepted?: readonly string[];
    }
  | { type: 'integer' | 'double'; min?: number; max?: number }
  | { type: 'boolean' }
  | { type: 'blob'; min?: number; max?: number }
  | { type: 'timestamp' }
  | {
      type: 'list';
      member: Member;
      min?: number;
      max?: number;
      /** AWS reports some lists' member failures bare rather than as "Member must satisfy constraint: [...]". */
      bareMemberFailures?: boolean;
      /** rest-xml: the members repeat in place, without a wrapping element (S3's `Contents`). */
      flattened?: boolean;
    }
  | { type: 'map'; key: Member; value: Member; min?: number; max?: number }
  | { type: 'structure'; members: Readonly<Record<string, Member>> }
  | { type: 'any' };

/**
 * A member of a structure. `location` says where a REST protocol carries it (default: the
 * JSON body); `locationName` is its name there (a URI label, query key or header name).
 */
export type Member = Shape & {
  required?: boolean;
  /** `headers`: a map carried as every header with the `locationName` prefix (S3's `x-amz-meta-`). */
  location?: 'uri' | 'querystring' | 'header' | 'headers';
  locationName?: string;
};

export type StructureShape = Extract<Shape, { type: 'structure' }>;

export function structure(members: Record<string, Member>): StructureShape {
  return { type: 'structure', members };
}

/** The lowerCamel path AWS prints: `Environment.Variables` → `environment.variables`. */
function memberPath(parent: string, name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return parent ? `${parent}.${camel}` : camel;
}

/** AWS prints values Java-style: strings bare inside quotes, lists `[a, b]`, maps `{k=v}`. */
export function formatValue(value: unknown, shape?: Shape): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    const member = shape?.type === 'list' ? shape.member : undefined;
    return `[${value.map((v) => formatValue(v, member)).join(', ')}]`;
  }
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    const valueShape = shape?.type === 'map' ? shape.value : undefined;
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${formatValue(v, valueShape)}`)
      .join(', ')}}`;
  }
  // Java prints doubles with a fraction: 2 → "2.0".
  if (typeof value === 'number' && shape?.type === 'double' && Number.isInteger(value))
    return value.toFixed(1);
  return String(value);
}

/** Every constraint a shape declares, in AWS's order, used for "Member must satisfy constraint: [...]". */
function describeConstraints(shape: Member): string[] {
  const out: string[] = [];
  if ('enum' in shape && shape.enum)
    out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  if ('max' in shape && shape.max !== undefined) {
    out.push(`Member must have ${sizeWord(shape)} less than or equal to ${formatBound(shape, shape.max)}`);
  }
  if ('min' in shape && shape.min !== undefined) {
    out.push(`Member must have ${sizeWord(shape)} greater than or equal to ${formatBound(shape, shape.min)}`);
  }
  if ('pattern' in shape && shape.pattern)
    out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  // Only members modeled as required list this one (recorded: architectures, alias weights).
  if (shape.required) out.push('Member must not be null');
  return out;
}

function sizeWord(shape: Shape): 'value' | 'length' {
  return shape.type === 'integer' || shape.type === 'double' ? 'value' : 'length';
}

function formatBound(shape: Shape, n: number): string {
  return shape.type === 'double' && Number.isInteger(n) ? n.toFixed(1) : String(n);
}

const patternCache = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    patternCache.set(pattern, re);
  }
  return re.test(value);
}

/** Constraint failures of one value (not null) against its shape, without descending. */
function ownFailures(shape: Shape, value: unknown): string[] {
  const failures: string[] = [];
  const size =
    shape.type === 'string'
      ? (value as string).length
      : shape.type === 'list'
        ? (value as unknown[]).length
        : shape.type === 'map'
          ? Object.keys(value as object).length
          : shape.type === 'blob'
            ? (value as Buffer).length
            : shape.type === 'integer' || shape.type === 'double'
              ? (value as number)
              : undefined;
  if (
    shape.type === 'string' &&
    shape.enum &&
    !shape.enum.includes(value as string) &&
    !shape.alsoAccepted?.includes(value as string)
  ) {
    failures.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  if (size !== undefined && 'max' in shape && shape.max !== undefined && size > shape.max) {
    failures.push(
      `Member must have ${sizeWord(shape)} less than or equal to ${formatBound(shape, shape.max)}`,
    );
  }
  if (size !== undefined && 'min' in shape && shape.min !== undefined && size < shape.min) {
    failures.push(
      `Member must have ${sizeWord(shape)} greater than or equal to ${formatBound(shape, shape.min)}`,
    );
  }
  if (shape.type === 'string' && shape.pattern && !fullMatch(shape.pattern, value as string)) {
    failures.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
  return failures;
}

function typeMatches(shape: Shape, value: unknown): boolean {
  switch (shape.type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'blob':
      return Buffer.isBuffer(value);
    case 'timestamp':
      return typeof value === 'number' || typeof value === 'string' || value instanceof Date;
    case 'list':
      return Array.isArray(value);
    case 'map':
    case 'structure':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'any':
      return true;
  }
}

function collect(shape: Member, value: unknown, at: string, out: string[]): void {
  if (value === null || value === undefined) {
    if (shape.required)
      out.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
    return;
  }
  if (!typeMatches(shape, value)) {
    throw new SerializationException(`Unexpected value type at '${at}': expected ${shape.type}`);
  }
  const failures = ownFailures(shape, value);
  if (failures.length) {
    for (const f of failures)
      out.push(`Value ${quote(value, shape)} at '${at}' failed to satisfy constraint: ${f}`);
    return;
  }
  if (shape.type === 'structure') {
    const record = value as Record<string, unknown>;
    for (const [name, member] of Object.entries(shape.members)) {
      collect(member, record[name], memberPath(at, name), out);
    }
  } else if (shape.type === 'list') {
    const items = value as unknown[];
    for (const item of items) {
      if (
        item === null ||
        item === undefined ||
        !typeMatches(shape.member, item) ||
        ownFailures(shape.member, item).length
      ) {
        if (item !== null && item !== undefined && !typeMatches(shape.member, item)) {
          throw new SerializationException(
            `Unexpected value type at '${at}': expected list of ${shape.member.type}`,
          );
        }
        const what =
          shape.bareMemberFailures && item !== null && item !== undefined
            ? ownFailures(shape.member, item).join(', ')
            : `Member must satisfy constraint: [${describeConstraints(shape.member).join(', ')}]`;
        out.push(`Value ${quote(value, shape)} at '${at}' failed to satisfy constraint: ${what}`);
        return;
      }
    }
    items.forEach((item, i) => {
      if (shape.member.type === 'structure') collect(shape.member, item, `${at}.${i + 1}.member`, out);
    });
  } else if (shape.type === 'map') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.some(([k]) => ownFailures(shape.key, k).length)) {
      out.push(
        `Value ${quote(value, shape)} at '${at}' failed to satisfy constraint: Map keys must satisfy constraint: [${describeConstraints(shape.key).join(', ')}]`,
      );
    }
    for (const [, v] of entries) {
      if (v !== null && v !== undefined && !typeMatches(shape.value, v)) {
        throw new SerializationException(
          `Unexpected value type at '${at}': expected map of ${shape.value.type}`,
        );
      }
    }
    if (entries.some(([, v]) => v === null || v === undefined || ownFailures(shape.value, v).length)) {
      out.push(
        `Value ${quote(value, shape)} at '${at}' failed to satisfy constraint: Map value must satisfy constraint: [${describeConstraints(shape.value).join(', ')}]`,
      );
    }
  }
}

function quote(value: unknown, shape: Shape): string {
  return `'${formatValue(value, shape)}'`;
}

/** Throws SerializationException for wrong JSON types, ValidationException for constraint failures. */
export function validateInput(shape: StructureShape, input: Record<string, unknown>): void {
  const failures: string[] = [];
  for (const [name, member] of Object.entries(shape.members)) {
    collect(member, input[name], memberPath('', name), failures);
  }
  if (failures.length) throw new ValidationException(validationMessage(failures));
}
