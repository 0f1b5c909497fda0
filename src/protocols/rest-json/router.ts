/**
 * Matches method + path against operations' URI templates (`/2015-03-31/functions/{FunctionName}`,
 * greedy `{Key+}`), returning the operation and its raw (still encoded) labels.
 */
import type { Operation, RouteMatch } from '../types.js';

interface Route {
  op: Operation;
  method: string;
  /** Literal query parameters the template requires (`/layers?find=LayerVersion`). */
  query: Array<[string, string]>;
  regex: RegExp;
  labels: string[];
  /** Literal characters in the template: more specific templates win ties. */
  literalLength: number;
}

export class RestRouter {
  private readonly routes: Route[];

  constructor(operations: readonly Operation[]) {
    this.routes = operations
      .map((op) => compile(op))
      .sort((a, b) => b.query.length - a.query.length || b.literalLength - a.literalLength);
  }

  get size(): number {
    return this.routes.length;
  }

  match(method: string, rawPath: string, query: URLSearchParams): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      if (!route.query.every(([k, v]) => query.get(k) === v)) continue;
      const m = route.regex.exec(rawPath);
      if (!m) continue;
      const labels: Record<string, string> = {};
      route.labels.forEach((name, i) => {
        labels[name] = m[i + 1] ?? '';
      });
      return { op: route.op, labels };
    }
    return undefined;
  }
}

function compile(op: Operation): Route {
  const [pathPart, queryPart] = op.http.path.split('?');
  const query = [...new URLSearchParams(queryPart ?? '')];
  const labels: string[] = [];
  let literalLength = 0;
  const source = (pathPart ?? '')
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const label = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (!label) {
        literalLength += part.length;
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      labels.push(label[1] as string);
      return label[2] ? '(.+)' : '([^/]+)';
    })
    .join('');
  return { op, method: op.http.method, query, regex: new RegExp(`^${source}/?$`), labels, literalLength };
}
