/**
 * Turns stored function versions into the FunctionConfiguration AWS returns: derived names
 * and ARNs added, and, in listings, the fields AWS leaves out of ListFunctions.
 */
import { createHash } from 'node:crypto';
import { functionArn } from './identifiers.js';
import { type FunctionConfig, publicFields } from './model.js';
import type { Scope, StoredVersion } from './store.js';

export interface ViewOptions {
  /** ARN with `:version` (ListFunctions with FunctionVersion=ALL, ListVersionsByFunction). */
  qualifiedArn?: boolean;
  /** ListFunctions and ListVersionsByFunction omit state and runtime-version fields. */
  listing?: boolean;
}

const LISTING_OMITS: ReadonlyArray<keyof FunctionConfig | 'RuntimeVersionConfig'> = [
  'State',
  'StateReason',
  'StateReasonCode',
  'LastUpdateStatus',
  'LastUpdateStatusReason',
  'LastUpdateStatusReasonCode',
  'RuntimeVersionConfig',
];

export function functionConfiguration(
  scope: Scope,
  v: StoredVersion,
  options: ViewOptions = {},
): Record<string, unknown> {
  const qualified = options.qualifiedArn || (v.version !== '$LATEST' && !options.listing);
  const view: Record<string, unknown> = {
    FunctionName: v.name,
    FunctionArn: functionArn(scope, v.name, qualified ? v.version : undefined),
    Version: v.version,
    ...publicFields(v.config),
  };
  if (v.config.Runtime)
    view.RuntimeVersionConfig = { RuntimeVersionArn: runtimeVersionArn(scope.region, v.config.Runtime) };
  if (options.listing) for (const key of LISTING_OMITS) delete view[key];
  return view;
}

/** A stable per-runtime ARN in AWS's format; the hash stands for the runtime build. */
function runtimeVersionArn(region: string, runtime: string): string {
  const build = createHash('sha256').update(`lambent:${runtime}`).digest('hex');
  return `arn:aws:lambda:${region}::runtime:${build}`;
}
