// The queue source against a private Redis with real bullmq producers and workers: counts, paused,
// workers, oldest waiting job, finished counters across a restart, discovery, and never writing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FlowProducer, Queue, Worker, type Job, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { startRedis, type PrivateRedis } from '../../helpers/stack';
import { waitFor } from '../../helpers/proc';
import { QueueDiscovery, SCAN_CALLS_PER_POLL, SCAN_COUNT } from '../../../src/sources/queues-discovery';
import { admin, makeConfig, makeVigil, pollUntil, uniq, type TestVigil } from './harness';

let redis: PrivateRedis;
let db: Redis;
let connection: { host: string; port: number };
const closers: (() => Promise<unknown>)[] = [];

before(async () => {
  redis = await startRedis();
  db = admin(redis.url);
  connection = { host: '127.0.0.1', port: redis.port };
});
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  db.disconnect();
  await redis.stop();
});

function queue(name: string, opts: Omit<QueueOptions, 'connection'> = {}): Queue {
  const q = new Queue(name, { connection, ...opts });
  closers.push(() => q.close());
  return q;
}
function worker(name: string, fn: (job: Job) => Promise<unknown>, opts: Record<string, unknown> = {}): Worker {
  const w = new Worker(name, fn, { connection, ...opts });
  w.on('error', () => undefined);
  closers.push(() => w.close(true));
  return w;
}
function vigil(raw: Record<string, unknown> = {}, stateDir?: string): TestVigil {
  const v = makeVigil(makeConfig({ redis: { url: redis.url }, poll: { interval: '5s', timeout: '2s' }, ...raw }, stateDir));
  closers.push(() => v.close());
  return v;
}
/** Every job of the queue has been taken and finished. */
const drained = (q: Queue) => waitFor(`queue ${q.name} drained`, async () => {
  const c = await q.getJobCounts('wait', 'active', 'prioritized', 'delayed');
  return Object.values(c).every((n) => n === 0);
}, 20_000);

describe('counts and paused', () => {
  test('counts per state match what was created, waiting-children and prioritized included', async () => {
    const name = uniq('counts');
    const q = queue(name);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    worker(name, async (job) => {
      if (job.name === 'bad') throw new Error('boom');
      if (job.name === 'hold') await held;
    });
    const v = vigil({ queues: { discover: true } });
    await q.add('ok', {});
    await q.add('ok', {});
    await q.add('bad', {});
    await pollUntil(v, '2 completed, 1 failed', (d) => d.queues[name]?.counts.completed === 2 && d.queues[name]?.counts.failed === 1);
    await q.add('hold', {});
    await pollUntil(v, 'the held job active', (d) => d.queues[name]?.counts.active === 1);
    // The only worker (concurrency 1) is busy: everything below stays where it was put.
    for (let i = 0; i < 3; i++) await q.add('waiting', {});
    await q.add('prio', {}, { priority: 1 });
    await q.add('prio', {}, { priority: 7 });
    await q.add('later', {}, { delay: 3_600_000 });
    await q.add('later', {}, { delay: 3_600_000 });
    const flows = new FlowProducer({ connection });
    closers.push(() => flows.close());
    await flows.add({ name: 'parent', queueName: name, children: [{ name: 'child', queueName: uniq('children') }] });

    const d = await v.poll();
    assert.deepEqual(d.queues[name]!.counts, { waiting: 3, active: 1, delayed: 2, prioritized: 2, waiting_children: 1, completed: 2, failed: 1 });
    assert.equal(d.queues[name]!.paused, false);
    assert.equal(d.queues[name]!.workers, 1);
    release();
  });

  test('a paused queue is reported paused (its jobs still count as waiting)', async () => {
    const name = uniq('paused');
    const q = queue(name);
    await q.add('a', {});
    await q.add('b', {});
    await q.pause();
    const v = vigil({ queues: { discover: false, list: { [name]: {} } } });
    let d = await v.poll();
    assert.equal(d.queues[name]!.paused, true);
    assert.equal(d.queues[name]!.counts.waiting, 2);
    await q.resume();
    d = await v.poll();
    assert.equal(d.queues[name]!.paused, false);
  });
});

