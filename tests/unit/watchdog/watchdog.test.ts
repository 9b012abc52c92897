// The Watchdog's bookkeeping around the pure decision, with a fake PM2 (our own seam) and snapshots built
// by hand: lines, counters, dry run, maintenance, give-up once, persisted budgets, the queue link.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Config, ExpectedApp } from '../../../src/config/types';
import type { Pm2Actions } from '../../../src/pm2/actions';
import type { QueueState, Snapshot } from '../../../src/snapshot';
import { buildPm2Data } from '../../../src/sources/pm2-map';
import { StateStore } from '../../../src/state';
import { Watchdog, type WatchdogAction } from '../../../src/watchdog';
import { captureLogger } from '../../helpers/capture-logger';
import { testConfig } from '../../helpers/runtime';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const S = 1000;

function config(watchdog: Record<string, unknown> = {}): Config {
  const c = testConfig({
    pm2: { apps: { worker: { restart: true }, other: {} }, watchdog: { grace: '2s', budget: { restarts: 2, within: '1m' }, cooldown: '30s', ...watchdog } },
    queues: { list: { jobs: { consumer: 'worker' } } },
  });
  // An ecosystem definition, as loadEcosystem would have put there (it holds env: never logged).
  const expected = { ...c.pm2.expected, worker: { ...c.pm2.expected.worker!, definition: { name: 'worker', script: 'w.js', env: { SECRET: 'canary-def-env' } } } };
  return { ...c, pm2: { ...c.pm2, expected } };
}

class FakePm2 implements Pm2Actions {
  calls: string[] = [];
  fail: string | null = null;
  async start(app: ExpectedApp) {
    this.calls.push(`start ${app.name}`);
    if (this.fail) throw new Error(this.fail);
    return 1;
  }
  async restart(pmId: number, waiting: boolean) {
    this.calls.push(`restart ${pmId}${waiting ? ' (waiting)' : ''}`);
    if (this.fail) throw new Error(this.fail);
  }
  async scale(fromPmId: number, count: number) {
    this.calls.push(`scale ${fromPmId} +${count}`);
  }
  close() {}
}

function snapshot(c: Config, at: number, worker: string[] | 'missing', queue?: Partial<QueueState>): Snapshot {
  const raw = worker === 'missing' ? [] : worker.map((status, i) => ({ name: 'worker', pm_id: i, pid: 10 + i, pm2_env: { status, pm_uptime: at - 60 * S } }));
  const queues = queue
    ? { queues: { jobs: { name: 'jobs', counts: { waiting: 20, active: 0, delayed: 0, prioritized: 0, waiting_children: 0, completed: 0, failed: 0 }, paused: false, workers: 0, oldestWaitingSeconds: 5, finished: { completed: 0, failed: 0 }, finishedInWindow: { completed: 0, failed: 0 }, failureRatio: null, lastFinishedAt: null, ...queue } }, workersUnknownReason: null }
    : null;
  return { time: at, sources: {}, pm2: buildPm2Data(raw, c.pm2.expected, at), queues, checks: null };
}

