/** The notifier's types: what the alert evaluator hands in, and what a delivery channel answers. */

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
  /** E.g. ["started avatar-generator-worker (attempt 1/3)"]. */
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

/** Time as a seam, so the outbox can be tested without sleeping. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (never rejects) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Why a delivery attempt failed; the `reason` label of `vigil_notifications_failed_total`. */
export type FailureReason = 'rate_limited' | 'server_error' | 'network' | 'rejected';

/** A channel's answer to one delivery attempt. `send` functions resolve with this and never reject. */
export type SendResult =
  | { ok: true }
  | { ok: false; reason: FailureReason; retryAfterMs?: number; status?: number; detail?: string };

/** What the outbox tells a channel about the attempt besides the notification itself. */
export interface SendContext {
  /** Messages the outbox dropped (full) since the last delivered one; the message must announce them. */
  droppedSinceLastDelivery: number;
  /** Aborted when the outbox stops and its deadline has passed: give up the request. */
  signal: AbortSignal;
}

/** A delivery channel (Slack webhook, log). */
export type SendFn = (n: Notification, ctx: SendContext) => Promise<SendResult>;

/** The last message a channel refused for good (400/403/404/410), for `/health` under `notifier`. */
export interface Rejection {
  status: number | null;
  detail: string;
  /** Epoch ms. */
  at: number;
}

/** Counters for `vigil_notifications_*{channel}` and `/health`. */
export interface OutboxStats {
  sent: number;
  failed: Record<FailureReason, number>;
  dropped: number;
  queueLength: number;
  lastRejection: Rejection | null;
}
