// The daily digest (issue 5): the 24 h history on a fake clock (hours in and out of the window, vigil
// restarts, counter resets, PM2 restarts while vigil was down), the message itself, its trip through the
// Slack formatter, and the node-cron task firing for real.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getTasks } from 'node-cron';
import { buildDigest, Digest } from '../../../src/digest';
import { DAY_MS, HOUR_MS, parseHistory, recordTotals, emptySinceStart, type DigestHistory } from '../../../src/digest/history';
import { formatSlack, MAX_SECTION_CHARS } from '../../../src/notify/slack-format';
import type { RowCounts } from '../../../src/digest/history';
import { AlertEngine } from '../../../src/alerts/engine';
import { createLogger } from '../../../src/log';
import { config, FakeClock, MemoryStore, RecordingSink, silentLogger, snapshot, type ProcSpec } from '../alerts/support';

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const cfg = config({ pm2: { apps: { 'avatar-generator-worker': {} } } });
const rows = (applied: number, extra: Partial<RowCounts> = {}): RowCounts => ({ applied, skipped: 0, failed: 0, dry_run: 0, ...extra });

/** A digest recorder on a fake clock, with the counters the daemon would hand it set by the test. */
function recorder(store = new MemoryStore(), clock = new FakeClock(T0)) {
  const sink = new RecordingSink();
  const counters = { remediations: {} as Record<string, RowCounts>, watchdog: {} as Record<string, number>, alerts: {} as Record<string, number> };
  const digest = new Digest({ schedule: '0 9 * * *', store, sink, now: () => clock.now(), logger: silentLogger, counters: () => counters });
  const poll = (spec: { completed?: number; failed?: number; procs?: ProcSpec[]; redisDown?: boolean } = {}) =>
    digest.onSnapshot(
      snapshot(cfg, {
        time: clock.now(),
        procs: spec.procs ?? [{ name: 'avatar-generator-worker', restarts: 0 }],
        queues: [{ name: 'avatar-generation', finished: { completed: spec.completed ?? 0, failed: spec.failed ?? 0 } }],
        ...(spec.redisDown ? { down: ['redis' as const] } : {}),
      }),
    );
  return { digest, sink, clock, store, counters, poll };
}

test('less than 24 h known: "since vigil started, 5h ago", with what happened since', async () => {
  const r = recorder();
  r.poll({ procs: [{ name: 'avatar-generator-worker', restarts: 7 }] }); // restarts before vigil watched are not counted
  await r.clock.advance(2 * HOUR_MS);
  r.counters.alerts = { Pm2AppDown: 1 };
  r.counters.watchdog = { 'avatar-generator-worker': 1 };
  r.poll({ completed: 40, failed: 2, procs: [{ name: 'avatar-generator-worker', restarts: 9 }] });
  await r.clock.advance(3 * HOUR_MS);
  r.poll({ completed: 50, failed: 2, procs: [{ name: 'avatar-generator-worker', restarts: 9 }] });
  const n = r.digest.send();
  assert.deepEqual(r.sink.sent, [n]);
  assert.deepEqual(n.alerts, []);
  assert.deepEqual(n.notes, [
    ':bar_chart: *vigil daily digest* · since vigil started, 5h ago',
    '*Queues* (jobs finished)\n• avatar-generation: 50 completed, 2 failed',
    '*PM2 restarts*\n• avatar-generator-worker: 2',
    '*Watchdog actions*: 1 (avatar-generator-worker 1)',
    '*Alerts fired*: 1 (Pm2AppDown 1)',
  ]);
  assert.equal(n.createdAt, T0 + 5 * HOUR_MS);
});

test('a full day: only the last 24 h count, hour by hour; older hours leave the state file', async () => {
  const r = recorder();
  // 30 hours, one poll every 10 minutes, one job completed per poll (6 per hour).
  let completed = 0;
  for (let i = 0; i < 30 * 6; i++) {
    r.poll({ completed });
    completed += 1;
    await r.clock.advance(10 * 60_000);
  }
  r.poll({ completed }); // now = T0 + 30 h, exactly on the hour: the hour 24 h ago is whole in the window
  const n = r.digest.send();
  assert.equal(n.notes[0], ':bar_chart: *vigil daily digest* · last 24 h');
  // Hours T0+6h … T0+29h (24 whole hours, 6 each) plus the poll at T0+30h (1).
  assert.equal(n.notes[1], '*Queues* (jobs finished)\n• avatar-generation: 145 completed, 0 failed');
  const stored = parseHistory(r.store.get('digest'))!;
  assert.ok(stored.hours.length <= 25, `${stored.hours.length} hours kept`);
  assert.ok(stored.hours.every((h) => h.hour >= T0 + 30 * HOUR_MS - DAY_MS));
  assert.equal(stored.since, T0);
});

