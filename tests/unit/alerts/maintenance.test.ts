// Maintenance windows in the engine: alerts computed and shown, nothing notified, what still fires when
// the window closes is notified once; the window persists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Harness } from './harness';
import { config, MemoryStore } from './support';

const cfg = config({ pm2: { apps: { worker: {}, api: {} } }, alerts: { groupWait: '10s', repeatInterval: '1h' } });
const UP = { procs: [{ name: 'worker' }, { name: 'api', pmId: 1 }] };
const WORKER_MISSING = { procs: [{ name: 'api', pmId: 1 }] };
const BOTH_MISSING = { procs: [] };

test('during a window: shown as silenced, not notified; at its end, what still fires is notified once', async () => {
  const h = new Harness(cfg);
  h.engine.open(15 * 60_000, 'deploy');
  await h.run(895, WORKER_MISSING); // the window outlasts groupWait many times over
  assert.deepEqual(h.messages, []);
  assert.deepEqual(h.engine.active().map((a) => [a.alertname, a.state, a.silenced]), [['Pm2AppDown', 'firing', 'maintenance']]);
  await h.run(2 * 3600, WORKER_MISSING);
  assert.deepEqual(h.messages, [
    [900 + 10, ['firing Pm2AppDown/worker'], []],
    [910 + 3600 + 10, ['firing Pm2AppDown/worker'], []],
  ], 'once when the window ends, then the normal repeat');
  assert.equal(h.engine.active()[0]?.silenced, null);
});

test('window closed by hand: one message for everything still firing, none for what fired and resolved inside it', async () => {
  const h = new Harness(cfg);
  h.engine.open(15 * 60_000, 'deploy');
  await h.run(60, BOTH_MISSING);
  await h.run(60, WORKER_MISSING); // api came back inside the window
  assert.deepEqual(h.engine.active().map((a) => [a.alertname, a.subject, a.silenced]), [['Pm2AppDown', 'worker', 'maintenance']]);
  assert.deepEqual(h.engine.current()?.reason, 'deploy');
  h.engine.close();
  assert.equal(h.engine.current(), null);
  await h.run(600, WORKER_MISSING);
  assert.deepEqual(h.messages, [[120 + 10, ['firing Pm2AppDown/worker'], []]]);
});

test('window that expires by itself: the same, at the first poll after it ends', async () => {
  const h = new Harness(cfg);
  h.engine.open(60_000, 'deploy');
  await h.run(300, WORKER_MISSING);
  assert.deepEqual(h.messages, [[60 + 10, ['firing Pm2AppDown/worker'], []]]);
  assert.equal(h.engine.current(), null);
});

test('an alert notified before the window and resolved inside it: its resolution goes out when the window closes', async () => {
  const h = new Harness(cfg);
  await h.run(60, WORKER_MISSING);
  assert.equal(h.sent.length, 1);
  h.engine.open(10 * 60_000, 'deploy');
  await h.run(60, UP);
  assert.equal(h.sent.length, 1);
  h.engine.close();
  await h.run(30, UP);
  assert.deepEqual(h.messages.slice(1).map(([, l]) => l), [['resolved Pm2AppDown/worker']]);
});

test('the window is persisted: a new engine from the same state is still in maintenance', async () => {
  const store = new MemoryStore();
  const h = new Harness(cfg, store);
  const w = h.engine.open(15 * 60_000, 'db migration');
  const again = new Harness(cfg, store.copy(), h.clock);
  assert.deepEqual(again.engine.current(), w);
  await again.run(60, WORKER_MISSING);
  assert.deepEqual(again.messages, []);
});
