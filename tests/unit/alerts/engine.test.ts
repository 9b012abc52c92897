// The alert engine end to end on a fake clock: `for`, grouping, repeat, resolution, hold, minSeverity,
// maintenance, notes and actions. Polls are every 5 s; nothing sleeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlertEngine } from '../../../src/alerts/engine';
import { Harness } from './harness';
import { config, FakeClock, MemoryStore, RecordingSink, silentLogger, snapshot } from './support';

const cfg = config({
  pm2: { apps: { worker: { instances: 1, restart: true }, api: { instances: 1 } }, watchdog: { grace: '15s' } },
  alerts: { groupWait: '10s', repeatInterval: '1h' },
});
const UP = { procs: [{ name: 'worker' }, { name: 'api', pmId: 1 }] };
const WORKER_MISSING = { procs: [{ name: 'api', pmId: 1 }] };

test('an app that stays missing: one firing message after for + groupWait, nothing more, one resolved message', async () => {
  const h = new Harness(cfg);
  await h.run(10, UP);
  await h.run(3600 - 60, WORKER_MISSING);
  assert.deepEqual(h.messages, [[35, ['firing Pm2AppDown/worker'], []]], 'missing at 10 s, firing at 10 + 15 s, sent at 25 + 10 s');
  const firing = h.sent[0]!.alerts[0]!;
  assert.equal(firing.summary, 'worker: not in PM2');
  assert.equal(firing.severity, 'critical');
  assert.equal(firing.since, h.start + 25_000);
  await h.run(30, UP);
  assert.equal(h.sent.length, 2);
  const [t, lines] = h.messages[1]!;
  assert.deepEqual(lines, ['resolved Pm2AppDown/worker']);
  assert.equal(t, 3550 + 10);
  const resolved = h.sent[1]!.alerts[0]!;
  assert.equal(resolved.since, firing.since);
  assert.equal(resolved.resolvedAt, h.start + 3550_000, 'how long it lasted: resolvedAt - since');
});

test('flapping that never lasts `for` sends nothing', async () => {
  const h = new Harness(cfg);
  for (let i = 0; i < 20; i++) {
    await h.run(10, WORKER_MISSING); // missing for 10 s (< 15 s grace)
    await h.run(5, UP);
  }
  await h.run(60, UP);
  assert.deepEqual(h.messages, []);
  assert.deepEqual(h.engine.active(), []);
});

test('a firing alert is re-sent every repeatInterval while it fires', async () => {
  const h = new Harness(cfg);
  await h.run(2.5 * 3600, WORKER_MISSING);
  // first at 25 s; a repeat is due 1 h after each send, and waits groupWait like any group
  assert.deepEqual(h.messages.map(([t]) => t), [25, 25 + 3600 + 10, 25 + 2 * (3600 + 10)]);
  assert.ok(h.messages.every(([, lines]) => lines.join() === 'firing Pm2AppDown/worker'));
});

test('two alerts starting 0.5 s apart go out in one message', async () => {
  const c = config({ postgres: { url: 'postgres://u@h/d', checks: { a: { sql: 'SELECT 1' }, b: { sql: 'SELECT 2' } } } });
  const h = new Harness(c);
  h.poll({ checks: [{ name: 'a', rows: 2 }, { name: 'b', rows: 0 }] });
  await h.clock.advance(500);
  h.poll({ checks: [{ name: 'a', rows: 2 }, { name: 'b', rows: 4 }] });
  await h.clock.advance(20_000);
  assert.deepEqual(h.messages, [[10, ['firing CheckRowsAbove/a', 'firing CheckRowsAbove/b'], []]]);
});

test('alerts starting more than groupWait apart go out in two messages', async () => {
  const c = config({ postgres: { url: 'postgres://u@h/d', checks: { a: { sql: 'SELECT 1' }, b: { sql: 'SELECT 2' } } } });
  const h = new Harness(c);
  await h.run(12, { checks: [{ name: 'a', rows: 2 }, { name: 'b', rows: 0 }] });
  await h.run(30, { checks: [{ name: 'a', rows: 2 }, { name: 'b', rows: 1 }] });
  assert.deepEqual(h.messages, [
    [10, ['firing CheckRowsAbove/a'], []],
    [22, ['firing CheckRowsAbove/b'], []],
  ]);
});

