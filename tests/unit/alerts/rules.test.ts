// The alert catalog (contracts.md section 5) over snapshot fixtures: one table row per rule and situation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditions } from '../../../src/alerts/rules';
import { advanceRestarts, restartsWithin, type RestartHistory } from '../../../src/alerts/rules/restarts';
import type { Condition } from '../../../src/alerts/types';
import { config, snapshot, type SnapSpec } from './support';

const T = Date.UTC(2026, 10, 29, 12);
const cfg = config({
  pm2: { apps: { 'avatar-generator-worker': { instances: 1, restart: true, memoryLimit: '500MB' }, api: { instances: 2 } } },
  queues: {
    list: { 'avatar-generation': { consumer: 'avatar-generator-worker', backlog: { above: 5, for: '5m' }, oldestWaiting: { above: '90s' } } },
  },
  postgres: {
    url: 'postgres://x@y/z',
    checks: { stuck: { sql: 'SELECT 1', alert: { above: 0, for: '0s', severity: 'critical' } }, other: { sql: 'SELECT 2' } },
  },
});
const healthyProcs = [
  { name: 'avatar-generator-worker' },
  { name: 'api', pmId: 1 },
  { name: 'api', pmId: 2 },
];

function find(spec: Omit<SnapSpec, 'time'>, alertname: string, subject: string, extra: { restarts?: RestartHistory; gaveUp?: Record<string, string> } = {}): Condition | undefined {
  const snap = snapshot(cfg, { time: T, ...spec });
  return conditions({ snapshot: snap, config: cfg, now: T, restarts: extra.restarts ?? {}, gaveUp: extra.gaveUp ?? {} }).find(
    (c) => c.alertname === alertname && c.subject === subject,
  );
}

type Row = {
  name: string;
  spec: Omit<SnapSpec, 'time'>;
  alert: [string, string];
  want: Partial<Condition> | undefined;
  summary?: RegExp;
  extra?: { restarts?: RestartHistory; gaveUp?: Record<string, string> };
};

