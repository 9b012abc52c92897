/**
 * The snapshot: what one poll of every source found. Immutable; `/metrics`, `/health`, the alert rules,
 * the watchdog and the CLI read only this. A source that failed has `up: false` and null data — its old
 * values are never served as current.
 */

export const SOURCE_NAMES = ['pm2', 'redis', 'postgres'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface SourceState {
  up: boolean;
  /** Duration of the last poll, ms. */
  durationMs: number;
  /** Epoch ms of the last successful poll; null before the first. */
  lastSuccess: number | null;
  /** One-line error of the last poll (already scrubbed of secrets); null when up. */
  error: string | null;
  /** Failed polls since vigil started. */
  errorsTotal: number;
}

export const PM2_STATUSES = ['online', 'stopping', 'stopped', 'launching', 'errored', 'waiting_restart', 'one_launch_status'] as const;
export type Pm2Status = (typeof PM2_STATUSES)[number];

export interface Pm2Process {
  name: string;
  pmId: number;
  pid: number | null;
  status: Pm2Status;
  /** PM2's `restart_time`. */
  restarts: number;
  memoryBytes: number;
  /** PM2's cpu percent / 100. */
  cpuRatio: number;
  /** Since the last start; 0 when not online. */
  uptimeSeconds: number;
}

/** An app's verdict: `online` when at least the expected instances are online. */
export type Pm2AppStatus = 'online' | 'missing' | 'partial' | Exclude<Pm2Status, 'online'>;

export interface Pm2App {
  name: string;
  /** Instances the config expects; null for an app PM2 runs that vigil was not told about. */
  expected: number | null;
  online: number;
  instances: Record<Pm2Status, number>;
  status: Pm2AppStatus;
  /** At least `expected` (or, for unexpected apps, every listed) instance is online. */
  up: boolean;
}

export interface Pm2Data {
  processes: readonly Pm2Process[];
  /** Every app PM2 lists plus every expected app, by name. */
  apps: Readonly<Record<string, Pm2App>>;
}

export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting_children', 'completed', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

export interface QueueState {
  name: string;
  counts: Record<QueueJobState, number>;
  paused: boolean;
  /** Workers attached; null when it cannot be known (CLIENT LIST refused or disabled). */
  workers: number | null;
  /** Age of the oldest waiting (or prioritized) job; 0 when none wait. */
  oldestWaitingSeconds: number;
  /** Jobs finished since vigil started, from the event stream. */
  finished: { completed: number; failed: number };
  /** Jobs finished within the queue's failureRate.window. */
  finishedInWindow: { completed: number; failed: number };
  /** failed / finished over the window; null below minJobs. */
  failureRatio: number | null;
  /** Epoch ms of the newest finished job seen in the event stream; kept in the state file with the stream cursor, so it survives a restart; null when none seen yet. */
  lastFinishedAt: number | null;
}

export interface QueuesData {
  queues: Readonly<Record<string, QueueState>>;
  /** Why worker counts are unknown (e.g. "CLIENT LIST refused: NOPERM"); null when they are known. */
  workersUnknownReason: string | null;
}

export interface CheckState {
  name: string;
  up: boolean;
  error: string | null;
  rows: number;
  /** Age of the oldest row, from a `created_at` column; null without one. */
  oldestSeconds: number | null;
  durationMs: number;
  /** The first few `id` values, for alerts and /health. */
  sampleIds: readonly string[];
  /** Epoch ms of this result's run. */
  ranAt: number;
}

export interface ChecksData {
  checks: Readonly<Record<string, CheckState>>;
}

/** What each source's poll returns. */
export interface SourceData {
  pm2: Pm2Data;
  redis: QueuesData;
  postgres: ChecksData;
}

export interface Snapshot {
  /** Epoch ms when this poll completed. */
  time: number;
  /** Only the sources that are enabled. */
  sources: Readonly<Partial<Record<SourceName, SourceState>>>;
  pm2: Pm2Data | null;
  queues: QueuesData | null;
  checks: ChecksData | null;
}
