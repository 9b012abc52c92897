// The queue source when Redis misbehaves (killed, back, stalled by CLIENT PAUSE, CLIENT refused by an
// ACL), what /metrics and /health then say, and that the Redis password never leaks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PM2_STATUSES, type Pm2App, type Pm2Data } from '../../../src/snapshot';
import { startRedis, type PrivateRedis } from '../../helpers/stack';
import { admin, makeConfig, makeVigil, server, uniq, type TestVigil } from './harness';

const PASSWORD = `canary-${uniq('pw')}`;
let redis: PrivateRedis;
let db: Redis;
const closers: (() => Promise<unknown>)[] = [];
const seen: string[] = []; // every log line, error, metrics and /health body, for the secrets canary

before(async () => {
  redis = await startRedis({ requirepass: PASSWORD });
  db = admin(redis.url);
});
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  db.disconnect();
  await redis.stop();
});

function vigil(raw: Record<string, unknown>, opts: { url?: string; pm2?: Pm2Data } = {}): TestVigil {
  const v = makeVigil(makeConfig({ redis: { url: opts.url ?? redis.url }, poll: { interval: '2s', timeout: '1s' }, ...raw }), opts);
  closers.push(async () => {
    await v.close();
    seen.push(...v.logs);
  });
  return v;
}
function queue(name: string): Queue {
  const q = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD } });
  q.on('error', () => undefined); // the producer's own reconnect noise while Redis is killed
  closers.push(() => q.close());
  return q;
}
async function scrape(v: TestVigil): Promise<string> {
  const res = await server(v).inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  seen.push(res.body);
  return res.body;
}
async function health(v: TestVigil): Promise<{ code: number; body: { status: string; reasons: string[]; notes: string[]; queues: Record<string, { workers: number | null }> } }> {
  const res = await server(v).inject({ method: 'GET', url: '/health' });
  seen.push(res.body);
  return { code: res.statusCode, body: JSON.parse(res.body) };
}
function pm2With(name: string, status: 'online' | 'missing'): Pm2Data {
  const instances = Object.fromEntries(PM2_STATUSES.map((s) => [s, 0])) as Pm2App['instances'];
  instances.online = status === 'online' ? 1 : 0;
  const app: Pm2App = { name, expected: 1, online: instances.online, instances, status, up: status === 'online' };
  return { processes: [], apps: { [name]: app } };
}