function setup(c: Config, opts: { maintenance?: () => boolean; stateFile?: string } = {}) {
  const { logger, lines } = captureLogger();
  const store = StateStore.load(opts.stateFile ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-wd-')), 'state.json'), logger);
  const pm2 = new FakePm2();
  const actions: WatchdogAction[] = [];
  const wd = new Watchdog(c, { actions: pm2, store, logger, onAction: (a) => actions.push(a), ...(opts.maintenance && { inMaintenance: opts.maintenance }) });
  return { wd, pm2, actions, lines, store };
}

/** Feeds one snapshot per second from T0 for `seconds`, waiting for each action. */
async function feed(wd: Watchdog, c: Config, seconds: number, worker: string[] | 'missing', queue?: Partial<QueueState>, from = T0) {
  for (let i = 0; i <= seconds; i++) {
    wd.onSnapshot(snapshot(c, from + i * S, worker, queue));
    await wd.idle();
  }
}

test('an errored app: restarted after grace, at most budget times, gave up once, lines and counters, nothing about its env in the log', async () => {
  const c = config();
  const { wd, pm2, actions, lines } = setup(c);
  await feed(wd, c, 20, ['errored']);
  assert.deepEqual(pm2.calls, ['restart 0', 'restart 0']);
  assert.deepEqual(actions.map((a) => [a.line, a.alertname, a.subject]), [
    ['restarted worker (attempt 1/2)', 'Pm2AppDown', 'worker'],
    ['restarted worker (attempt 2/2)', 'Pm2AppDown', 'worker'],
  ]);
  assert.deepEqual(wd.stats().actions, [{ app: 'worker', action: 'restart', result: 'ok', count: 2 }]);
  assert.equal(wd.stats().gaveUp.worker, T0 + 6 * S);
  assert.match(wd.gaveUp().worker ?? '', /^2 watchdog actions within 1m did not bring it up; left alone until 2026-11-29T12:00:36.000Z$/);
  assert.equal(lines.filter((l) => l.includes('gave up on worker')).length, 1);
  assert.equal(lines.filter((l) => l.includes('"action":"restart"')).length, 2);
  assert.ok(!lines.join('\n').includes('canary-def-env'));
});

test('a failed start counts against the budget and says why', async () => {
  const c = config();
  const { wd, pm2, actions } = setup(c);
  pm2.fail = 'no PM2 daemon answers';
  await feed(wd, c, 3, 'missing');
  assert.deepEqual(actions.map((a) => [a.result, a.line]), [['error', 'failed to start worker (attempt 1/2): no PM2 daemon answers']]);
  assert.deepEqual(wd.stats().actions, [{ app: 'worker', action: 'start', result: 'error', count: 1 }]);
});

test('dry run: logs and counts what it would do, calls nothing, never reports a give-up', async () => {
  const c = config({ dryRun: true });
  const { wd, pm2, actions } = setup(c);
  await feed(wd, c, 20, 'missing');
  assert.deepEqual(pm2.calls, []);
  assert.deepEqual(actions.map((a) => a.line), ['would start worker (dry run, attempt 1/2)', 'would start worker (dry run, attempt 2/2)']);
  assert.deepEqual(wd.stats().actions, [{ app: 'worker', action: 'start', result: 'dry_run', count: 2 }]);
  assert.deepEqual(wd.gaveUp(), {});
  assert.deepEqual(wd.stats().gaveUp, { worker: null });
});

test('maintenance: nothing is done while the window is open; after it closes, the app is acted on', async () => {
  const c = config();
  let open = true;
  const { wd, pm2 } = setup(c, { maintenance: () => open });
  await feed(wd, c, 10, 'missing');
  assert.deepEqual(pm2.calls, []);
  open = false;
  await feed(wd, c, 0, 'missing', undefined, T0 + 11 * S);
  assert.deepEqual(pm2.calls, ['start worker']);
});

test('the queue link: a starved queue names the action; an online consumer without a worker is not restarted', async () => {
  const c = config();
  const { wd, pm2, actions, lines } = setup(c);
  await feed(wd, c, 3, 'missing', {});
  assert.deepEqual(actions.map((a) => [a.line, a.alertname, a.subject]), [['started worker (attempt 1/2)', 'QueueNoConsumer', 'jobs']]);
  assert.match(actions[0]!.why, /^missing from PM2 for 2s; queue jobs: 20 waiting, no worker$/);

  const online = setup(c);
  await feed(online.wd, c, 30, ['online'], {});
  assert.deepEqual(online.pm2.calls, []);
  assert.equal(online.lines.filter((l) => l.includes('worker is online but not connected to Redis?')).length, 1);
  assert.ok(pm2.calls.length === 1 && lines.length > 0);
});

test('a restart of vigil keeps the spent budget and the cooldown (state file)', async () => {
  const c = config();
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-wd-')), 'state.json');
  const first = setup(c, { stateFile });
  await feed(first.wd, c, 10, ['errored']);
  assert.equal(first.pm2.calls.length, 2);
  await first.store.flush();

  const second = setup(c, { stateFile });
  assert.equal(second.wd.stats().gaveUp.worker, T0 + 6 * S);
  await feed(second.wd, c, 20, ['errored'], undefined, T0 + 11 * S); // still inside the 30 s cooldown
  assert.deepEqual(second.pm2.calls, []);
  await feed(second.wd, c, 1, ['errored'], undefined, T0 + 40 * S); // cooldown over: a fresh budget
  assert.deepEqual(second.pm2.calls, ['restart 0']);

  // A dry-run vigil does not inherit (or overwrite the meaning of) the live budget.
  const dry = setup(config({ dryRun: true }), { stateFile });
  assert.deepEqual(dry.wd.stats().gaveUp, { worker: null });
});
