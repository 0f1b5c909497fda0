/**
 * The AWS managed policies Lambda users attach, with AWS's documents and dates
 * (aws-managed-policies.json, see its `_source`). They belong to no account
 * (`arn:aws:iam::aws:policy/...`); each account counts its own attachments.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../shared/version.js';

export interface AwsManagedPolicy {
  readonly name: string;
  readonly arn: string;
  readonly path: string;
  readonly policyId: string;
  readonly defaultVersionId: string;
  readonly createDate: Date;
  readonly updateDate: Date;
  /** The default version's document as JSON text (AWS pretty-prints with 4 spaces). */
  readonly document: string;
}

interface FileEntry {
  name: string;
  arn: string;
  defaultVersionId: string;
  createDate: string;
  updateDate: string;
  document: unknown;
}

/** A stable id per policy: AWS's ids are fixed per policy; ours are derived from the name. */
function policyIdFor(name: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let h = 2166136261;
  let out = 'ANPA';
  for (let i = 0; out.length < 21; i++) {
    h = Math.imul(h ^ name.charCodeAt(i % name.length), 16777619) >>> 0;
    h = Math.imul(h ^ i, 2246822519) >>> 0;
    out += alphabet[h & 31];
  }
  return out;
}

export function loadAwsManagedPolicies(
  file = path.join(packageRoot, 'src', 'iam', 'aws-managed-policies.json'),
): ReadonlyMap<string, AwsManagedPolicy> {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { policies: FileEntry[] };
  const byArn = new Map<string, AwsManagedPolicy>();
  for (const p of data.policies) {
    const rest = p.arn.slice('arn:aws:iam::aws:policy'.length);
    byArn.set(p.arn, {
      name: p.name,
      arn: p.arn,
      path: rest.slice(0, rest.length - p.name.length),
      policyId: policyIdFor(p.name),
      defaultVersionId: p.defaultVersionId,
      createDate: new Date(p.createDate),
      updateDate: new Date(p.updateDate),
      document: JSON.stringify(p.document, null, 4),
    });
  }
  return byArn;
}
