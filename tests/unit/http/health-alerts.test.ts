// Alerts in /health and /metrics: critical firing fails /health, warning firing degrades it, pending does
// neither; every active alert is listed with its state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { config } from '../alerts/support';
import { alertServer } from './alert-server';

const cfg = config({
  postgres: { url: 'postgres://u@h/d', checks: { stuck: { sql: 'SELECT 1', alert: { severity: 'critical', for: '1m' } }, slow: { sql: 'SELECT 1' } } },
});

const setup = () => alertServer(cfg);

type Body = { status: string; reasons: string[]; warnings: string[]; alerts: Array<Record<string, unknown>> };

test('pending alerts are listed but do not change the verdict; firing ones do, by severity', async () => {
  const { app, clock, poll } = setup();
  poll({ checks: [{ name: 'stuck', rows: 2 }, { name: 'slow', rows: 1 }] });
  let res = await app.inject({ method: 'GET', url: '/health' });
  let body = res.json<Body>();
  assert.equal(res.statusCode, 200);
  assert.equal(body.status, 'degraded', 'CheckRowsAbove{slow} (warning, for 0s) fires at once');
  assert.deepEqual(body.warnings, ['alert CheckRowsAbove slow: firing (warning): slow: 1 row (above 0)']);
  assert.deepEqual(
    body.alerts.map((a) => [a.alertname, a.subject, a.severity, a.state]),
    [['CheckRowsAbove', 'slow', 'warning', 'firing'], ['CheckRowsAbove', 'stuck', 'critical', 'pending']],
  );
  assert.equal(body.alerts[1]!.since, new Date(clock.now()).toISOString());

  await clock.advance(60_000);
  poll({ checks: [{ name: 'stuck', rows: 2 }, { name: 'slow', rows: 1 }] });
  res = await app.inject({ method: 'GET', url: '/health' });
  body = res.json<Body>();
  assert.equal(res.statusCode, 503);
  assert.equal(body.status, 'failing');
  assert.deepEqual(body.reasons, ['alert CheckRowsAbove stuck: firing (critical): stuck: 2 rows (above 0)']);

  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /^vigil_alert_active\{alertname="CheckRowsAbove",subject="stuck",severity="critical",state="firing"\} 1$/m);
  assert.match(metrics, /^vigil_alert_active\{alertname="CheckRowsAbove",subject="slow",severity="warning",state="firing"\} 1$/m);

  await clock.advance(5_000);
  poll({ checks: [{ name: 'stuck', rows: 0 }, { name: 'slow', rows: 0 }] });
  res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json<Body>().alerts, []);
  assert.doesNotMatch((await app.inject({ method: 'GET', url: '/metrics' })).body, /^vigil_alert_active\{/m, 'resolved alerts vanish');
});

test('with a token and no bearer, /health shows only the status', async () => {
  const { app, engine } = alertServer(config({ listen: { token: 'tok-abcdef' } }));
  engine.open(60_000, 'deploy');
  assert.deepEqual((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' });
});
