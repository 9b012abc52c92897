import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/http/metrics';
import { buildServer } from '../../src/http/server';
import { createLogger } from '../../src/log';
import type { Snapshot } from '../../src/snapshot';
import { NOW } from '../fixtures/pm2-list';
import { KNOWN_CONFIG, KNOWN_SNAPSHOT, snapshotFor } from '../fixtures/snapshot';
import { testConfig, testRuntime } from '../helpers/runtime';

const silent = createLogger({ level: 'silent', secrets: [] });

function serve(config = KNOWN_CONFIG, snapshot: Snapshot | null = snapshotFor(config), now = NOW) {
  const runtime = testRuntime(config, snapshot, now);
  return buildServer({ runtime, metrics: createMetrics(runtime), logger: silent });
}

test('/health is 503 failing with one reason per expected app that is not fully online', async () => {
  const res = await serve().inject('/health');
  assert.equal(res.statusCode, 503);
  const body = res.json();
  assert.equal(body.status, 'failing');
  assert.deepEqual(body.reasons, [
    'app avatar-generator-worker: 0/1 online (missing)',
    'app backoff: 0/1 online (waiting restart)',
    'app crasher: 0/1 online (errored)',
    'app half: 1/2 online (launching)',
    'app stopped-app: 0/1 online (stopped)',
  ]);
  assert.deepEqual(body.apps['avatar-generator-worker'], { expected: 1, online: 0, status: 'missing' });
  assert.deepEqual(body.sources.pm2, { up: true, lastSuccess: '2026-11-29T12:00:00.000Z', error: null });
  assert.equal(body.version, '0.1.0');
  assert.equal(body.maintenance, null);
});

test('/health is 200 ok when every expected app is online', async () => {
  const config = testConfig({ pm2: { apps: { api: { instances: 2 } } }, redis: { url: '' } });
  const res = await serve(config).inject('/health');
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().status, 'ok');
  assert.deepEqual(res.json().reasons, []);
});

test('/health is 503 starting before the first poll, and /health/live is 503 until the loop ticks', async () => {
  const app = serve(KNOWN_CONFIG, null);
  const res = await app.inject('/health');
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().status, 'starting');
  assert.equal((await app.inject('/health/live')).statusCode, 503);
});

test('a source that is down fails /health with its error', async () => {
  const config = testConfig({ redis: { url: '' } });
  const snapshot: Snapshot = { ...KNOWN_SNAPSHOT, sources: { pm2: { up: false, durationMs: 3000, lastSuccess: null, error: 'no PM2 daemon answers at /x', errorsTotal: 1 } }, pm2: null };
  const res = await serve(config, snapshot).inject('/health');
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json().reasons, ['source pm2: down (no PM2 daemon answers at /x)']);
});

test('a snapshot older than 3 intervals fails /health and /health/live', async () => {
  const config = testConfig({ pm2: { apps: { api: { instances: 2 } } }, redis: { url: '' } });
  const app = serve(config, snapshotFor(config), NOW + 16_000);
  const res = await app.inject('/health');
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json().reasons, ['last poll finished 16s ago (more than 3 intervals)']);
  assert.equal((await app.inject('/health/live')).statusCode, 503);
  assert.equal((await serve(config, snapshotFor(config), NOW + 14_000).inject('/health/live')).statusCode, 200);
});

test('with a token: /metrics needs it, /health shows only the status without it, /health/live stays open', async () => {
  const config = testConfig({ listen: { token: 'tok-canary-7f3a9' }, pm2: { apps: { api: { instances: 2 } } }, redis: { url: '' } });
  const app = serve(config);
  assert.equal((await app.inject('/metrics')).statusCode, 401);
  assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer tok-canary-7f3a9' } })).statusCode, 200);
  const bare = await app.inject('/health');
  assert.equal(bare.statusCode, 200);
  assert.deepEqual(bare.json(), { status: 'ok' });
  const full = await app.inject({ url: '/health', headers: { authorization: 'Bearer tok-canary-7f3a9' } });
  assert.ok(Array.isArray(full.json().reasons));
  assert.equal((await app.inject('/health/live')).statusCode, 200);
});

test('anything else is a 404 JSON', async () => {
  const res = await serve().inject({ method: 'POST', url: '/nope' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: 'not found' });
});