describe('workers', () => {
  test('0, 1 unnamed, 2 with a named one; a closed worker drops out; other queues unaffected', async () => {
    const name = uniq('workers');
    const other = uniq('other');
    queue(name);
    const v = vigil({ queues: { discover: false, list: { [name]: {}, [other]: {} } } });
    let d = await v.poll();
    assert.equal(d.queues[name]!.workers, 0, 'known zero, not unknown');
    assert.equal(d.workersUnknownReason, null);

    const unnamed = worker(name, async () => undefined);
    await unnamed.waitUntilReady();
    await pollUntil(v, '1 worker', (x) => x.queues[name]!.workers === 1);
    const named = worker(name, async () => undefined, { name: 'gpu-1' });
    await named.waitUntilReady();
    d = await pollUntil(v, '2 workers', (x) => x.queues[name]!.workers === 2);
    assert.equal(d.queues[other]!.workers, 0);

    await unnamed.close();
    await pollUntil(v, 'the closed worker to drop out', (x) => x.queues[name]!.workers === 1);
    await named.close();
    await pollUntil(v, '0 workers', (x) => x.queues[name]!.workers === 0);
  });
});

describe('oldest waiting job', () => {
  test('grows with time, counts the oldest prioritized job of any band, and is 0 once drained', async () => {
    const name = uniq('oldest');
    const q = queue(name);
    const v = vigil({ queues: { discover: false, list: { [name]: {} } } });
    assert.equal((await v.poll()).queues[name]!.oldestWaitingSeconds, 0);

    await q.add('a', {}, { timestamp: Date.now() - 120_000 });
    const first = (await v.poll()).queues[name]!.oldestWaitingSeconds;
    assert.ok(first >= 120 && first < 130, `about 120s, got ${first}`);
    await pollUntil(v, 'the age to grow', (d) => d.queues[name]!.oldestWaitingSeconds > first);

    // A starved low-priority job (the lowest band's head) is older than the wait list's tail.
    await q.add('urgent', {}, { priority: 1 });
    await q.add('starved', {}, { priority: 50, timestamp: Date.now() - 300_000 });
    await q.add('starved-new', {}, { priority: 50 });
    const withPrio = (await v.poll()).queues[name]!;
    assert.ok(withPrio.oldestWaitingSeconds >= 300 && withPrio.oldestWaitingSeconds < 310, `about 300s, got ${withPrio.oldestWaitingSeconds}`);

    worker(name, async () => undefined);
    await drained(q);
    const d = await v.poll();
    assert.equal(d.queues[name]!.counts.waiting + d.queues[name]!.counts.prioritized, 0);
    assert.equal(d.queues[name]!.oldestWaitingSeconds, 0);
  });
});

describe('finished counters', () => {
  test('N completed + M failed with removeOnComplete/removeOnFail are counted exactly, across a vigil restart', async () => {
    const name = uniq('finished');
    const q = queue(name, { defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
    worker(name, async (job) => {
      if (job.name === 'bad') throw new Error('boom');
    }, { concurrency: 4 });
    const batch = async (ok: number, bad: number) => {
      await q.addBulk([...Array.from({ length: ok }, () => ({ name: 'ok', data: {} })), ...Array.from({ length: bad }, () => ({ name: 'bad', data: {} }))]);
      await drained(q);
    };
    const raw = { queues: { discover: false, list: { [name]: { failureRate: { window: '15m', minJobs: 5 } } } } };
    const stateDir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'vigil-restart-'));

    await batch(5, 5); // before vigil ever looked: not counted ("since vigil started")
    const v1 = vigil(raw, stateDir);
    let d = await v1.poll();
    assert.deepEqual(d.queues[name]!.finished, { completed: 0, failed: 0 });

    await batch(10, 3);
    d = await v1.poll();
    assert.deepEqual(d.queues[name]!.finished, { completed: 10, failed: 3 });
    assert.equal(d.queues[name]!.counts.completed, 0, 'removeOnComplete emptied the set: the stream is what counts');
    assert.equal(d.queues[name]!.failureRatio, 3 / 13);
    assert.ok(d.queues[name]!.lastFinishedAt! > Date.now() - 60_000);

    await batch(12, 4); // finished while vigil is "down" after this poll
    await v1.close();
    const v2 = vigil(raw, stateDir); // restarted: a new source and a state store loaded from the file
    d = await v2.poll();
    assert.deepEqual(d.queues[name]!.finished, { completed: 12, failed: 4 }, 'neither re-counted nor lost');
    await batch(8, 0);
    d = await v2.poll();
    assert.deepEqual(d.queues[name]!.finished, { completed: 20, failed: 4 });
    assert.deepEqual(d.queues[name]!.finishedInWindow, { completed: 20, failed: 4 });
    assert.equal(d.queues[name]!.failureRatio, 4 / 24);
    d = await v2.poll();
    assert.deepEqual(d.queues[name]!.finished, { completed: 20, failed: 4 }, 'a poll without new events adds nothing');
  });

  test('a stream trimmed past the cursor: count what is there and log the gap once', async () => {
    const name = uniq('trimmed');
    const q = queue(name, { streams: { events: { maxLen: 10 } }, defaultJobOptions: { removeOnComplete: true } });
    const v = vigil({ queues: { discover: false, list: { [name]: {} } } });
    await q.add('first', {});
    await v.poll(); // cursor at the end of a short stream
    worker(name, async () => undefined, { concurrency: 10 });
    await drained(q);
    await v.poll();
    await q.addBulk(Array.from({ length: 400 }, () => ({ name: 'ok', data: {} })));
    await drained(q);
    const d = await v.poll();
    await v.poll();
    const gaps = v.logs.filter((l) => l.includes('event stream trimmed past the stored cursor'));
    assert.equal(gaps.length, 1, v.logs.join('\n'));
    const counted = d.queues[name]!.finished.completed;
    assert.ok(counted > 0 && counted < 401, `counted what the stream still held: ${counted}`);
  });
});

