/** The /health JSON body. Built field by field from the snapshot: nothing from PM2's env or the config's secrets. */
import type { Runtime } from '../runtime';
import type { Snapshot, SourceName } from '../snapshot';
import type { HealthStatus } from './types';

export interface HealthBody {
  status: HealthStatus;
  version: string;
  time: string;
  reasons: string[];
  warnings: string[];
  /** Facts that change no status, e.g. that queue worker counts are unknown (`workers: null`). */
  notes: string[];
  maintenance: null;
  sources: Record<string, { up: boolean; lastSuccess: string | null; error: string | null }>;
  apps: Record<string, { expected: number | null; online: number; status: string }>;
  queues: Record<string, { waiting: number; active: number; workers: number | null; paused: boolean; oldestWaitingSeconds: number }>;
  checks: Record<string, { up: boolean; rows: number; error: string | null }>;
  alerts: unknown[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function healthBody(runtime: Runtime, snapshot: Snapshot | null, status: HealthStatus, reasons: string[], warnings: string[], notes: string[]): HealthBody {
  const body: HealthBody = {
    status,
    version: runtime.version,
    time: new Date(runtime.now()).toISOString(),
    reasons,
    warnings,
    notes,
    maintenance: null,
    sources: {},
    apps: {},
    queues: {},
    checks: {},
    alerts: [],
  };
  if (!snapshot) return body;
  for (const [name, s] of Object.entries(snapshot.sources) as [SourceName, NonNullable<Snapshot['sources'][SourceName]>][]) {
    body.sources[name] = { up: s.up, lastSuccess: iso(s.lastSuccess), error: s.error };
  }
  for (const app of Object.values(snapshot.pm2?.apps ?? {})) {
    body.apps[app.name] = { expected: app.expected, online: app.online, status: app.status };
  }
  for (const q of Object.values(snapshot.queues?.queues ?? {})) {
    body.queues[q.name] = {
      waiting: q.counts.waiting + q.counts.prioritized,
      active: q.counts.active,
      workers: q.workers,
      paused: q.paused,
      oldestWaitingSeconds: Math.round(q.oldestWaitingSeconds),
    };
  }
  for (const c of Object.values(snapshot.checks?.checks ?? {})) {
    body.checks[c.name] = { up: c.up, rows: c.rows, error: c.error };
  }
  return body;
}
