/** What the alert evaluator hands the notifiers: one Notification = one Slack message (a group). */

export type Severity = 'info' | 'warning' | 'critical';

/** One alert's change, as the evaluator reports it. All strings except summary/actions come from data. */
export interface AlertEvent {
  alertname: string;
  subject: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  /** One line with the values that matter, e.g. "12 waiting, no worker; avatar-generator-worker: not in PM2". */
  summary: string;
  /** Epoch ms the alert started firing. */
  since: number;
  /** Epoch ms, for resolved. */
  resolvedAt?: number;
  /** e.g. ["started avatar-generator-worker (attempt 1/3)"]. */
  actions: string[];
}

/** One Slack message = one group. */
export interface Notification {
  /** Unique, for de-duplication in the outbox. */
  id: string;
  /** Epoch ms. */
  createdAt: number;
  alerts: AlertEvent[];
  /** Free lines: remediation summaries, watchdog actions, "test notification". */
  notes: string[];
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