test('minSeverity: alerts below it are computed and shown, never notified', async () => {
  const c = config({
    alerts: { minSeverity: 'critical' },
    postgres: { url: 'postgres://u@h/d', checks: { warn: { sql: 'SELECT 1' }, crit: { sql: 'SELECT 1', alert: { severity: 'critical' } } } },
  });
  const h = new Harness(c);
  await h.run(30, { checks: [{ name: 'warn', rows: 1 }, { name: 'crit', rows: 1 }] });
  await h.run(30, { checks: [{ name: 'warn', rows: 0 }, { name: 'crit', rows: 0 }] });
  assert.deepEqual(h.messages, [
    [10, ['firing CheckRowsAbove/crit'], []],
    [40, ['resolved CheckRowsAbove/crit'], []],
  ]);
});

test('minSeverity info lets info alerts through', async () => {
  const c = config({ alerts: { minSeverity: 'info' }, postgres: { url: 'postgres://u@h/d', checks: { i: { sql: 'SELECT 1', alert: { severity: 'info' } } } } });
  const h = new Harness(c);
  await h.run(15, { checks: [{ name: 'i', rows: 1 }] });
  assert.deepEqual(h.messages, [[10, ['firing CheckRowsAbove/i'], []]]);
  assert.equal(h.engine.active()[0]?.silenced, null);
});

test('sendResolved false: the firing message only', async () => {
  const h = new Harness(config({ pm2: { apps: { worker: {} } }, alerts: { sendResolved: false } }));
  await h.run(60, WORKER_MISSING);
  await h.run(60, UP);
  assert.deepEqual(h.messages.map(([, l]) => l), [['firing Pm2AppDown/worker']]);
  assert.deepEqual(h.engine.active(), []);
});

test('an alert that fires and resolves before its group goes out sends nothing', async () => {
  const h = new Harness(config({ postgres: { url: 'postgres://u@h/d', checks: { a: { sql: 'SELECT 1' } } } }));
  await h.run(5, { checks: [{ name: 'a', rows: 1 }] });
  await h.run(60, { checks: [{ name: 'a', rows: 0 }] });
  assert.deepEqual(h.messages, []);
});

test('hold while the source is down: no resolution, VigilSourceDown fires instead, both resolve after', async () => {
  const h = new Harness(cfg);
  await h.run(60, WORKER_MISSING);
  assert.equal(h.sent.length, 1);
  await h.run(300, { down: ['pm2'] });
  assert.deepEqual(h.messages.slice(1), [[60 + 30 + 10, ['firing VigilSourceDown/pm2'], []]], 'down at 60 s, firing at 90 s, sent at 100 s');
  assert.deepEqual(h.engine.active().map((a) => `${a.state} ${a.alertname}/${a.subject} ${a.silenced}`), [
    'firing Pm2AppDown/worker inhibited',
    'firing VigilSourceDown/pm2 null',
  ]);
  await h.run(30, UP);
  assert.deepEqual(h.messages.slice(2).map(([, l]) => l), [['resolved Pm2AppDown/worker', 'resolved VigilSourceDown/pm2']]);
});

test('a source down shorter than 30 s sends nothing and loses nothing', async () => {
  const h = new Harness(cfg);
  await h.run(60, WORKER_MISSING);
  await h.run(20, { down: ['pm2'] });
  await h.run(60, WORKER_MISSING);
  assert.equal(h.sent.length, 1);
  assert.equal(h.engine.active()[0]?.state, 'firing');
});

test('notes go out after groupWait; actions ride with their alert', async () => {
  const h = new Harness(cfg);
  await h.run(20, WORKER_MISSING);
  h.engine.addAction('Pm2AppDown', 'worker', 'started worker (attempt 1/3)');
  h.engine.addNote('refunded 37 generations, 370 credits');
  await h.run(10, WORKER_MISSING);
  assert.equal(h.sent.length, 1);
  assert.deepEqual(h.sent[0]!.notes, ['refunded 37 generations, 370 credits']);
  assert.deepEqual(h.sent[0]!.alerts[0]!.actions, ['started worker (attempt 1/3)']);
  h.engine.addNote('dry run: would refund 2 generations');
  await h.clock.advance(10_000);
  assert.deepEqual(h.messages[1], [40, [], ['dry run: would refund 2 generations']]);
  assert.equal(h.sent[1]!.alerts.length, 0, 'the repeat is not due: a note alone');
});

