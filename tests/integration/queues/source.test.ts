// The queue source against a private Redis with real bullmq producers and workers: counts, paused,
// workers, oldest waiting job, finished counters across a restart, discovery, and never writing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { startRedis, type PrivateRedis } from '../../helpers/stack';
import { waitFor } from '../../helpers/proc';
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

function queue(name: string, opts: Partial<ConstructorParameters<typeof Queue>[1]> = {}): Queue {
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

  test('a typo in queues.list creates nothing in Redis; polls write nothing at all', async () => {
    const typo = uniq('avatar-genration');
    const v = vigil({ queues: { discover: true, list: { [typo]: { consumer: 'avatar-generator-worker' } } } });
    const before = await db.dbsize();
    const stats = async () => (await db.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_'));
    const writes = (lines: string[]) => lines.filter((l) => /^cmdstat_(set|hset|hmset|del|xadd|lpush|rpush|zadd|incr|expire|rpop|lpop|zrem|lrem|hdel|unlink|xtrim)[:]/.test(l));
    const writesBefore = writes(await stats());
    for (let i = 0; i < 3; i++) {
      const d = await v.poll();
      assert.deepEqual(d.queues[typo]!.counts, { waiting: 0, active: 0, delayed: 0, prioritized: 0, waiting_children: 0, completed: 0, failed: 0 });
    }
    assert.equal(await db.dbsize(), before);
    assert.deepEqual(await db.keys(`*${typo}*`), []);
    // bullmq's own workers from other tests only run scripts (EVALSHA), so any plain write here would be vigil's.
    assert.deepEqual(writes(await stats()), writesBefore, 'no write command ran during the polls');
  });
});