describe('discovery and never writing', () => {
  test('discovery finds a queue created while vigil runs; names with ":" are kept whole', async () => {
    const v = vigil({ queues: { discover: true } });
    const late = uniq('late');
    assert.equal((await v.poll()).queues[late], undefined);
    await queue(late).add('x', {});
    await db.hset('bull:legacy:with:colons:meta', 'version', 'bullmq:4.0.0'); // bullmq 6.7 refuses ':' in names; older ones did not
    const d = await pollUntil(v, 'the new queue', (x) => x.queues[late] !== undefined);
    assert.equal(d.queues[late]!.counts.waiting, 1);
    assert.ok(d.queues['legacy:with:colons'], Object.keys(d.queues).join(', '));
  });

  test('discovery over a keyspace larger than one poll\'s SCAN budget: resumes across polls, keeps what the last pass found', async () => {
    const prefix = uniq('big');
    const budget = SCAN_COUNT * SCAN_CALLS_PER_POLL;
    const filler = db.pipeline();
    for (let i = 0; i < budget * 2; i++) filler.set(`${prefix}:filler:${i}`, '');
    await filler.exec();
    await db.hset(`${prefix}:stays:meta`, 'version', 'x');
    await db.hset(`${prefix}:goes:meta`, 'version', 'x');
    try {
      const discovery = new QueueDiscovery(prefix);
      await discovery.names(db);
      assert.equal(discovery.passes, 0, 'one poll covers at most the budget, not the whole keyspace');
      let names = new Set<string>();
      for (let i = 0; i < 12 && discovery.passes < 1; i++) names = await discovery.names(db);
      assert.equal(discovery.passes, 1);
      assert.deepEqual([...names].sort(), ['goes', 'stays']);

      await db.del(`${prefix}:goes:meta`);
      // Until the next pass completes it stays known (no flicker mid-pass); then it is gone.
      for (let i = 0; i < 12 && discovery.passes < 2; i++) {
        names = await discovery.names(db);
        assert.ok(names.has('stays'));
        assert.equal(names.has('goes'), discovery.passes < 2);
      }
      assert.equal(discovery.passes, 2);
      assert.deepEqual([...names], ['stays']);
    } finally {
      const cleanup = db.pipeline();
      for (let i = 0; i < budget * 2; i++) cleanup.del(`${prefix}:filler:${i}`);
      await cleanup.exec();
    }
  });

  test('a typo in queues.list creates nothing in Redis; polls write nothing at all', async () => {
    // A Redis of its own: nothing else (no bullmq worker's scripts) runs commands there during the polls.
    const own = await startRedis();
    const ownDb = admin(own.url);
    try {
      const real = new Queue('avatar-generation', { connection: { host: '127.0.0.1', port: own.port } });
      await real.add('x', {});
      await real.close();
      const typo = 'avatar-genration';
      const v = makeVigil(makeConfig({ redis: { url: own.url }, queues: { discover: true, list: { [typo]: { consumer: 'avatar-generator-worker' } } } }));
      closers.push(() => v.close());
      const keysBefore = (await ownDb.keys('*')).sort();
      const calls = async () => (await ownDb.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_')).map((l) => l.split(',')[0]!);
      const before = await calls();
      for (let i = 0; i < 3; i++) {
        const d = await v.poll();
        assert.deepEqual(d.queues[typo]!.counts, { waiting: 0, active: 0, delayed: 0, prioritized: 0, waiting_children: 0, completed: 0, failed: 0 });
        assert.equal(d.queues['avatar-generation']!.counts.waiting, 1);
      }
      assert.deepEqual((await ownDb.keys('*')).sort(), keysBefore, 'no key created, none removed');
      // Every command vigil ran (including those inside its script), by name: reads only.
      const ran = (await calls()).filter((l) => !before.includes(l)).map((l) => /^cmdstat_([^:]+):/.exec(l)![1]!);
      const writes = ran.filter((c) => !/^(scan|eval|llen|zcard|hexists|lindex|zrange|zrangebyscore|hmget|xrange|xrevrange|xread|client\|list|info|keys|hello|ping)$/.test(c));
      assert.ok(ran.includes('eval') && ran.includes('client|list') && ran.includes('scan'), `measured vigil's commands: ${ran.join(', ')}`);
      assert.deepEqual(writes, [], `commands run: ${ran.join(', ')}`);
    } finally {
      ownDb.disconnect();
      await own.stop();
    }
  });
});

describe('read paths', () => {
  test('scripts refused (ACL without @scripting): same data from plain commands, said once in the log', async () => {
    const name = uniq('fallback');
    const q = queue(name);
    await q.add('old', {}, { timestamp: Date.now() - 200_000 });
    await q.add('new', {});
    await q.add('urgent', {}, { priority: 1 });
    await q.add('starved', {}, { priority: 9, timestamp: Date.now() - 400_000 });
    await q.add('later', {}, { delay: 3_600_000 });
    const list = { queues: { discover: false, list: { [name]: {} } } };
    const scripted = vigil(list);
    const url = await redis.addUser('noscript', 'noscript-pw', '~* &* +@all -@scripting');
    const plain = makeVigil(makeConfig({ redis: { url }, poll: { interval: '5s', timeout: '2s' }, ...list }));
    closers.push(() => plain.close());

    for (let i = 0; i < 2; i++) {
      const [a, b] = [(await scripted.poll()).queues[name]!, (await plain.poll()).queues[name]!];
      assert.ok(Math.abs(a.oldestWaitingSeconds - b.oldestWaitingSeconds) < 2, `${a.oldestWaitingSeconds} vs ${b.oldestWaitingSeconds}`);
      assert.ok(a.oldestWaitingSeconds >= 400 && a.oldestWaitingSeconds < 410, `the starved band's head: ${a.oldestWaitingSeconds}`);
      assert.deepEqual({ ...a, oldestWaitingSeconds: 0 }, { ...b, oldestWaitingSeconds: 0 });
      assert.deepEqual(a.counts, { waiting: 2, active: 0, delayed: 1, prioritized: 2, waiting_children: 0, completed: 0, failed: 0 });
    }
    assert.equal(plain.logs.filter((l) => l.includes('read-only Lua script refused')).length, 1, plain.logs.join('\n'));
    assert.equal(scripted.logs.filter((l) => l.includes('script')).length, 0, scripted.logs.join('\n'));
  });

  test('keys that are not a bullmq queue are skipped with one warning; the other queues are still read', async () => {
    const good = uniq('good');
    await queue(good).add('x', {});
    const bad = uniq('not-a-queue');
    await db.hset(`bull:${bad}:meta`, 'x', '1');
    await db.set(`bull:${bad}:wait`, 'a string, not a list');
    for (const mode of ['script', 'commands'] as const) {
      const v = mode === 'script'
        ? vigil({ queues: { discover: true } })
        : makeVigil(makeConfig({ redis: { url: await redis.addUser('plain', 'plain-pw', '~* &* +@all -@scripting') }, queues: { discover: true } }));
      if (mode === 'commands') closers.push(() => v.close());
      for (let i = 0; i < 2; i++) {
        const d = await v.poll();
        assert.equal(d.queues[bad], undefined, mode);
        assert.equal(d.queues[good]!.counts.waiting, 1, mode);
      }
      const warnings = v.logs.filter((l) => l.includes('not a bullmq queue') && l.includes(bad));
      assert.equal(warnings.length, 1, `${mode}: ${v.logs.join('\n')}`);
      assert.match(warnings[0]!, /WRONGTYPE/);
    }
  });
});