test('an action whose alert is never notified still goes out: as a note in the next message', async () => {
  // Fired and resolved inside its group (the watchdog started the app before groupWait ended).
  const h = new Harness(cfg);
  await h.run(20, WORKER_MISSING); // pending for `for` (grace), firing at 15 s: its group opens
  assert.equal(h.engine.active()[0]?.state, 'firing');
  h.engine.addAction('Pm2AppDown', 'worker', 'started worker (attempt 1/3)');
  h.poll(UP); // resolved at 20 s, before the group went out: nothing to say about the alert itself
  await h.clock.advance(10_000);
  // The line keeps the alert's group: out at 15 + groupWait, when the alert's message would have gone.
  assert.deepEqual(h.messages, [[25, [], ['started worker (attempt 1/3)']]]);
  // A pending alert that clears (a queue's `for` longer than the watchdog's grace) loses no line either.
  const q = new Harness(cfg);
  q.poll(WORKER_MISSING);
  q.engine.addAction('Pm2AppDown', 'worker', 'restarted worker (attempt 1/3)');
  q.poll(UP);
  await q.clock.advance(10_000);
  assert.deepEqual(q.messages, [[10, [], ['restarted worker (attempt 1/3)']]]);
});

test('Pm2AppRestartGaveUp comes from the watchdog hook and resolves when it is cleared', async () => {
  const h = new Harness(cfg);
  h.gaveUp = { worker: 'restart budget spent (3 in 10m); next try in 30m' };
  await h.run(15, UP);
  h.gaveUp = {};
  await h.run(15, UP);
  assert.deepEqual(h.messages.map(([, l]) => l), [['firing Pm2AppRestartGaveUp/worker'], ['resolved Pm2AppRestartGaveUp/worker']]);
});

test('crash loop: 5 restarts within 10 minutes fires at once', async () => {
  const h = new Harness(cfg);
  for (let r = 0; r <= 5; r++) await h.run(30, { procs: [{ name: 'worker', restarts: r }, { name: 'api', pmId: 1 }] });
  assert.deepEqual(h.messages, [[150 + 10, ['firing Pm2AppCrashLooping/worker'], []]]);
  await h.run(600, { procs: [{ name: 'worker', restarts: 5 }, { name: 'api', pmId: 1 }] });
  assert.deepEqual(h.messages[1]?.[1], ['resolved Pm2AppCrashLooping/worker']);
});

test('secrets in data (an error text) are scrubbed from summaries, actions and notes before they are kept or sent', async () => {
  const c = config({ postgres: { url: 'postgres://u:pw-secret-1@h/d', checks: { a: { sql: 'SELECT 1' } } } });
  const clock = new FakeClock();
  const sink = new RecordingSink();
  const store = new MemoryStore();
  const engine = new AlertEngine({ config: c, sink, store, clock, logger: silentLogger, scrub: (t) => t.split('pw-secret-1').join('[redacted]') });
  engine.onSnapshot(snapshot(c, { time: clock.now(), checks: [{ name: 'a', up: false, error: 'cannot connect to postgres://u:pw-secret-1@h/d' }] }));
  await clock.advance(60_000);
  engine.onSnapshot(snapshot(c, { time: clock.now(), checks: [{ name: 'a', up: false, error: 'cannot connect to postgres://u:pw-secret-1@h/d' }] }));
  engine.addAction('CheckFailing', 'a', 'tried pw-secret-1');
  engine.addNote('note pw-secret-1');
  await clock.advance(20_000);
  assert.equal(sink.sent.length, 1);
  const text = JSON.stringify([sink.sent, store.get('alerts'), engine.active()]);
  assert.ok(!text.includes('pw-secret-1'));
  assert.match(text, /cannot connect to postgres:\/\/u:\[redacted\]@h\/d/);
});
