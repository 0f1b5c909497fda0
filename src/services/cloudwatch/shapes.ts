/**
 * Input and output shapes of the CloudWatch metric operations (model `monitoring/2010-08-01`),
 * in the shared shape language. Members the model marks required are not marked here: AWS
 * answers a missing one with `MissingParameter` ("The parameter X is required."), which the
 * operations raise themselves, rather than the validator's ValidationError.
 */
import type { Member, Shape, StructureShape } from '../../shared/shapes.js';
import { structure } from '../../shared/shapes.js';

export const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

export const namespace = { type: 'string', min: 1, max: 255, pattern: '[^:].*' } as const satisfies Shape;
export const metricName = { type: 'string', min: 1, max: 255 } as const satisfies Shape;
export const unit = { type: 'string', enum: UNITS } as const satisfies Shape;
export const period = { type: 'integer', min: 1 } as const satisfies Shape;
export const timestamp = { type: 'timestamp' } as const satisfies Shape;

const dimension: Member = {
  type: 'structure',
  members: {
    Name: { type: 'string', min: 1, max: 255 },
    Value: { type: 'string', min: 1, max: 1024 },
  },
};
export const dimensions = { type: 'list', member: dimension, max: 30 } as const satisfies Shape;
export const dimensionFilters: Member = {
  type: 'list',
  max: 10,
  member: {
    type: 'structure',
    members: { Name: { type: 'string', min: 1, max: 255 }, Value: { type: 'string', min: 1, max: 1024 } },
  },
};
const metric: Member = {
  type: 'structure',
  members: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
};

export const getMetricStatisticsInput = structure({
  Namespace: namespace,
  MetricName: metricName,
  Dimensions: dimensions,
  StartTime: timestamp,
  EndTime: timestamp,
  Period: period,
  Statistics: { type: 'list', member: { type: 'string' }, min: 1, max: 5 },
  ExtendedStatistics: { type: 'list', member: { type: 'string' }, min: 1, max: 10 },
  Unit: unit,
});

export const getMetricStatisticsOutput: StructureShape = structure({
  Label: { type: 'string' },
  Datapoints: {
    type: 'list',
    member: structure({
      Timestamp: timestamp,
      SampleCount: { type: 'double' },
      Average: { type: 'double' },
      Sum: { type: 'double' },
      Minimum: { type: 'double' },
      Maximum: { type: 'double' },
      Unit: unit,
      ExtendedStatistics: { type: 'map', key: { type: 'string' }, value: { type: 'double' } },
    }),
  },
});

export const getMetricDataInput = structure({
  MetricDataQueries: {
    type: 'list',
    member: structure({
      Id: { type: 'string', min: 1, max: 255 },
      MetricStat: structure({ Metric: metric, Period: period, Stat: { type: 'string' }, Unit: unit }),
      Expression: { type: 'string', min: 1, max: 2048 },
      Label: { type: 'string' },
      ReturnData: { type: 'boolean' },
      Period: period,
      AccountId: { type: 'string', min: 1, max: 255 },
    }),
  },
  StartTime: timestamp,
  EndTime: timestamp,
  NextToken: { type: 'string' },
  ScanBy: { type: 'string', enum: ['TimestampDescending', 'TimestampAscending'] },
  MaxDatapoints: { type: 'integer' },
  LabelOptions: structure({ Timezone: { type: 'string' } }),
});

const messages: Member = {
  type: 'list',
  member: structure({ Code: { type: 'string' }, Value: { type: 'string' } }),
};
export const getMetricDataOutput: StructureShape = structure({
  MetricDataResults: {
    type: 'list',
    member: structure({
      Id: { type: 'string' },
      Label: { type: 'string' },
      Timestamps: { type: 'list', member: timestamp },
      Values: { type: 'list', member: { type: 'double' } },
      StatusCode: { type: 'string' },
      Messages: messages,
    }),
  },
  NextToken: { type: 'string' },
  Messages: messages,
});

export const listMetricsInput = structure({
  Namespace: namespace,
  MetricName: metricName,
  Dimensions: dimensionFilters,
  NextToken: { type: 'string' },
  RecentlyActive: { type: 'string', enum: ['PT3H'] },
  IncludeLinkedAccounts: { type: 'boolean' },
  OwningAccount: { type: 'string', min: 1, max: 255 },
});

export const listMetricsOutput: StructureShape = structure({
  Metrics: { type: 'list', member: metric },
  NextToken: { type: 'string' },
  OwningAccounts: { type: 'list', member: { type: 'string' } },
});

export const putMetricDataInput = structure({
  Namespace: namespace,
  MetricData: {
    type: 'list',
    member: structure({
      MetricName: metricName,
      Dimensions: dimensions,
      Timestamp: timestamp,
      Value: { type: 'double' },
      StatisticValues: structure({
        SampleCount: { type: 'double' },
        Sum: { type: 'double' },
        Minimum: { type: 'double' },
        Maximum: { type: 'double' },
      }),
      Values: { type: 'list', member: { type: 'double' } },
      Counts: { type: 'list', member: { type: 'double' } },
      Unit: unit,
      StorageResolution: { type: 'integer', min: 1 },
    }),
  },
});
