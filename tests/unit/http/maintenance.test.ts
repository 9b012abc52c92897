// /maintenance over fastify inject: the token rule, the loopback rule, bodies, and the window showing in
// /health and /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../src/config/types';
import { createMetrics } from '../../../src/http/metrics';
import { buildServer } from '../../../src/http/server';
import type { Runtime } from '../../../src/runtime';
import { config, silentLogger } from '../alerts/support';
import { alertServer } from './alert-server';

const setup = (cfg: Config) => alertServer(cfg, { procs: [] });

const REMOTE = { remoteAddress: '10.1.2.3' };

test('no token: loopback clients may open, show and close a window', async () => {
  const { app, clock } = setup(config());
  const opened = await app.inject({ method: 'POST', url: '/maintenance', payload: { for: '15m', reason: 'deploy' } });
  assert.equal(opened.statusCode, 200);
  const since = new Date(clock.now()).toISOString();
  const until = new Date(clock.now() + 900_000).toISOString();
  assert.deepEqual(opened.json(), { maintenance: { since, until, reason: 'deploy' } });
  const shown = await app.inject({ method: 'GET', url: '/maintenance' });
  assert.deepEqual(shown.json(), { maintenance: { since, until, reason: 'deploy' } });
  const closed = await app.inject({ method: 'DELETE', url: '/maintenance' });
  assert.equal(closed.statusCode, 200);
  assert.deepEqual(closed.json(), { maintenance: null, closed: { since, until, reason: 'deploy' } });
  assert.deepEqual((await app.inject({ method: 'GET', url: '/maintenance' })).json(), { maintenance: null });
  assert.deepEqual((await app.inject({ method: 'DELETE', url: '/maintenance' })).json(), { maintenance: null, closed: null });
});

test('no token: a non-loopback client is refused (403) and nothing changes', async () => {
  const { app, engine } = setup(config({ listen: { host: '0.0.0.0' } }));
  for (const method of ['GET', 'POST', 'DELETE'] as const) {
    const res = await app.inject({ method, url: '/maintenance', payload: method === 'POST' ? { for: '15m' } : undefined, ...REMOTE });
    assert.equal(res.statusCode, 403, method);
  }
  assert.equal(engine.current(), null);
});

test('with a token: the bearer is required, from anywhere, and a remote client with it may act', async () => {
  const { app, engine } = setup(config({ listen: { token: 'tok-123456' } }));
  for (const headers of [{}, { authorization: 'Bearer wrong-12345' }, { authorization: 'tok-123456' }]) {
    const res = await app.inject({ method: 'POST', url: '/maintenance', payload: { for: '15m' }, headers });
    assert.equal(res.statusCode, 401);
    assert.doesNotMatch(res.body, /tok-123456/);
  }
  assert.equal((await app.inject({ method: 'GET', url: '/maintenance' })).statusCode, 401, 'even from loopback');
  assert.equal(engine.current(), null);
  const ok = await app.inject({ method: 'POST', url: '/maintenance', payload: { for: '1h' }, headers: { authorization: 'Bearer tok-123456' }, ...REMOTE });
  assert.equal(ok.statusCode, 200);
  assert.equal(engine.current()?.reason, '');
});

test('bad bodies: 400 with a message that says what to send', async () => {
  const { app, engine } = setup(config());
  const cases: Array<[unknown, RegExp]> = [
    [{}, /for: expected a duration string/],
    [{ for: '15 min' }, /for: invalid duration "15 min" \(use 300ms, 5s, 5m, 1h, 1d\)/],
    [{ for: '0s' }, /must be more than 0/],
    [{ for: '30d' }, /at most 7d/],
    [{ for: '15m', reason: 5 }, /reason: expected a string/],
    [{ for: '15m', reason: 'x'.repeat(201) }, /reason: at most 200 characters/],
    [{ for: '15m', until: 'x' }, /unknown key "until"/],
    [[1], /expected a JSON object/],
  ];
  for (const [payload, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/maintenance', payload: payload as object });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.match(res.json<{ error: string }>().error, message);
  }
  const notJson = await app.inject({ method: 'POST', url: '/maintenance', payload: '{nope', headers: { 'content-type': 'application/json' } });
  assert.equal(notJson.statusCode, 400);
  assert.doesNotMatch(notJson.body, /at .*\.js/, 'no stack trace');
  assert.equal(engine.current(), null);
});

test('without an alert engine (vigil check), /maintenance answers 503', async () => {
  const { runtime } = setup(config());
  const bare: Runtime = { ...runtime, alerts: undefined, maintenance: undefined };
  const app = buildServer({ runtime: bare, metrics: createMetrics(bare), logger: silentLogger });
  assert.equal((await app.inject({ method: 'GET', url: '/maintenance' })).statusCode, 503);
});

test('the open window shows in /health and vigil_maintenance; it closes by itself', async () => {
  const { app, clock } = setup(config());
  await app.inject({ method: 'POST', url: '/maintenance', payload: { for: '15m', reason: 'deploy <b>' } });
  const health = (await app.inject({ method: 'GET', url: '/health' })).json<{ maintenance: unknown }>();
  assert.deepEqual(health.maintenance, {
    since: new Date(clock.now()).toISOString(),
    until: new Date(clock.now() + 900_000).toISOString(),
    reason: 'deploy <b>',
  });
  assert.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^vigil_maintenance 1$/m);
  await clock.advance(900_000);
  assert.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^vigil_maintenance 0$/m);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).json<{ maintenance: unknown }>().maintenance, null);
});
