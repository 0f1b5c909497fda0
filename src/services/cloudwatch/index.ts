/**
 * Amazon CloudWatch (metrics), API version 2010-08-01, signing name `monitoring`. Speaks both
 * protocols current clients use: awsJson1_0 with `X-Amz-Target: GraniteServiceVersion20100801.<Op>`
 * (the JS SDK v3, awsQueryCompatible: errors carry `x-amzn-query-error`) and awsQuery
 * (form-encoded `Action=...`, XML answers: the AWS CLI v2 and boto3).
 *
 * Implements: GetMetricStatistics (Statistics and pNN.N ExtendedStatistics, Unit filter,
 * AWS's 1440-datapoint limit and period rules), GetMetricData (MetricStat queries, Period,
 * Stat incl. percentiles, Label, ReturnData, ScanBy, MaxDatapoints with NextToken paging,
 * Id validation), ListMetrics (Namespace, MetricName, Dimensions filters, RecentlyActive,
 * 500 per page with NextToken), PutMetricData (Value, Values/Counts, StatisticValues,
 * custom namespaces; durable when acknowledged). Lambda's own metrics (AWS/Lambda) come from
 * the metrics registry (src/metrics), which keeps 1-minute data for 15 days.
 *
 * Not yet (see docs/parity/cloudwatch.md): metric math and Metrics Insights expressions
 * (rejected with a ValidationError), alarms, dashboards, anomaly detection, metric streams,
 * insight rules, tags, high-resolution storage (1-second data is stored per minute), the
 * 5-minute/1-hour roll-ups kept past 15 days, statistics other than percentiles (tm, wm, tc,
 * ts, pr, IQM), cross-account observability, EntityMetricData.
 */

import type { MetricsRegistry } from '../../metrics/registry.js';
import { createJsonCodec, JsonTargetRouter, unknownOperationError } from '../../protocols/json/index.js';
import { createQueryCodec, QueryActionRouter, queryCompatible } from '../../protocols/query/index.js';
import type { ProtocolCodec } from '../../protocols/types.js';
import { AwsError } from '../../shared/errors.js';
import type { Service } from '../service.js';
import { queryErrorCode, relabel } from './errors.js';
import { metricOperations, tooLarge } from './operations.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';
export const CLOUDWATCH_VERSION = '2010-08-01';
export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

export function createCloudWatchService(deps: { metrics: MetricsRegistry }): Service {
  const operations = metricOperations(deps.metrics);
  const jsonRouter = new JsonTargetRouter([CLOUDWATCH_TARGET_PREFIX], operations);
  const queryRouter = new QueryActionRouter(CLOUDWATCH_VERSION, operations);
  const withRelabel = (codec: ProtocolCodec): ProtocolCodec => ({
    ...codec,
    encodeError: (error, requestId) => codec.encodeError(relabel(error), requestId),
  });
  const json = withRelabel(queryCompatible(createJsonCodec('1.0'), (e) => queryErrorCode(relabel(e))));
  const query = withRelabel(createQueryCodec({ xmlNamespace: CLOUDWATCH_XMLNS, errorCode: queryErrorCode }));
  const hasTarget = (headers: { [k: string]: unknown }) => typeof headers['x-amz-target'] === 'string';

  return {
    name: 'cloudwatch',
    signingName: 'monitoring',
    codec: query,
    codecFor: (headers) => (hasTarget(headers) ? json : query),
    route(req) {
      const match = jsonRouter.match(req.method, req.rawPath, req.headers);
      return match && { ...match, codec: json };
    },
    routeBody(req, body) {
      // A JSON request whose target named no operation: the JSON protocol's error.
      if (hasTarget(req.headers)) return undefined;
      return { ...queryRouter.match({ method: req.method, query: req.query, body }), codec: query };
    },
    pathPrefixes: [],
    iamPrefix: 'cloudwatch',
    accessDenied: (message) => new AwsError('AccessDenied', message, 403),
    targetPrefixes: [CLOUDWATCH_TARGET_PREFIX],
    requestTooLarge: (_op, limit) => tooLarge(limit),
    unknownOperation: () => unknownOperationError(),
    health: () => ({ status: 'ok', operations: operations.length }),
    async close() {},
  };
}
