/**
 * Which resource of a deployed REST API a request path names, as API Gateway chooses: at each
 * level a literal path part wins over a `{param}`, which wins over a greedy `{proxy+}` (which
 * takes the rest of the path, at least one part); when a more specific choice leads nowhere,
 * the next is tried. Path values are as sent (not percent-decoded), as the recordings show.
 */
import type { ResourceDoc } from '../../services/apigateway/model.js';

export interface ResourceTree {
  resource: ResourceDoc;
  literal: Map<string, ResourceTree>;
  variable?: { name: string; tree: ResourceTree };
  greedy?: { name: string; tree: ResourceTree };
}

export function buildResourceTree(resources: readonly ResourceDoc[]): ResourceTree | undefined {
  const nodes = new Map<string, ResourceTree>();
  for (const r of resources) nodes.set(r.id, { resource: r, literal: new Map() });
  let root: ResourceTree | undefined;
  for (const node of nodes.values()) {
    const { parentId, pathPart } = node.resource;
    const parent = parentId ? nodes.get(parentId) : undefined;
    if (!parent || pathPart === undefined) {
      if (!parentId) root = node;
      continue;
    }
    const m = /^\{(.+?)(\+?)\}$/.exec(pathPart);
    if (!m) parent.literal.set(pathPart, node);
    else if (m[2]) parent.greedy = { name: m[1] as string, tree: node };
    else parent.variable = { name: m[1] as string, tree: node };
  }
  return root;
}

export interface ResourceMatch {
  resource: ResourceDoc;
  pathParameters: Record<string, string>;
}

/** The resource for a path after the stage (leading slashes and one trailing slash ignored). */
export function matchResource(root: ResourceTree, path: string): ResourceMatch | undefined {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  if (trimmed === '') return { resource: root.resource, pathParameters: {} };
  return walk(root, trimmed.split('/'), 0, {});
}

function walk(
  node: ResourceTree,
  parts: readonly string[],
  index: number,
  params: Record<string, string>,
): ResourceMatch | undefined {
  if (index === parts.length) return { resource: node.resource, pathParameters: params };
  const part = parts[index] as string;
  const literal = node.literal.get(part);
  if (literal) {
    const found = walk(literal, parts, index + 1, params);
    if (found) return found;
  }
  if (node.variable && part !== '') {
    const found = walk(node.variable.tree, parts, index + 1, { ...params, [node.variable.name]: part });
    if (found) return found;
  }
  if (node.greedy) {
    // The rest of the path as sent, inner double slashes included (recorded).
    const rest = parts.slice(index).join('/');
    if (rest !== '')
      return { resource: node.greedy.tree.resource, pathParameters: { ...params, [node.greedy.name]: rest } };
  }
  return undefined;
}
