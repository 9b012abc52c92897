/**
 * The metric contract (design contracts.md section 3), hardcoded: CI copies the design notes elsewhere,
 * so tests must not read them. Keep in step with that table; the golden /metrics file checks the daemon
 * against the same names.
 */

/** One metric: its type, and per label the values the contract enumerates (null: values come from data). */
export interface ContractMetric {
  readonly type: 'gauge' | 'counter';
  readonly labels: Readonly<Record<string, readonly string[] | null>>;
}

const SOURCES = ['pm2', 'redis', 'postgres'] as const;

/** contracts.md section 3, in its order. */
export const CONTRACT_METRICS: Readonly<Record<string, ContractMetric>> = {
  vigil_build_info: { type: 'gauge', labels: { version: null } },
  vigil_source_up: { type: 'gauge', labels: { source: SOURCES } },
  vigil_source_poll_duration_seconds: { type: 'gauge', labels: { source: SOURCES } },
  vigil_source_last_success_timestamp_seconds: { type: 'gauge', labels: { source: SOURCES } },
  vigil_source_poll_errors_total: { type: 'counter', labels: { source: SOURCES } },
  vigil_pm2_app_expected_instances: { type: 'gauge', labels: { app: null } },
  vigil_pm2_app_up: { type: 'gauge', labels: { app: null } },
  vigil_pm2_app_instances: {
    type: 'gauge',
    labels: {
      app: null,
      status: ['online', 'stopping', 'stopped', 'launching', 'errored', 'waiting_restart', 'one_launch_status'],
    },
  },
  vigil_pm2_process_restarts_total: { type: 'counter', labels: { app: null, pm_id: null } },
  vigil_pm2_process_memory_bytes: { type: 'gauge', labels: { app: null, pm_id: null } },
  vigil_pm2_process_cpu_ratio: { type: 'gauge', labels: { app: null, pm_id: null } },
  vigil_pm2_process_uptime_seconds: { type: 'gauge', labels: { app: null, pm_id: null } },
  vigil_queue_jobs: {
    type: 'gauge',
    labels: {
      queue: null,
      state: ['waiting', 'active', 'delayed', 'prioritized', 'waiting_children', 'completed', 'failed'],
    },
  },
  vigil_queue_paused: { type: 'gauge', labels: { queue: null } },
  vigil_queue_workers: { type: 'gauge', labels: { queue: null } },
  vigil_queue_oldest_waiting_seconds: { type: 'gauge', labels: { queue: null } },
  vigil_queue_jobs_finished_total: { type: 'counter', labels: { queue: null, status: ['completed', 'failed'] } },
  vigil_queue_failure_ratio: { type: 'gauge', labels: { queue: null } },
  vigil_check_up: { type: 'gauge', labels: { check: null } },
  vigil_check_rows: { type: 'gauge', labels: { check: null } },
  vigil_check_oldest_seconds: { type: 'gauge', labels: { check: null } },
  vigil_check_duration_seconds: { type: 'gauge', labels: { check: null } },
  vigil_remediation_rows_total: {
    type: 'counter',
    labels: { check: null, result: ['applied', 'skipped', 'failed', 'dry_run'] },
  },
  vigil_watchdog_actions_total: {
    type: 'counter',
    labels: { app: null, action: ['start', 'restart'], result: ['ok', 'error', 'dry_run'] },
  },
  vigil_watchdog_gave_up: { type: 'gauge', labels: { app: null } },
  vigil_alert_active: {
    type: 'gauge',
    labels: { alertname: null, subject: null, severity: null, state: ['pending', 'firing'] },
  },
  vigil_notifications_sent_total: { type: 'counter', labels: { channel: null } },
  vigil_notifications_failed_total: {
    type: 'counter',
    labels: { channel: null, reason: ['rate_limited', 'server_error', 'network', 'rejected'] },
  },
  vigil_notifications_dropped_total: { type: 'counter', labels: { channel: null } },
  vigil_notification_queue_length: { type: 'gauge', labels: { channel: null } },
  vigil_maintenance: { type: 'gauge', labels: {} },
};

/**
 * Names from outside section 3 that alerts/ and grafana/ may use: Prometheus's own `up`, and the
 * prom-client default metrics that contracts.md section 3 says vigil includes unprefixed.
 */
export const STANDARD_METRICS: Readonly<Record<string, ContractMetric>> = {
  up: { type: 'gauge', labels: {} },
  process_resident_memory_bytes: { type: 'gauge', labels: {} },
  process_cpu_seconds_total: { type: 'counter', labels: {} },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: {} },
};

/** Labels Prometheus attaches to every scraped series (target labels). */
export const TARGET_LABELS: readonly string[] = ['job', 'instance'];

/** Every metric name alerts/ and grafana/ may use. */
export const ALLOWED_METRICS: Readonly<Record<string, ContractMetric>> = { ...CONTRACT_METRICS, ...STANDARD_METRICS };

/** The built-in alert catalog (contracts.md section 5): each needs a runbook entry. */
export const CATALOG_ALERTS: readonly string[] = [
  'VigilSourceDown',
  'Pm2AppDown',
  'Pm2AppCrashLooping',
  'Pm2AppRestartGaveUp',
  'Pm2AppMemoryHigh',
  'QueueNoConsumer',
  'QueueBacklog',
  'QueueOldestWaiting',
  'QueueFailureRate',
  'CheckRowsAbove',
  'CheckFailing',
];
