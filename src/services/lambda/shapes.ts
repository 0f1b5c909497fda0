/**
 * Input shapes of Lambda's operations (API 2015-03-31) with the constraints AWS's model
 * declares, so that the shared validator answers with AWS's ValidationException messages.
 * Function names and ARNs are checked by identifiers.ts, whose rules are richer than a
 * pattern.
 */
import type { Member } from '../../shared/shapes.js';
import { DEPRECATED_RUNTIMES, SUPPORTED_RUNTIMES } from './runtimes.js';

const ALL_RUNTIMES_FOR_LAYERS = [
  'ruby3.5',
  'ruby2.6',
  'dotnetcore1.0',
  'python3.7',
  'nodejs8.10',
  'nasa',
  'ruby2.7',
  'python2.7-greengrass',
  'dotnetcore2.0',
  'python3.8',
  'java21',
  'dotnet6',
  'dotnetcore2.1',
  'python3.9',
  'java11',
  'nodejs6.10',
  'provided',
  'dotnetcore3.1',
  'dotnet8',
  'java25',
  'java17',
  'nodejs',
  'nodejs4.3',
  'java8.al2',
  'go1.x',
  'dotnet10',
  'nodejs20.x',
  'go1.9',
  'byol',
  'nodejs10.x',
  'provided.al2023',
  'nodejs22.x',
  'python3.10',
  'java8',
  'nodejs12.x',
  'python3.11',
  'nodejs24.x',
  'nodejs8.x',
  'python3.12',
  'nodejs14.x',
  'nodejs8.9',
  'nodejs26.x',
  'python3.13',
  'python3.14',
  'nodejs16.x',
  'python3.15',
  'provided.al2',
  'nodejs4.3-edge',
  'nodejs18.x',
  'ruby3.2',
  'python3.4',
  'ruby3.3',
  'ruby3.4',
  'ruby2.5',
  'python3.6',
  'python2.7',
] as const;

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;

export const functionNameLabel: Member = { type: 'string', required: true, location: 'uri' };
export const qualifierQuery: Member = { type: 'string', location: 'querystring', locationName: 'Qualifier' };

export const role: Member = {
  type: 'string',
  pattern: 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
};

export const layerArnList: Member = {
  type: 'list',
  member: {
    type: 'string',
    min: 1,
    max: 2048,
    required: true,
    pattern:
      '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)',
  },
};

export const architectures: Member = {
  type: 'list',
  min: 1,
  max: 1,
  member: { type: 'string', enum: ARCHITECTURES, required: true },
};

export const configurationMembers = {
  Role: role,
  Handler: { type: 'string', max: 128, pattern: '[^\\s]+' },
  Description: { type: 'string', min: 0, max: 256 },
  Timeout: { type: 'integer', min: 1, max: 900 },
  MemorySize: { type: 'integer', min: 128, max: 10240 },
  Runtime: { type: 'string' },
  Environment: {
    type: 'structure',
    members: {
      Variables: {
        type: 'map',
        key: { type: 'string', pattern: '[a-zA-Z]([a-zA-Z0-9_])+' },
        value: { type: 'string' },
      },
    },
  },
  TracingConfig: {
    type: 'structure',
    members: { Mode: { type: 'string', enum: ['Active', 'PassThrough'] } },
  },
  DeadLetterConfig: {
    type: 'structure',
    members: { TargetArn: { type: 'string', pattern: '(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()' } },
  },
  KMSKeyArn: { type: 'string', pattern: '(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()' },
  Layers: layerArnList,
  EphemeralStorage: {
    type: 'structure',
    members: { Size: { type: 'integer', min: 512, max: 10240, required: true } },
  },
  LoggingConfig: {
    type: 'structure',
    members: {
      LogFormat: { type: 'string', enum: ['JSON', 'Text'] },
      ApplicationLogLevel: { type: 'string', enum: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] },
      SystemLogLevel: { type: 'string', enum: ['DEBUG', 'INFO', 'WARN'] },
      LogGroup: { type: 'string', min: 1, max: 512, pattern: '[\\.\\-_/#A-Za-z0-9]+' },
    },
  },
  SnapStart: {
    type: 'structure',
    members: { ApplyOn: { type: 'string', enum: ['PublishedVersions', 'None'] } },
  },
  VpcConfig: {
    type: 'structure',
    members: {
      SubnetIds: {
        type: 'list',
        max: 16,
        member: { type: 'string', min: 0, max: 1024, pattern: 'subnet-[0-9a-z]*' },
      },
      SecurityGroupIds: {
        type: 'list',
        max: 5,
        member: { type: 'string', min: 0, max: 1024, pattern: 'sg-[0-9a-zA-Z]*' },
      },
      Ipv6AllowedForDualStack: { type: 'boolean' },
    },
  },
  ImageConfig: { type: 'any' },
  FileSystemConfigs: { type: 'any' },
} satisfies Record<string, Member>;

export const layerCompatibility = {
  CompatibleRuntimes: {
    type: 'list',
    max: 15,
    bareMemberFailures: true,
    // AWS lists only current runtimes in its message but still accepts retired ones here.
    member: { type: 'string', enum: SUPPORTED_RUNTIMES, alsoAccepted: DEPRECATED_RUNTIMES },
  },
  CompatibleArchitectures: {
    type: 'list',
    max: 2,
    member: { type: 'string', enum: ARCHITECTURES, required: true },
  },
} satisfies Record<string, Member>;

export const compatibleRuntimeQuery: Member = {
  type: 'string',
  location: 'querystring',
  locationName: 'CompatibleRuntime',
  enum: ALL_RUNTIMES_FOR_LAYERS,
};
export const compatibleArchitectureQuery: Member = {
  type: 'string',
  location: 'querystring',
  locationName: 'CompatibleArchitecture',
  enum: ARCHITECTURES,
};

export const tags: Member = { type: 'map', key: { type: 'string' }, value: { type: 'string' } };

export const marker: Member = { type: 'string', location: 'querystring', locationName: 'Marker' };
export const maxItems = (max: number): Member => ({
  type: 'integer',
  location: 'querystring',
  locationName: 'MaxItems',
  min: 1,
  max,
});

/** Where a code package comes from: inline (ZipFile) or S3 (not yet served). */
export const codeSourceMembers = {
  ZipFile: { type: 'blob' },
  S3Bucket: { type: 'string' },
  S3Key: { type: 'string' },
  S3ObjectVersion: { type: 'string' },
} satisfies Record<string, Member>;
