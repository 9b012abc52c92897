// Restart mid-incident: a new engine built from the persisted state file neither re-pages what was sent
// nor forgets to send the resolution, nor loses a message that was due but not yet sent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StateStore } from '../../../src/state';
import { Harness } from './harness';
import { config, silentLogger } from './support';

const cfg = config({ pm2: { apps: { worker: {}, api: {} } }, alerts: { groupWait: '10s', repeatInterval: '4h' } });
const UP = { procs: [{ name: 'worker' }, { name: 'api', pmId: 1 }] };
const WORKER_MISSING = { procs: [{ name: 'api', pmId: 1 }] };

function stateFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-alerts-')), 'state.json');
}

test('killed while an alert fires: the restarted engine sends no second firing message; the resolution still comes', async () => {
  const file = stateFile();
  const first = new Harness(cfg, StateStore.load(file, silentLogger));
  await first.run(60, WORKER_MISSING);
  assert.deepEqual(first.messages.map(([, l]) => l), [['firing Pm2AppDown/worker']]);
  await first.store.flush(); // what the daemon does after every poll
  first.engine.stop();

  // vigil is down for 2 minutes, then starts again from the file
  await first.clock.advance(120_000);
  const second = new Harness(cfg, StateStore.load(file, silentLogger), first.clock);
  await second.run(600, WORKER_MISSING);
  assert.equal(second.sent.length, 0, 'no second firing message');
  assert.equal(second.engine.active()[0]?.state, 'firing');
  assert.equal(second.engine.active()[0]?.since, first.start + 15_000, 'still the same incident');
  await second.run(30, UP);
  assert.deepEqual(second.messages.map(([, l]) => l), [['resolved Pm2AppDown/worker']]);
  assert.equal(second.sent[0]!.alerts[0]!.since, first.start + 15_000);
});

test('killed after an alert fired but before its group went out: the restarted engine sends it', async () => {
  const file = stateFile();
  const first = new Harness(cfg, StateStore.load(file, silentLogger));
  await first.run(20, WORKER_MISSING); // firing at 15 s, due until 25 s
  assert.equal(first.sent.length, 0);
  await first.store.flush();
  first.engine.stop();
  const second = new Harness(cfg, StateStore.load(file, silentLogger), first.clock);
  await second.run(30, WORKER_MISSING);
  assert.deepEqual(second.messages.map(([, l]) => l), [['firing Pm2AppDown/worker']]);
});

test('killed after the app came back but before the resolution went out: the resolution is sent after restart', async () => {
  const file = stateFile();
  const first = new Harness(cfg, StateStore.load(file, silentLogger));
  await first.run(60, WORKER_MISSING);
  await first.run(5, UP); // resolved, due
  assert.equal(first.sent.length, 1);
  await first.store.flush();
  first.engine.stop();
  const second = new Harness(cfg, StateStore.load(file, silentLogger), first.clock);
  await second.run(30, UP);
  assert.deepEqual(second.messages.map(([, l]) => l), [['resolved Pm2AppDown/worker']]);
});

test('a corrupt alerts section starts fresh instead of crashing', async () => {
  const file = stateFile();
  fs.writeFileSync(file, JSON.stringify({ alerts: { version: 1, alerts: [{ alertname: 5 }, null], notes: 'x', restarts: [] }, maintenance: { since: 'x' } }));
  const h = new Harness(cfg, StateStore.load(file, silentLogger));
  assert.deepEqual(h.engine.active(), []);
  assert.equal(h.engine.current(), null);
  await h.run(30, WORKER_MISSING);
  assert.equal(h.sent.length, 1);
});
