/**
 * The awsQuery request body → the operation's input shape. A query request is a form
 * (`application/x-www-form-urlencoded`, or the URL's query string on GET) of flat keys:
 *
 *   Namespace=AWS/Lambda                            a scalar member
 *   Dimensions.member.1.Name=FunctionName            a list (1-based, `member`), of structures
 *   Attributes.entry.1.key=k&Attributes.entry.1.value=v   a map (1-based, `entry`)
 *   LabelOptions.Timezone=+0130                      a nested structure
 *   Dimensions=                                      an empty list (botocore sends this)
 *
 * Members are named by `locationName` when the model gives one. Values are typed from the
 * shape: integers and doubles parsed strictly, booleans `true`/`false`, timestamps ISO 8601
 * or epoch seconds (→ Date), blobs base64 (→ Buffer). A value that does not parse is AWS's
 * `InvalidParameterValue`. Keys the shape does not name are ignored, as AWS does.
 */
import { awsError } from '../../shared/errors.js';
import type { Member, Shape, StructureShape } from '../../shared/shapes.js';

export class InvalidParameterValue extends awsError('InvalidParameterValue', 400) {}

/** A form's keys and, for every key, each of its dotted prefixes: "is anything under X?". */
export interface FormView {
  get(key: string): string | undefined;
  has(key: string): boolean;
  /** Whether some key starts with `prefix.` */
  hasUnder(prefix: string): boolean;
}

export function formView(params: URLSearchParams): FormView {
  const values = new Map<string, string>();
  const prefixes = new Set<string>();
  for (const [key, value] of params) {
    values.set(key, value);
    let dot = key.indexOf('.');
    while (dot !== -1) {
      prefixes.add(key.slice(0, dot));
      dot = key.indexOf('.', dot + 1);
    }
  }
  return {
    get: (k) => values.get(k),
    has: (k) => values.has(k),
    hasUnder: (p) => prefixes.has(p),
  };
}

export function decodeForm(shape: StructureShape, form: FormView): Record<string, unknown> {
  return decodeStructure(shape, form, '');
}

function decodeStructure(shape: StructureShape, form: FormView, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.members)) {
    const wire = member.locationName ?? name;
    const value = decodeValue(member, form, prefix ? `${prefix}.${wire}` : wire);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function decodeValue(shape: Member | Shape, form: FormView, key: string): unknown {
  switch (shape.type) {
    case 'structure':
      return form.hasUnder(key) ? decodeStructure(shape, form, key) : undefined;
    case 'list': {
      const base = `${key}.member`;
      if (!form.hasUnder(base)) return form.has(key) ? [] : undefined;
      const items: unknown[] = [];
      for (let i = 1; present(form, `${base}.${i}`); i++) {
        items.push(decodeValue(shape.member, form, `${base}.${i}`));
      }
      return items;
    }
    case 'map': {
      const base = `${key}.entry`;
      if (!form.hasUnder(base)) return form.has(key) ? {} : undefined;
      const out: Record<string, unknown> = {};
      for (let i = 1; form.hasUnder(`${base}.${i}`); i++) {
        const k = form.get(`${base}.${i}.key`);
        if (k === undefined) continue;
        out[k] = decodeValue(shape.value, form, `${base}.${i}.value`);
      }
      return out;
    }
    default: {
      const raw = form.get(key);
      return raw === undefined ? undefined : scalar(shape, raw, key);
    }
  }
}

function present(form: FormView, key: string): boolean {
  return form.has(key) || form.hasUnder(key);
}

const INTEGER = /^[+-]?\d+$/;

function scalar(shape: Shape, raw: string, key: string): unknown {
  const invalid = () => new InvalidParameterValue(`Value ${raw} for parameter ${key} is invalid.`);
  switch (shape.type) {
    case 'integer': {
      if (!INTEGER.test(raw.trim())) throw invalid();
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw invalid();
      return n;
    }
    case 'double': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(n)) throw invalid();
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw invalid();
    case 'timestamp': {
      const ms = /^[+-]?\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (!Number.isFinite(ms)) throw invalid();
      return new Date(ms);
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}
