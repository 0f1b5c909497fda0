/**
 * The Prometheus text exposition format (0.0.4) of the platform's own metrics, served at
 * GET /_lambent/metrics: cumulative counters and a duration histogram per function and
 * resource (`name` or `name:qualifier`) since the process started, invocations in flight per
 * function and account, and the execution environments the invoker holds.
 */
import type { DropReason, LogBudgetStatus } from '../invoke/log-budget.js';
import { DURATION_BUCKETS_SECONDS, type LambdaMetrics } from './lambda.js';

export interface PlatformStats {
  environments: number;
  idle: number;
  memoryMb: number;
  maxMemoryMb: number;
  tmpMb?: number;
  maxTmpMb?: number;
}

/** What the function-log budget reports (src/invoke/log-budget.ts). */
export interface LogBudgetView {
  status(): LogBudgetStatus;
  dropped(): Iterable<{ functionId: string; reason: DropReason; bytes: number }>;
}

const MIB = 1024 * 1024;

/** Label values escape backslash, double quote and newline (the format's rule). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

export function renderPrometheus(
  lambda: LambdaMetrics,
  platform: PlatformStats,
  uptimeSeconds: number,
  logBudget?: LogBudgetView,
): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const series = [...lambda.promSeries()];

  family(
    'lambent_lambda_invocations_total',
    'counter',
    'Invocations that ran (successful or failed), as the Invocations metric.',
  );
  for (const s of series) out.push(`lambent_lambda_invocations_total${labels(s.labels)} ${s.invocations}`);
  family('lambent_lambda_errors_total', 'counter', 'Invocations that ended in a function error.');
  for (const s of series) out.push(`lambent_lambda_errors_total${labels(s.labels)} ${s.errors}`);
  family(
    'lambent_lambda_throttles_total',
    'counter',
    'Invocation requests throttled (429 TooManyRequestsException).',
  );
  for (const s of series) out.push(`lambent_lambda_throttles_total${labels(s.labels)} ${s.throttles}`);

  family('lambent_lambda_duration_seconds', 'histogram', 'Time the function code ran per invocation.');
  for (const s of series) {
    let cumulative = 0;
    DURATION_BUCKETS_SECONDS.forEach((le, i) => {
      cumulative += s.durationBuckets[i] ?? 0;
      out.push(`lambent_lambda_duration_seconds_bucket${labels({ ...s.labels, le: num(le) })} ${cumulative}`);
    });
    cumulative += s.durationBuckets[DURATION_BUCKETS_SECONDS.length] ?? 0;
    out.push(`lambent_lambda_duration_seconds_bucket${labels({ ...s.labels, le: '+Inf' })} ${cumulative}`);
    out.push(`lambent_lambda_duration_seconds_sum${labels(s.labels)} ${num(s.durationSumSeconds)}`);
    out.push(`lambent_lambda_duration_seconds_count${labels(s.labels)} ${s.durationCount}`);
  }

  const { functions, accounts } = lambda.inFlight();
  family('lambent_lambda_concurrent_executions', 'gauge', 'Invocations in flight per function.');
  for (const [key, n] of functions) {
    const [account = '', region = '', name = ''] = key.split('/');
    out.push(`lambent_lambda_concurrent_executions${labels({ account, region, function: name })} ${n}`);
  }
  family(
    'lambent_lambda_account_concurrent_executions',
    'gauge',
    'Invocations in flight per account and region.',
  );
  for (const [key, n] of accounts) {
    const [account = '', region = ''] = key.split('/');
    out.push(`lambent_lambda_account_concurrent_executions${labels({ account, region })} ${n}`);
  }

  family('lambent_environments', 'gauge', 'Execution environments by state (live includes idle).');
  out.push(`lambent_environments${labels({ state: 'live' })} ${platform.environments}`);
  out.push(`lambent_environments${labels({ state: 'idle' })} ${platform.idle}`);
  family('lambent_environments_memory_bytes', 'gauge', 'Sum of the memory limits of live environments.');
  out.push(`lambent_environments_memory_bytes ${platform.memoryMb * MIB}`);
  family(
    'lambent_environments_memory_limit_bytes',
    'gauge',
    'Ceiling on the sum of live environments memory limits.',
  );
  out.push(`lambent_environments_memory_limit_bytes ${platform.maxMemoryMb * MIB}`);
  if (platform.tmpMb !== undefined && platform.maxTmpMb !== undefined) {
    family('lambent_tmp_volumes_bytes', 'gauge', 'Sum of the sizes of /tmp volumes, kept or in use.');
    out.push(`lambent_tmp_volumes_bytes ${platform.tmpMb * MIB}`);
    family('lambent_tmp_volumes_limit_bytes', 'gauge', 'Disk budget of /tmp volumes (LAMBENT_MAX_TMP_MB).');
    out.push(`lambent_tmp_volumes_limit_bytes ${num(platform.maxTmpMb * MIB)}`);
  }
  if (logBudget) {
    const b = logBudget.status();
    family(
      'lambent_logs_dropped_bytes_total',
      'counter',
      'Function output dropped: rate (over the function log rate), disk (free disk low), volume (stored logs over budget).',
    );
    for (const d of logBudget.dropped()) {
      const [account = '', region = '', name = ''] = d.functionId.split('/');
      out.push(
        `lambent_logs_dropped_bytes_total${labels({ account, region, function: name, reason: d.reason })} ${d.bytes}`,
      );
    }
    family('lambent_logs_degraded', 'gauge', '1 while all function output is dropped to spare the disk.');
    out.push(`lambent_logs_degraded ${b.status === 'degraded' ? 1 : 0}`);
    family('lambent_logs_stored_bytes', 'gauge', 'Bytes of log events stored, every group.');
    out.push(`lambent_logs_stored_bytes ${b.storedBytes}`);
    family('lambent_data_disk_free_bytes', 'gauge', 'Free bytes of the data directory filesystem.');
    out.push(`lambent_data_disk_free_bytes ${num(b.freeDiskBytes)}`);
  }
  family('lambent_uptime_seconds', 'gauge', 'Seconds since the platform started.');
  out.push(`lambent_uptime_seconds ${uptimeSeconds}`);
  const mem = process.memoryUsage();
  family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  out.push(`process_resident_memory_bytes ${mem.rss}`);
  family('process_heap_bytes', 'gauge', 'Process heap size in bytes.');
  out.push(`process_heap_bytes ${mem.heapUsed}`);
  const cpu = process.cpuUsage();
  family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.');
  out.push(`process_cpu_seconds_total ${num((cpu.user + cpu.system) / 1e6)}`);
  return `${out.join('\n')}\n`;
}