const rows: Row[] = [
  { name: 'source down', spec: { sources: ['pm2', 'redis'], down: ['redis'] }, alert: ['VigilSourceDown', 'redis'], want: { active: true, severity: 'critical', forMs: 30_000, source: null }, summary: /redis polls fail: connect ECONNREFUSED/ },
  { name: 'source up', spec: { procs: healthyProcs }, alert: ['VigilSourceDown', 'pm2'], want: { active: false } },
  { name: 'disabled source: no alert at all', spec: { procs: healthyProcs }, alert: ['VigilSourceDown', 'postgres'], want: undefined },
  { name: 'expected app missing', spec: { procs: [{ name: 'api', pmId: 1 }, { name: 'api', pmId: 2 }] }, alert: ['Pm2AppDown', 'avatar-generator-worker'], want: { active: true, severity: 'critical', forMs: 15_000, source: 'pm2' }, summary: /^avatar-generator-worker: not in PM2$/ },
  { name: 'one of two instances errored', spec: { procs: [{ name: 'avatar-generator-worker' }, { name: 'api', pmId: 1 }, { name: 'api', pmId: 2, status: 'errored' }] }, alert: ['Pm2AppDown', 'api'], want: { active: true }, summary: /api: errored \(1\/2 online\)/ },
  { name: 'stuck in waiting restart', spec: { procs: [{ name: 'avatar-generator-worker', status: 'waiting restart' }] }, alert: ['Pm2AppDown', 'avatar-generator-worker'], want: { active: true }, summary: /waiting restart \(0\/1 online\)/ },
  { name: 'expected apps online', spec: { procs: healthyProcs }, alert: ['Pm2AppDown', 'api'], want: { active: false } },
  { name: 'PM2 down: app state unknown (held)', spec: { down: ['pm2'] }, alert: ['Pm2AppDown', 'api'], want: { active: 'unknown' } },
  { name: 'memory over the limit', spec: { procs: [{ name: 'avatar-generator-worker', memory: 612e6 }] }, alert: ['Pm2AppMemoryHigh', 'avatar-generator-worker'], want: { active: true, severity: 'warning', forMs: 300_000 }, summary: /pm_id 0 uses 612 MB \(limit 500 MB\)/ },
  { name: 'memory under the limit', spec: { procs: healthyProcs }, alert: ['Pm2AppMemoryHigh', 'avatar-generator-worker'], want: { active: false } },
  { name: 'no memoryLimit: no memory alert', spec: { procs: healthyProcs }, alert: ['Pm2AppMemoryHigh', 'api'], want: undefined },
  { name: 'watchdog gave up', spec: { procs: healthyProcs }, alert: ['Pm2AppRestartGaveUp', 'api'], want: { active: true, severity: 'critical', forMs: 0 }, summary: /api: 3 restarts in 10m/, extra: { gaveUp: { api: '3 restarts in 10m, waiting 30m' } } },
  { name: 'crash loop: 5 restarts in the window', spec: { procs: healthyProcs }, alert: ['Pm2AppCrashLooping', 'api'], want: { active: true, severity: 'warning', forMs: 0 }, summary: /restarted 5 times in the last 10m/, extra: { restarts: { api: { seenAt: T, counts: {}, events: [[T - 60_000, 3], [T, 2]] } } } },
  { name: 'crash loop: 4 restarts is not one', spec: { procs: healthyProcs }, alert: ['Pm2AppCrashLooping', 'api'], want: { active: false }, extra: { restarts: { api: { seenAt: T, counts: {}, events: [[T, 4]] } } } },
  {
    name: 'queue with jobs and no worker, consumer not in PM2',
    spec: { procs: [{ name: 'api' }], queues: [{ name: 'avatar-generation', waiting: 12, workers: 0 }] },
    alert: ['QueueNoConsumer', 'avatar-generation'],
    want: { active: true, severity: 'critical', forMs: 30_000, source: 'redis' },
    summary: /^12 waiting, no worker; avatar-generator-worker: not in PM2$/,
  },
  { name: 'consumer online but no worker attached', spec: { procs: healthyProcs, queues: [{ name: 'avatar-generation', waiting: 1, workers: 0 }] }, alert: ['QueueNoConsumer', 'avatar-generation'], want: { active: true }, summary: /online but not connected to Redis\?/ },
  { name: 'prioritized jobs count as waiting', spec: { queues: [{ name: 'q2', counts: { waiting: 0, prioritized: 4, active: 0, delayed: 0, waiting_children: 0, completed: 0, failed: 0 }, workers: 0 }] }, alert: ['QueueNoConsumer', 'q2'], want: { active: true }, summary: /4 waiting, no worker; no consumer app configured/ },
  { name: 'paused queue is not without a consumer', spec: { queues: [{ name: 'avatar-generation', waiting: 12, workers: 0, paused: true }] }, alert: ['QueueNoConsumer', 'avatar-generation'], want: { active: false } },
  { name: 'workers attached', spec: { queues: [{ name: 'avatar-generation', waiting: 12, workers: 2 }] }, alert: ['QueueNoConsumer', 'avatar-generation'], want: { active: false } },
  { name: 'workers unknown, nothing finished since start: fallback pends for noConsumer.for', spec: { queues: [{ name: 'q', waiting: 3, workers: null }] }, alert: ['QueueNoConsumer', 'q'], want: { active: true, forMs: 30_000 }, summary: /worker count unknown/ },
  { name: 'workers unknown, last job finished 40s ago: fires', spec: { queues: [{ name: 'q', waiting: 3, workers: null, lastFinishedAt: T - 40_000 }] }, alert: ['QueueNoConsumer', 'q'], want: { active: true, forMs: 0 }, summary: /no job finished for 40s/ },
  { name: 'workers unknown, a job finished 10s ago: not yet', spec: { queues: [{ name: 'q', waiting: 3, workers: null, lastFinishedAt: T - 10_000 }] }, alert: ['QueueNoConsumer', 'q'], want: { active: false } },
  { name: 'workers unknown, a job is active: not without consumer', spec: { queues: [{ name: 'q', waiting: 3, workers: null, counts: { waiting: 3, active: 1, prioritized: 0, delayed: 0, waiting_children: 0, completed: 0, failed: 0 } }] }, alert: ['QueueNoConsumer', 'q'], want: { active: false } },
  { name: 'backlog above the listed override', spec: { queues: [{ name: 'avatar-generation', waiting: 6 }] }, alert: ['QueueBacklog', 'avatar-generation'], want: { active: true, severity: 'warning', forMs: 300_000 }, summary: /6 waiting \(above 5\)/ },
  { name: 'backlog at the threshold is not above it', spec: { queues: [{ name: 'avatar-generation', waiting: 5 }] }, alert: ['QueueBacklog', 'avatar-generation'], want: { active: false } },
  { name: 'discovered queue uses the defaults', spec: { queues: [{ name: 'other', waiting: 50 }] }, alert: ['QueueBacklog', 'other'], want: { active: false, forMs: 300_000 } },
  { name: 'oldest waiting over 90s', spec: { queues: [{ name: 'avatar-generation', waiting: 1, oldestWaitingSeconds: 340 }] }, alert: ['QueueOldestWaiting', 'avatar-generation'], want: { active: true, forMs: 0 }, summary: /5m 40s old \(above 1m 30s\)/ },
  { name: 'failure rate above', spec: { queues: [{ name: 'q', failureRatio: 0.1, finishedInWindow: { completed: 45, failed: 5 } }] }, alert: ['QueueFailureRate', 'q'], want: { active: true, severity: 'warning' }, summary: /10\.0% failed \(5 of 50 in 15m/ },
  { name: 'failure rate below minJobs: ratio absent', spec: { queues: [{ name: 'q', failureRatio: null, finishedInWindow: { completed: 5, failed: 5 } }] }, alert: ['QueueFailureRate', 'q'], want: { active: false } },
  { name: 'redis down: queue alerts have no conditions (held by the engine)', spec: { down: ['redis'] }, alert: ['QueueBacklog', 'avatar-generation'], want: undefined },
  { name: 'check rows above, its own severity', spec: { checks: [{ name: 'stuck', rows: 3, oldestSeconds: 900, sampleIds: ['a1', 'b2', 'c3'] }] }, alert: ['CheckRowsAbove', 'stuck'], want: { active: true, severity: 'critical', forMs: 0, source: 'postgres' }, summary: /stuck: 3 rows \(above 0\), oldest 15m; ids a1, b2, c3/ },
  { name: 'check at zero rows', spec: { checks: [{ name: 'stuck', rows: 0 }] }, alert: ['CheckRowsAbove', 'stuck'], want: { active: false } },
  { name: 'check not run yet: rows unknown', spec: { checks: [] }, alert: ['CheckRowsAbove', 'other'], want: { active: 'unknown', severity: 'warning' } },
  { name: 'check query fails: rows held', spec: { checks: [{ name: 'stuck', up: false, error: 'relation "x" does not exist' }] }, alert: ['CheckRowsAbove', 'stuck'], want: { active: 'unknown' } },
  { name: 'check query fails: CheckFailing', spec: { checks: [{ name: 'stuck', up: false, error: 'relation "x" does not exist' }] }, alert: ['CheckFailing', 'stuck'], want: { active: true, severity: 'warning', forMs: 60_000 }, summary: /query fails: relation "x" does not exist/ },
];

for (const row of rows) {
  test(`rule: ${row.name}`, () => {
    const c = find(row.spec, row.alert[0], row.alert[1], row.extra);
    if (row.want === undefined) return assert.equal(c, undefined);
    assert.ok(c, `no ${row.alert.join('/')} condition`);
    for (const [k, v] of Object.entries(row.want)) assert.equal(c[k as keyof Condition], v, k);
    if (row.summary) assert.match(c.summary, row.summary);
  });
}

test('restart history: increments counted in time, only against a fresh baseline', () => {
  const procs = (api: number, pmId = 1) => snapshot(cfg, { time: T, procs: [{ name: 'api', pmId, restarts: api }] }).pm2;
  let h: RestartHistory = {};
  h = advanceRestarts(h, procs(7), T);
  assert.equal(restartsWithin(h, 'api', T), 0, 'restarts before vigil saw the app are not counted');
  h = advanceRestarts(h, procs(9), T + 60_000);
  h = advanceRestarts(h, procs(12), T + 120_000);
  assert.equal(restartsWithin(h, 'api', T + 120_000), 5);
  assert.equal(restartsWithin(h, 'api', T + 60_000 + 600_000), 3, 'the first 2 left the 10-minute window');
  h = advanceRestarts(h, null, T + 130_000);
  assert.equal(restartsWithin(h, 'api', T + 130_000), 5, 'PM2 down: history kept');
  h = advanceRestarts(h, procs(0), T + 140_000);
  assert.equal(restartsWithin(h, 'api', T + 140_000), 5, 'a counter that went back re-bases, adds nothing');
  h = advanceRestarts(h, procs(3, 9), T + 150_000);
  assert.equal(restartsWithin(h, 'api', T + 150_000), 5, 'a new pm_id has no baseline');
  h = advanceRestarts(h, procs(40, 9), T + 150_000 + 11 * 60_000);
  assert.equal(restartsWithin(h, 'api', T + 150_000 + 11 * 60_000), 0, 'after a gap longer than the window: re-based, not counted');
});
