/**
 * Lambda's resource shapes as stored and returned (AWS field names). Derived fields
 * (FunctionName, FunctionArn, Version) are added when a configuration is returned.
 */

export interface FunctionConfig {
  Runtime?: string;
  Role: string;
  Handler?: string;
  Description: string;
  Timeout: number;
  MemorySize: number;
  CodeSha256: string;
  CodeSize: number;
  LastModified: string;
  RevisionId: string;
  /** Present only when the user set it, as AWS returns it. */
  Environment?: { Variables: Record<string, string> };
  TracingConfig: { Mode: string };
  Layers?: Array<{ Arn: string; CodeSize: number }>;
  Architectures: string[];
  EphemeralStorage: { Size: number };
  LoggingConfig: {
    LogFormat: string;
    LogGroup: string;
    ApplicationLogLevel?: string;
    SystemLogLevel?: string;
  };
  PackageType: 'Zip';
  SnapStart: { ApplyOn: string; OptimizationStatus: string };
  State: 'Pending' | 'Active' | 'Inactive' | 'Failed';
  StateReason?: string;
  StateReasonCode?: string;
  LastUpdateStatus?: 'InProgress' | 'Successful' | 'Failed';
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  VpcConfig?: {
    SubnetIds: string[];
    SecurityGroupIds: string[];
    VpcId: string;
    Ipv6AllowedForDualStack?: boolean;
  };
  /** Internal (never returned): bytes the code occupies unzipped, for the 250 MB quota with layers. */
  _unzippedSize: number;
  /** Internal: the blob keys of `Layers`, in order (kept even if a layer version is deleted later). */
  _layerKeys?: string[];
  /**
   * Internal: what invocations run while an update is in progress or after it failed — the
   * last configuration and code that became Active and Successful (as on Lambda, where the
   * previous code keeps serving until the update succeeds). Dropped when an update settles.
   */
  _serving?: { config: FunctionConfig; codeKey: string };
}

/** The configuration and code invocations of a stored version run now (see `_serving`). */
export function servingOf(v: { config: FunctionConfig; codeKey: string }): {
  config: FunctionConfig;
  codeKey: string;
} {
  return v.config.LastUpdateStatus !== 'Successful' && v.config._serving ? v.config._serving : v;
}

export interface LayerVersionConfig {
  Content: { CodeSha256: string; CodeSize: number };
  CreatedDate: string;
  Description?: string;
  LicenseInfo?: string;
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: string[];
  /** Internal (never returned): bytes the layer occupies unzipped. */
  _unzippedSize: number;
}

/** Drops internal fields (named with a leading underscore) from a stored shape. */
export function publicFields<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('_')));
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | Record<string, string>;
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** AWS's LastModified format: `2024-01-31T12:34:56.789+0000`. */
export function lambdaTimestamp(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}
