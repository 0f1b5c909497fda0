/**
 * HTTP API route keys (`GET /items/{id}`, `ANY /{proxy+}`, `$default`) and how a request picks
 * one, as AWS documents for HTTP APIs: a full match beats a greedy `{proxy+}` match, which beats
 * `$default`; among matches, literal segments beat parameters and a named method beats `ANY`.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

export interface ParsedRouteKey {
  key: string;
  /** Undefined for `$default`. */
  method?: string;
  path?: string;
  segments: Segment[];
}

/** The route key parsed, or AWS-style words for what is wrong with it. */
export function parseRouteKey(key: string): ParsedRouteKey | { error: string } {
  if (key === '$default') return { key, segments: [] };
  const m = /^([A-Z]+) (\/\S*)$/.exec(key);
  if (!m) return { error: `Invalid route key: ${key}` };
  const method = m[1] as string;
  const path = m[2] as string;
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    return { error: `Invalid HTTP method in route key: ${key}` };
  }
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments: Segment[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '') return { error: `Invalid route key: ${key}` };
    const param = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part);
    if (param) {
      if (param[2]) {
        if (i !== parts.length - 1)
          return { error: `Greedy path variable must be the last part of the path: ${key}` };
        segments.push({ kind: 'greedy', name: param[1] as string });
      } else segments.push({ kind: 'param', name: param[1] as string });
    } else if (/[{}]/.test(part)) return { error: `Invalid route key: ${key}` };
    else segments.push({ kind: 'literal', text: part });
  }
  return { key, method, path, segments };
}

export interface RouteMatch<R> {
  route: R;
  pathParameters: Record<string, string>;
}

interface Candidate<R> {
  route: R;
  parsed: ParsedRouteKey;
}

/** A deployment's routes compiled once for matching. */
export class RouteTable<R extends { routeKey: string }> {
  private readonly routes: Candidate<R>[] = [];
  private defaultRoute: R | undefined;

  constructor(routes: readonly R[]) {
    for (const route of routes) {
      const parsed = parseRouteKey(route.routeKey);
      if ('error' in parsed) continue;
      if (parsed.method === undefined) this.defaultRoute = route;
      else this.routes.push({ route, parsed });
    }
  }

  /** `segments` are the request path's segments, still percent-encoded. */
  match(method: string, segments: readonly string[]): RouteMatch<R> | undefined {
    let best: { c: Candidate<R>; score: number[]; params: Record<string, string> } | undefined;
    for (const c of this.routes) {
      if (c.parsed.method !== 'ANY' && c.parsed.method !== method) continue;
      const params = matchSegments(c.parsed.segments, segments);
      if (!params) continue;
      const score = rank(c.parsed);
      if (!best || compare(score, best.score) > 0) best = { c, score, params };
    }
    if (best) return { route: best.c.route, pathParameters: best.params };
    return this.defaultRoute ? { route: this.defaultRoute, pathParameters: {} } : undefined;
  }
}

function matchSegments(
  pattern: readonly Segment[],
  path: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i] as Segment;
    if (seg.kind === 'greedy') {
      // `{proxy+}` takes one segment or more.
      if (path.length <= i) return undefined;
      params[seg.name] = path.slice(i).map(decode).join('/');
      return params;
    }
    const part = path[i];
    if (part === undefined || part === '') return undefined;
    if (seg.kind === 'literal') {
      if (decode(part) !== seg.text) return undefined;
    } else params[seg.name] = decode(part);
  }
  return path.length === pattern.length ? params : undefined;
}

/** Greedy last (0) below full matches (1); then literal segments, left to right; then a named method over ANY. */
function rank(parsed: ParsedRouteKey): number[] {
  const greedy = parsed.segments.some((s) => s.kind === 'greedy');
  return [
    greedy ? 0 : 1,
    ...parsed.segments.map((s) => (s.kind === 'literal' ? 2 : s.kind === 'param' ? 1 : 0)),
    parsed.method === 'ANY' ? 0 : 1,
  ];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