test('a vigil restart: the history survives, since-start counters start again from 0, PM2 restarts while vigil was down count', async () => {
  const r = recorder();
  r.counters.remediations = { stuck_avatar_generations: rows(0) };
  r.poll({ completed: 0, procs: [{ name: 'avatar-generator-worker', restarts: 1, pmId: 3 }] });
  await r.clock.advance(HOUR_MS);
  r.counters.remediations = { stuck_avatar_generations: rows(30, { skipped: 2 }) };
  r.counters.alerts = { QueueNoConsumer: 1 };
  r.poll({ completed: 100, failed: 5, procs: [{ name: 'avatar-generator-worker', restarts: 2, pmId: 3 }] });

  // vigil stops; one hour later a new process reads the same state file. Its own counters start from 0.
  await r.clock.advance(HOUR_MS);
  const again = recorder(r.store.copy(), r.clock);
  again.counters.remediations = { stuck_avatar_generations: rows(7) };
  again.counters.alerts = { QueueNoConsumer: 1 };
  // 20 jobs finished while vigil was down (the stream cursor is kept) and PM2 restarted the worker twice.
  again.poll({ completed: 20, procs: [{ name: 'avatar-generator-worker', restarts: 4, pmId: 3 }] });
  // A queue whose counter resets (its stream book forgotten) counts its new total, like Prometheus' increase().
  await again.clock.advance(10 * 60_000);
  again.poll({ completed: 3, procs: [{ name: 'avatar-generator-worker', restarts: 4, pmId: 3 }] });
  const n = again.digest.send();
  assert.deepEqual(n.notes, [
    ':bar_chart: *vigil daily digest* · since vigil started, 2h 10m ago',
    '*Queues* (jobs finished)\n• avatar-generation: 123 completed, 5 failed',
    '*PM2 restarts*\n• avatar-generator-worker: 3',
    '*Remediations* (rows)\n• stuck_avatar_generations: 37 applied, 2 skipped',
    '*Alerts fired*: 2 (QueueNoConsumer 2)',
  ]);
});

test('a source that is down records nothing for it (no made-up zeros, no double count when it is back)', async () => {
  const r = recorder();
  r.poll({ completed: 10 });
  await r.clock.advance(HOUR_MS);
  r.poll({ redisDown: true });
  await r.clock.advance(HOUR_MS);
  r.poll({ completed: 15 });
  assert.match(r.digest.send().notes[1]!, /avatar-generation: 15 completed/);
});

test('a new PM2 process (the watchdog started the app again) counts its restarts from 0; nothing restarted says so', async () => {
  const r = recorder();
  r.poll({ procs: [{ name: 'avatar-generator-worker', restarts: 5, pmId: 0 }] });
  await r.clock.advance(HOUR_MS);
  r.poll({ procs: [] });
  assert.equal(r.digest.send().notes[2], '*PM2 restarts*: none (1 app)');
  r.poll({ procs: [{ name: 'avatar-generator-worker', restarts: 1, pmId: 1 }] });
  assert.equal(r.digest.send().notes[2], '*PM2 restarts*\n• avatar-generator-worker: 1');
});

test('buildDigest is pure: same history and time, same message; nothing watched → only the alerts line', () => {
  const history: DigestHistory = { since: T0 - 2 * DAY_MS, hours: [], pm2: null };
  const a = buildDigest(history, T0, { id: 'd1' });
  assert.deepEqual(a, buildDigest(history, T0, { id: 'd1' }));
  assert.deepEqual(a, { id: 'd1', createdAt: T0, alerts: [], notes: [':bar_chart: *vigil daily digest* · last 24 h', '*Alerts fired*: none'] });
  assert.notEqual(buildDigest(history, T0).id, buildDigest(history, T0).id);
});

test('recordTotals: dry-run rows and every remediation result are kept; a malformed state section starts fresh', () => {
  const first = recordTotals(null, emptySinceStart(), { ...emptySinceStart(), queuesUp: false, pm2: null, apps: [], remediations: { c: rows(1, { dry_run: 4, failed: 1 }) } }, T0);
  const n = buildDigest(first.history, T0 + 1);
  assert.ok(n.notes.includes('*Remediations* (rows)\n• c: 1 applied, 1 failed, 4 found in dry run'), n.notes.join(' | '));
  assert.equal(parseHistory({ version: 1, since: 'x', hours: [] }), null);
  assert.equal(parseHistory('garbage'), null);
  assert.deepEqual(parseHistory({ version: 1, since: T0, hours: [{ hour: 'no' }, { hour: T0, queues: { q: { completed: -1 } } }] })?.hours, [
    { hour: T0, queues: {}, restarts: {}, remediations: {}, watchdog: {}, alerts: {} },
  ]);
});

