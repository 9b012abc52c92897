import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { buildConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/types';
import { evaluateHealth } from '../../../src/health';
import type { Runtime } from '../../../src/runtime';
import { PM2_STATUSES, type Pm2App, type Pm2AppStatus, type QueueState, type Snapshot } from '../../../src/snapshot';
import { deepFreeze } from '../../../src/util/freeze';

const NOW = 1_800_000_000_000;

function config(): Config {
  const r = buildConfig(
    {
      pm2: { apps: { 'avatar-generator-worker': { instances: 1 } } },
      queues: { list: { 'avatar-generation': { consumer: 'avatar-generator-worker', noConsumer: { for: '30s' } }, 'no-consumer-set': {} } },
    },
    { env: {}, baseDir: os.tmpdir(), file: null },
  );
  if (!r.ok) assert.fail(r.problems.join('\n'));
  return r.config;
}

function queue(name: string, over: Partial<QueueState> & { waiting?: number; active?: number; prioritized?: number } = {}): QueueState {
  const { waiting = 0, active = 0, prioritized = 0, ...rest } = over;
  return {
    name,
    counts: { waiting, active, delayed: 0, prioritized, waiting_children: 0, completed: 0, failed: 0 },
    paused: false,
    workers: 0,
    oldestWaitingSeconds: waiting + prioritized > 0 ? 340 : 0,
    finished: { completed: 0, failed: 0 },
    finishedInWindow: { completed: 0, failed: 0 },
    failureRatio: null,
    lastFinishedAt: null,
    ...rest,
  };
}

function app(name: string, status: Pm2AppStatus, online: number): Pm2App {
  const instances = Object.fromEntries(PM2_STATUSES.map((s) => [s, 0])) as Pm2App['instances'];
  if (status === 'online') instances.online = online;
  return { name, expected: 1, online, instances, status, up: online >= 1 };
}

function verdict(queues: QueueState[], opts: { apps?: Pm2App[] | null; unknown?: string | null } = {}) {
  const c = config();
  const up = { up: true, durationMs: 3, lastSuccess: NOW, error: null, errorsTotal: 0 };
  const snapshot: Snapshot = deepFreeze({
    time: NOW,
    sources: opts.apps === null ? { redis: up } : { pm2: up, redis: up },
    pm2: opts.apps === null ? null : { processes: [], apps: Object.fromEntries((opts.apps ?? []).map((a) => [a.name, a])) },
    queues: { queues: Object.fromEntries(queues.map((q) => [q.name, q])), workersUnknownReason: opts.unknown ?? null },
    checks: null,
  });
  const runtime: Runtime = { config: c, version: '0.0.0-test', now: () => NOW, snapshot: () => snapshot, lastTick: () => NOW, scrub: (t) => t };
  return evaluateHealth(runtime);
}

test('waiting jobs, no worker, consumer not in PM2: 503 naming the queue and the consumer state', () => {
  const v = verdict([queue('avatar-generation', { waiting: 12 })], { apps: [app('avatar-generator-worker', 'missing', 0)] });
  assert.equal(v.code, 503);
  assert.ok(v.body.reasons.includes('queue avatar-generation: 12 waiting, no worker; consumer avatar-generator-worker: not in PM2'), v.body.reasons.join('\n'));
  assert.deepEqual(v.body.queues['avatar-generation'], { waiting: 12, active: 0, workers: 0, paused: false, oldestWaitingSeconds: 340 });
  assert.deepEqual(v.body.notes, []);
});

test('consumer online in PM2 but no worker attached: "online but not connected to Redis?"', () => {
  const v = verdict([queue('avatar-generation', { waiting: 2, prioritized: 3 })], { apps: [app('avatar-generator-worker', 'online', 1)] });
  assert.deepEqual(v.body.reasons, ['queue avatar-generation: 5 waiting, no worker; consumer avatar-generator-worker: online but not connected to Redis?']);
  assert.equal(v.code, 503);
});

test('other consumer states, and PM2 unknown', () => {
  const stopped = verdict([queue('avatar-generation', { waiting: 1 })], { apps: [app('avatar-generator-worker', 'waiting_restart', 0)] });
  assert.ok(stopped.body.reasons.includes('queue avatar-generation: 1 waiting, no worker; consumer avatar-generator-worker: waiting restart'));
  const noPm2 = verdict([queue('avatar-generation', { waiting: 1 })], { apps: null });
  assert.deepEqual(noPm2.body.reasons, ['queue avatar-generation: 1 waiting, no worker; consumer avatar-generator-worker: PM2 state unknown']);
});

test('paused, a worker attached, nothing waiting, or no consumer configured: no reason', () => {
  const apps = [app('avatar-generator-worker', 'online', 1)];
  assert.equal(verdict([queue('avatar-generation', { waiting: 12, paused: true })], { apps }).code, 200);
  assert.equal(verdict([queue('avatar-generation', { waiting: 12, workers: 1 })], { apps }).code, 200);
  assert.equal(verdict([queue('avatar-generation', { active: 3 })], { apps }).code, 200);
  assert.equal(verdict([queue('no-consumer-set', { waiting: 12 }), queue('discovered', { waiting: 9 })], { apps }).code, 200);
});

test('workers unknown: a note, never "no worker"; the fallback fails only when nothing moved for noConsumer.for', () => {
  const apps = [app('avatar-generator-worker', 'online', 1)];
  const unknown = 'CLIENT LIST refused: NOPERM';
  const fresh = verdict([queue('avatar-generation', { waiting: 4, workers: null, oldestWaitingSeconds: 5 })], { apps, unknown });
  assert.equal(fresh.code, 200);
  assert.equal(fresh.status, 'ok');
  assert.equal(fresh.body.notes.length, 1);
  assert.match(fresh.body.notes[0]!, /^queue workers unknown \(CLIENT LIST refused: NOPERM\)/);
  assert.equal(fresh.body.queues['avatar-generation']!.workers, null);

  const active = verdict([queue('avatar-generation', { waiting: 4, active: 1, workers: null, oldestWaitingSeconds: 600 })], { apps, unknown });
  assert.equal(active.code, 200);
  const recent = verdict([queue('avatar-generation', { waiting: 4, workers: null, oldestWaitingSeconds: 600, lastFinishedAt: NOW - 10_000 })], { apps, unknown });
  assert.equal(recent.code, 200, 'a job finished 10s ago: someone consumes');

  const stalled = verdict([queue('avatar-generation', { waiting: 4, workers: null, oldestWaitingSeconds: 600, lastFinishedAt: NOW - 31_000 })], { apps, unknown });
  assert.equal(stalled.code, 503);
  assert.deepEqual(stalled.body.reasons, [
    'queue avatar-generation: 4 waiting, none active, none finished for 30s (workers unknown); consumer avatar-generator-worker: online but not connected to Redis?',
  ]);
});