test('Redis killed: down within one poll, no hang, scrapes still answer; back: recovers without a restart', async () => {
  const name = uniq('killed');
  await queue(name).add('x', {});
  const v = vigil({ queues: { discover: false, list: { [name]: {} } } });
  assert.equal((await v.poll()).queues[name]!.counts.waiting, 1);
  assert.match(await scrape(v), /vigil_source_up\{source="redis"\} 1/);

  await redis.kill('SIGKILL');
  const started = Date.now();
  const down = await v.poller.pollOnce();
  assert.ok(Date.now() - started < 1500, `the failed poll took ${Date.now() - started}ms`);
  assert.equal(down.sources.redis!.up, false);
  assert.equal(down.queues, null, 'old values are not re-served as current');
  assert.match(down.sources.redis!.error!, /^cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  seen.push(down.sources.redis!.error!);
  const body = await scrape(v);
  assert.match(body, /vigil_source_up\{source="redis"\} 0/);
  assert.doesNotMatch(body, /vigil_queue_jobs\{/);
  const h = await health(v);
  assert.equal(h.code, 503);
  assert.match(h.body.reasons[0]!, /^source redis: down \(cannot connect to /);

  await redis.restart();
  const back = await v.poller.pollOnce();
  assert.equal(back.sources.redis!.up, true, back.sources.redis!.error ?? '');
  assert.equal(back.sources.redis!.errorsTotal, 1);
  assert.deepEqual(back.queues!.queues[name]!.counts.waiting, 0, 'the restarted private Redis keeps no data');
  assert.ok(v.logs.some((l) => l.includes('source back up')));
});

test('CLIENT PAUSE stall: the poll hits poll.timeout, and the next one after the stall succeeds', async () => {
  const v = vigil({ queues: { discover: true } });
  await v.poll();
  await db.call('CLIENT', 'PAUSE', '1500', 'ALL');
  const started = Date.now();
  const stalled = await v.poller.pollOnce();
  const took = Date.now() - started;
  assert.equal(stalled.sources.redis!.up, false);
  assert.match(stalled.sources.redis!.error!, /timed out after 1000ms/);
  assert.ok(took >= 900 && took < 1400, `bounded by poll.timeout (1s), took ${took}ms`);
  seen.push(stalled.sources.redis!.error!);
  await db.ping(); // answers once the pause is over
  const again = await v.poller.pollOnce();
  assert.equal(again.sources.redis!.up, true, again.sources.redis!.error ?? '');
});

test('CLIENT LIST refused by an ACL user: workers unknown (not 0), no workers series, a note in /health', async () => {
  const url = await redis.addUser('monitor', `${PASSWORD}-mon`, '~* &* +@all -client');
  const name = uniq('acl');
  const stale = uniq('acl-stale');
  const q = queue(name);
  await q.add('young', {});
  const rules = { consumer: 'avatar-generator-worker', noConsumer: { for: '60s' } };
  const v = vigil({ queues: { discover: false, list: { [name]: rules, [stale]: rules } } }, { url, pm2: pm2With('avatar-generator-worker', 'online') });
  const d = await v.poll();
  assert.equal(d.queues[name]!.workers, null);
  assert.match(d.workersUnknownReason!, /^CLIENT LIST refused: NOPERM/);
  const body = await scrape(v);
  assert.match(body, new RegExp(`vigil_queue_jobs\\{queue="${name}",state="waiting"\\} 1`));
  assert.doesNotMatch(body, /^vigil_queue_workers\{/m);
  let h = await health(v);
  assert.equal(h.code, 200, JSON.stringify(h.body));
  assert.equal(h.body.queues[name]!.workers, null);
  assert.match(h.body.notes[0]!, /^queue workers unknown \(CLIENT LIST refused: NOPERM/);

  // The fallback: a job has waited longer than noConsumer.for, none active, none finished.
  await queue(stale).add('old', {}, { timestamp: Date.now() - 120_000 });
  await v.poll();
  h = await health(v);
  assert.equal(h.code, 503);
  assert.deepEqual(h.body.reasons, [
    `queue ${stale}: 1 waiting, none active, none finished for 1m (workers unknown); consumer avatar-generator-worker: online but not connected to Redis?`,
  ]);
});

test('/health: 503 naming the queue and its consumer when jobs wait with no worker; 200 when the queue is paused', async () => {
  const name = uniq('avatar-generation');
  const q = queue(name);
  for (let i = 0; i < 12; i++) await q.add('gen', {});
  const list = { queues: { discover: false, list: { [name]: { consumer: 'avatar-generator-worker' } } } };

  const missing = vigil(list, { pm2: pm2With('avatar-generator-worker', 'missing') });
  await missing.poll();
  let h = await health(missing);
  assert.equal(h.code, 503);
  assert.ok(h.body.reasons.includes(`queue ${name}: 12 waiting, no worker; consumer avatar-generator-worker: not in PM2`), h.body.reasons.join('\n'));
  assert.match(await scrape(missing), new RegExp(`vigil_queue_workers\\{queue="${name}"\\} 0`));

  const online = vigil(list, { pm2: pm2With('avatar-generator-worker', 'online') });
  await online.poll();
  h = await health(online);
  assert.deepEqual(h.body.reasons, [`queue ${name}: 12 waiting, no worker; consumer avatar-generator-worker: online but not connected to Redis?`]);
  await q.pause();
  await online.poll();
  h = await health(online);
  assert.equal(h.code, 200, JSON.stringify(h.body.reasons));
  assert.equal(h.body.status, 'ok');
  assert.match(await scrape(online), new RegExp(`vigil_queue_paused\\{queue="${name}"\\} 1`));
});

test('secrets canary: the Redis password appears in no log line, error, metric or /health body', async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  assert.ok(seen.length > 10);
  for (const text of seen) assert.ok(!text.includes(PASSWORD), `leaked in: ${text.slice(0, 200)}`);
});
