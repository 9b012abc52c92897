/** Fixtures for the alert tests: a config, snapshots built from plain descriptions, a recording sink. */
import os from 'node:os';
import assert from 'node:assert/strict';
import { buildConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/types';
import type { Notification } from '../../../src/notify/types';
import type { CheckState, QueueState, Snapshot, SourceName, SourceState } from '../../../src/snapshot';
import { buildPm2Data } from '../../../src/sources/pm2-map';
import type { SectionStore } from '../../../src/state';
import pino from 'pino';

/** The project's fake clock (tests/helpers): time moves only when a test says so. */
export { FakeClock } from '../../helpers/fake-clock';

export function config(raw: Record<string, unknown> = {}): Config {
  const result = buildConfig(raw, { env: {}, baseDir: os.tmpdir(), file: null });
  if (!result.ok) assert.fail(result.problems.join('\n'));
  return result.config;
}

export interface ProcSpec {
  name: string;
  status?: string;
  restarts?: number;
  memory?: number;
  pmId?: number;
}

export interface SnapSpec {
  time: number;
  /** Sources that are down (their data null). */
  down?: SourceName[];
  /** Which sources are enabled; default pm2 only, plus redis/postgres when their data is given. */
  sources?: SourceName[];
  procs?: ProcSpec[];
  queues?: Array<Partial<QueueState> & { name: string; waiting?: number }>;
  checks?: Array<Partial<CheckState> & { name: string }>;
}

function source(up: boolean, time: number): SourceState {
  return { up, durationMs: 1, lastSuccess: up ? time : null, error: up ? null : 'connect ECONNREFUSED', errorsTotal: up ? 0 : 1 };
}

export function queue(q: Partial<QueueState> & { name: string; waiting?: number }): QueueState {
  const { waiting, ...rest } = q;
  return {
    counts: { waiting: waiting ?? 0, active: 0, delayed: 0, prioritized: 0, waiting_children: 0, completed: 0, failed: 0 },
    paused: false,
    workers: 1,
    oldestWaitingSeconds: 0,
    finished: { completed: 0, failed: 0 },
    finishedInWindow: { completed: 0, failed: 0 },
    failureRatio: null,
    lastFinishedAt: null,
    ...rest,
  };
}

export function snapshot(cfg: Config, spec: SnapSpec): Snapshot {
  const enabled = new Set<SourceName>(spec.sources ?? ['pm2']);
  if (spec.queues) enabled.add('redis');
  if (spec.checks) enabled.add('postgres');
  for (const d of spec.down ?? []) enabled.add(d);
  const up = (s: SourceName) => !(spec.down ?? []).includes(s);
  const sources: Partial<Record<SourceName, SourceState>> = {};
  for (const s of enabled) sources[s] = source(up(s), spec.time);
  const raw = (spec.procs ?? []).map((p, i) => ({
    name: p.name,
    pm_id: p.pmId ?? i,
    pid: 1000 + i,
    monit: { memory: p.memory ?? 50e6, cpu: 1 },
    pm2_env: { status: p.status ?? 'online', restart_time: p.restarts ?? 0, pm_uptime: spec.time - 60_000 },
  }));
  return {
    time: spec.time,
    sources,
    pm2: enabled.has('pm2') && up('pm2') ? buildPm2Data(raw, cfg.pm2.expected, spec.time) : null,
    queues:
      enabled.has('redis') && up('redis')
        ? { queues: Object.fromEntries((spec.queues ?? []).map((q) => [q.name, queue(q)])), workersUnknownReason: null }
        : null,
    checks:
      enabled.has('postgres') && up('postgres')
        ? {
            checks: Object.fromEntries(
              (spec.checks ?? []).map((c) => [
                c.name,
                { up: true, error: null, rows: 0, oldestSeconds: null, durationMs: 3, sampleIds: [], ranAt: spec.time, ...c },
              ]),
            ),
          }
        : null,
  };
}

export class RecordingSink {
  readonly sent: Notification[] = [];
  enqueue(n: Notification): void {
    this.sent.push(n);
  }
}

/** An in-memory state file with the StateStore's section interface; `copy()` is what a restart would read. */
export class MemoryStore implements SectionStore {
  constructor(private sections: Record<string, unknown> = {}) {}
  get(section: string): unknown {
    return this.sections[section];
  }
  set(section: string, value: unknown): void {
    this.sections[section] = JSON.parse(JSON.stringify(value)) as unknown;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  copy(): MemoryStore {
    return new MemoryStore(JSON.parse(JSON.stringify(this.sections)) as Record<string, unknown>);
  }
}

export const silentLogger = pino({ level: 'silent' });
