// The seed incident, end to end on the real daemon: 20 jobs wait in `avatar-generation`, its consumer
// `avatar-generator-worker` is in the ecosystem file but absent from PM2. vigil (real PM2 and queue
// sources, private PM2 daemon, private Redis) starts it; the queue drains; /health goes from 503 to 200.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { buildConfig } from '../../../src/config/load';
import { startDaemon } from '../../../src/daemon';
import { createLogger } from '../../../src/log';
import { fixtureApp, startPm2, startRedis, type PrivatePm2, type PrivateRedis } from '../../helpers/stack';
import { sleep } from './harness';

let pm2: PrivatePm2;
let redis: PrivateRedis;

before(async () => {
  [pm2, redis] = await Promise.all([startPm2(), startRedis()]);
  process.env.PM2_HOME = pm2.home;
});

after(async () => {
  await pm2?.stop();
  await redis?.stop();
});

test('20 jobs waiting, consumer app absent → vigil starts it, the queue drains, /health goes 503 → 200', async () => {
  const queue = new Queue('avatar-generation', { connection: { host: '127.0.0.1', port: redis.port } });
  await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'generate', data: { userId: `u${i}` } })));

  const dir = fs.mkdtempSync(path.join(pm2.dir, 'seed-'));
  const worker = { name: 'avatar-generator-worker', script: fixtureApp('bullmq-worker'), env: { REDIS_URL: redis.url, QUEUE: 'avatar-generation', JOB_MS: '20' } };
  fs.writeFileSync(path.join(dir, 'ecosystem.config.js'), `module.exports = { apps: [${JSON.stringify(worker)}] };\n`);
  const built = buildConfig(
    {
      listen: { port: 0 },
      poll: { interval: '1s', timeout: '1s' },
      stateFile: './state.json',
      pm2: { home: pm2.home, ecosystem: './ecosystem.config.js', apps: { 'avatar-generator-worker': { restart: true } }, watchdog: { grace: '2s' } },
      redis: { url: redis.url },
      queues: { discover: false, list: { 'avatar-generation': { consumer: 'avatar-generator-worker' } } },
    },
    { env: {}, baseDir: dir, file: null },
  );
  if (!built.ok) assert.fail(built.problems.join('\n'));
  const logs: string[] = [];
  const daemon = await startDaemon(built.config, createLogger({ level: 'info', secrets: [], write: (l) => logs.push(l) }));
  try {
    const health = async () => {
      const res = await fetch(`${daemon.url}/health`);
      return { code: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
    };
    let first = await health();
    while (first.body.status === 'starting') {
      await sleep(100);
      first = await health();
    }
    assert.equal(first.code, 503);
    assert.ok(first.body.reasons.some((r) => /avatar-generator-worker: 0\/1 online \(missing\)/.test(r)), first.body.reasons.join('; '));
    assert.ok(first.body.reasons.some((r) => /queue avatar-generation: 20 waiting, no worker/.test(r)), first.body.reasons.join('; '));

    const deadline = Date.now() + 30_000;
    let last = first;
    while (last.code !== 200) {
      if (Date.now() > deadline) assert.fail(`/health never became 200: ${last.body.reasons.join('; ')}`);
      await sleep(200);
      last = await health();
    }
    // /health is 200 as soon as a worker is attached; the jobs drain right after.
    let counts = await queue.getJobCounts('waiting', 'active', 'completed');
    while ((counts.completed ?? 0) < 20 && Date.now() < deadline) {
      await sleep(100);
      counts = await queue.getJobCounts('waiting', 'active', 'completed');
    }
    assert.deepEqual(counts, { waiting: 0, active: 0, completed: 20 });

    const action = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'watchdog: started avatar-generator-worker (attempt 1/3)');
    assert.ok(action, 'one log line for the action');
    assert.match(String(action.why), /^missing from PM2 for \d+s; queue avatar-generation: 20 waiting, no worker$/);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    assert.match(metrics, /^vigil_watchdog_actions_total\{app="avatar-generator-worker",action="start",result="ok"\} 1$/m);
    assert.match(metrics, /^vigil_watchdog_gave_up\{app="avatar-generator-worker"\} 0$/m);
  } finally {
    await daemon.stop();
    await queue.close();
  }
});
