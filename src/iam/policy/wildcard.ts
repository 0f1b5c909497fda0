/**
 * IAM's wildcards: `*` matches any run of characters (also none), `?` any one character;
 * nothing else is special. Actions compare case-insensitively, ARNs case-sensitively. Patterns
 * are compiled once per policy (the evaluator keeps compiled policies), never per request.
 */

export type Matcher = (value: string) => boolean;

export function compileWildcard(pattern: string, ignoreCase: boolean): Matcher {
  if (pattern === '*') return () => true;
  if (!/[*?]/.test(pattern)) {
    if (!ignoreCase) return (v) => v === pattern;
    const lower = pattern.toLowerCase();
    return (v) => v.toLowerCase() === lower;
  }
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
  return (v) => re.test(v);
}

/** One matcher for a list of patterns: true when any matches. */
export function compileAny(patterns: readonly string[], ignoreCase: boolean): Matcher {
  const matchers = patterns.map((p) => compileWildcard(p, ignoreCase));
  if (matchers.length === 1) return matchers[0] as Matcher;
  return (v) => matchers.some((m) => m(v));
}

/**
 * ARN matching as `ArnLike` does and as a statement's Resource does: the six colon-separated
 * parts are matched part by part (a `*` does not cross a colon in the first five), the
 * resource part as a whole.
 */
export function compileArn(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  const parts = splitArn(pattern);
  if (!parts) return compileWildcard(pattern, false);
  const matchers = parts.map((p) => compileWildcard(p, false));
  return (v) => {
    const vp = splitArn(v);
    return vp !== undefined && matchers.every((m, i) => m(vp[i] as string));
  };
}

function splitArn(arn: string): string[] | undefined {
  const parts: string[] = [];
  let rest = arn;
  for (let i = 0; i < 5; i++) {
    const at = rest.indexOf(':');
    if (at === -1) return undefined;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts[0] === 'arn' || parts[0] === '*' ? parts : undefined;
}
