// End to end with the real Prometheus: it scrapes a live vigil watching a private stack, loads the shipped
// alerts/vigil.rules.yml, and — for the incident (an expected consumer missing, jobs waiting) — reports
// QueueNoConsumer firing through its API. Every shipped rule must evaluate without error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { startDaemon, type Daemon } from '../../src/daemon';
import { createLogger } from '../../src/log';
import { startPrometheus, type PrivatePrometheus } from '../helpers/prometheus';
import { waitFor } from '../helpers/proc';
import { testConfig } from '../helpers/runtime';
import { fixtureApp, startPm2, startRedis, type PrivatePm2, type PrivateRedis } from '../helpers/stack';

const RULES = path.join(__dirname, '..', '..', 'alerts', 'vigil.rules.yml');

let redis: PrivateRedis;
let pm2: PrivatePm2;
let daemon: Daemon;
let prometheus: PrivatePrometheus;

before(async () => {
  [redis, pm2] = await Promise.all([startRedis(), startPm2()]);
  await pm2.startApp({ name: 'api', script: fixtureApp('idle') });
  const queue = new Queue('avatar-generation', { connection: { host: '127.0.0.1', port: redis.port } });
  await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'generate', data: { userId: `u${i}` } })));
  await queue.close();

  const config = testConfig({
    listen: { port: 0 },
    poll: { interval: '1s', timeout: '900ms' },
    stateFile: path.join(fs.mkdtempSync(path.join(pm2.dir, 'state-')), 'state.json'),
    redis: { url: redis.url },
    pm2: { home: pm2.home, apps: { api: {}, 'avatar-generator-worker': { restart: false } } },
    queues: { list: { 'avatar-generation': { consumer: 'avatar-generator-worker' } } },
  });
  daemon = await startDaemon(config, createLogger({ level: 'silent', secrets: [] }));
  prometheus = await startPrometheus({ target: new URL(daemon.url).host, ruleFiles: [RULES] });
});

after(async () => {
  await prometheus?.stop();
  await daemon?.stop();
  await Promise.all([redis?.stop(), pm2?.stop()]);
});

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

test('Prometheus, with the shipped rules, reports QueueNoConsumer firing for the incident', async () => {
  const firing = await waitFor(
    'QueueNoConsumer firing in Prometheus',
    async () => {
      const { alerts } = await prometheus.api<{ alerts: PromAlert[] }>('/api/v1/alerts');
      return alerts.find((a) => a.labels.alertname === 'QueueNoConsumer' && a.state === 'firing');
    },
    90_000,
    1_000,
  );
  assert.equal(firing.labels.queue, 'avatar-generation');
  assert.equal(firing.labels.severity, 'critical');
  assert.equal(firing.labels.job, 'vigil');

  const { alerts } = await prometheus.api<{ alerts: PromAlert[] }>('/api/v1/alerts');
  const names = new Set(alerts.map((a) => a.labels.alertname));
  assert.ok(!names.has('VigilDown') && !names.has('VigilSourceDown'), `vigil and its sources are up: ${[...names].join(', ')}`);
  assert.ok(!alerts.some((a) => a.labels.alertname === 'Pm2AppDown' && a.labels.app === 'api'), 'the running api is not down');
});

test('every shipped rule loads and evaluates without error against live vigil data', async () => {
  const { groups } = await prometheus.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
  const rules = groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 11, `only ${rules.length} rules loaded`);
  const broken = rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
  assert.deepEqual(broken, []);
});