test('through the Slack formatter: names from data are escaped, long lists are split, no section is over the limit', () => {
  const evil = '<!channel> <https://x|y> & co';
  const long = 'q'.repeat(5000);
  const queues: Record<string, { completed: number; failed: number }> = { [evil]: { completed: 1, failed: 0 }, [long]: { completed: 2, failed: 1 } };
  for (let i = 0; i < 60; i++) queues[`queue-${String(i).padStart(2, '0')}`] = { completed: i, failed: 0 };
  const history: DigestHistory = {
    since: T0 - DAY_MS,
    hours: [{ hour: T0 - HOUR_MS, queues, restarts: { [evil]: 3 }, remediations: {}, watchdog: {}, alerts: { Pm2AppDown: 2 } }],
    pm2: {},
  };
  const n = buildDigest(history, T0);
  const queueNotes = n.notes.filter((t) => t.startsWith('*Queues*'));
  assert.equal(queueNotes.length, 3, '62 queues in notes of 25 lines');
  assert.match(queueNotes[1]!, /^\*Queues\* \(jobs finished\) \(continued\)\n/);
  const payload = formatSlack(n, { mention: '<!here>', droppedSinceLastDelivery: 0 });
  const json = JSON.stringify(payload);
  assert.ok(!json.includes('<!channel>') && !json.includes('<https://x|y>'), 'data reached Slack unescaped');
  assert.ok(!json.includes('<!here>'), 'a digest never pages');
  assert.ok(json.includes('&lt;!channel&gt; &lt;https://x|y&gt; &amp; co: 1 completed, 0 failed'));
  for (const b of payload.blocks as Array<{ text: { text: string } }>) assert.ok(b.text.text.length <= MAX_SECTION_CHARS);
  assert.ok(payload.text.length <= MAX_SECTION_CHARS);
  assert.match(payload.text, /vigil daily digest/);
});

test('the engine counts firings once per incident: pending → firing counts, a blip back to firing before the resolution went out does not', async () => {
  const c = config({ pm2: { apps: { w: {} }, watchdog: { grace: '10s' } }, alerts: { groupWait: '10s' } });
  const clock = new FakeClock(T0);
  const sink = new RecordingSink();
  const engine = new AlertEngine({ config: c, sink, store: new MemoryStore(), clock, logger: silentLogger });
  const poll = (up: boolean) => engine.onSnapshot(snapshot(c, { time: clock.now(), procs: up ? [{ name: 'w' }] : [] }));
  poll(false);
  assert.deepEqual(engine.firings(), {}, 'pending is not firing');
  await clock.advance(10_000);
  poll(false);
  assert.deepEqual(engine.firings(), { Pm2AppDown: 1 });
  await clock.advance(10_000); // the firing message goes out
  poll(false);
  assert.equal(sink.sent.length, 1);
  assert.deepEqual(engine.firings(), { Pm2AppDown: 1 }, 'still firing is not a new firing');
  await clock.advance(5_000);
  poll(true); // resolved; its message waits for groupWait
  await clock.advance(5_000);
  poll(false); // back before the resolution went out: the same incident
  assert.deepEqual(engine.firings(), { Pm2AppDown: 1 });
  poll(true);
  await clock.advance(10_000); // the resolution goes out
  assert.equal(sink.sent.length, 2);
  poll(false);
  await clock.advance(10_000);
  poll(false);
  assert.deepEqual(engine.firings(), { Pm2AppDown: 2 }, 'a new incident after the resolution was sent');
  engine.stop();
});

test('the cron task fires: a per-second schedule hands digests to the notifier; after stop() none comes', async () => {
  const sink = new RecordingSink();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: [], write: (l) => logs.push(l) });
  const digest = new Digest({
    schedule: '* * * * * *',
    store: new MemoryStore(),
    sink,
    now: () => Date.now(),
    logger,
    counters: () => ({ remediations: {}, watchdog: {}, alerts: {} }),
  });
  digest.start();
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no digest within 5 s')), 5_000);
      const check = setInterval(() => {
        if (sink.sent.length === 0) return;
        clearInterval(check);
        clearTimeout(deadline);
        resolve();
      }, 20);
    });
  } finally {
    await digest.stop();
  }
  assert.match(sink.sent[0]!.notes[0]!, /^:bar_chart: \*vigil daily digest\* · since vigil started/);
  const count = sink.sent.length;
  assert.ok(logs.some((l) => l.includes('"msg":"daily digest scheduled"')));
  // The task is destroyed: node-cron keeps no timer that would send another (or hold the process open).
  assert.equal([...getTasks().values()].filter((t) => t.name === 'vigil-digest').length, 0);
  assert.equal(sink.sent.length, count);
});

test('not scheduled (""): nothing recorded, no task', () => {
  const store = new MemoryStore();
  const digest = new Digest({ schedule: '', store, sink: new RecordingSink(), now: () => T0, logger: silentLogger, counters: () => ({ remediations: {}, watchdog: {}, alerts: {} }) });
  digest.start();
  digest.onSnapshot(snapshot(cfg, { time: T0, procs: [] }));
  assert.equal(store.get('digest'), undefined);
  assert.equal(digest.enabled, false);
});
