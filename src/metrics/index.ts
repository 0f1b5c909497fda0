/**
 * Metrics: the in-process registry (per-minute aggregates persisted to SQLite), Lambda's
 * metrics recorded from the invocation pipeline, and the Prometheus exposition.
 */
export { GROWTH, LogHistogram } from './histogram.js';
export {
  createLambdaMetrics,
  type InvokedTarget,
  LAMBDA_NAMESPACE,
  type LambdaMetrics,
  qualifierOf,
} from './lambda.js';
export { type PlatformStats, renderPrometheus } from './prometheus.js';
export {
  createMetricsRegistry,
  DEFAULT_RETENTION_DAYS,
  type MetricsRegistry,
  type MetricsRegistryOptions,
  type Series,
} from './registry.js';
export { canonicalDims, type MetricId, type MinuteAggregate, parseDims, type StoredMinute } from './store.js';

import type { Logger } from '../shared/logger.js';
import type { Db } from '../storage/db.js';
import { createLambdaMetrics, type LambdaMetrics } from './lambda.js';
import { createMetricsRegistry, type MetricsRegistry, type MetricsRegistryOptions } from './registry.js';

/** The platform's metrics: the registry (CloudWatch reads it) and Lambda's emitter. */
export interface Metrics {
  registry: MetricsRegistry;
  lambda: LambdaMetrics;
  close(): void;
}

export function createMetrics(
  deps: { db: Db; logger: Logger },
  options: Omit<MetricsRegistryOptions, 'db' | 'logger'> = {},
): Metrics {
  const registry = createMetricsRegistry({ ...deps, ...options });
  return { registry, lambda: createLambdaMetrics(registry), close: () => registry.close() };
}
