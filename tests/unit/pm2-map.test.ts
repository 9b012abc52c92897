import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPm2Data, normaliseStatus } from '../../src/sources/pm2-map';
import { EXPECTED_CONFIG, NOW, PM2_LIST } from '../fixtures/pm2-list';
import { testConfig } from '../helpers/runtime';

const config = testConfig(EXPECTED_CONFIG);
const data = buildPm2Data(PM2_LIST, config.pm2.expected, NOW);

test('each app gets the verdict of its worst instance, and a never-started expected app is missing', () => {
  const verdicts = Object.fromEntries(Object.values(data.apps).map((a) => [a.name, [a.status, a.online, a.expected, a.up]]));
  assert.deepEqual(verdicts, {
    api: ['online', 2, 2, true],
    crasher: ['errored', 0, 1, false],
    'stopped-app': ['stopped', 0, 1, false],
    backoff: ['waiting_restart', 0, 1, false],
    half: ['launching', 1, 2, false],
    'avatar-generator-worker': ['missing', 0, 1, false],
  });
});

test('an app PM2 runs that nobody expects is reported, with expected null', () => {
  const extra = buildPm2Data([...PM2_LIST, { name: 'cron', pm_id: 9, pid: 1, monit: {}, pm2_env: { status: 'online' } }], config.pm2.expected, NOW);
  assert.deepEqual({ ...extra.apps.cron, instances: undefined }, { name: 'cron', expected: null, online: 1, status: 'online', up: true, instances: undefined });
});

test('processes carry picked fields only: no pm2_env, no environment', () => {
  const api0 = data.processes.find((p) => p.pmId === 0);
  assert.deepEqual(api0, { name: 'api', pmId: 0, pid: 4000, status: 'online', restarts: 2, memoryBytes: 50_000_000, cpuRatio: 0.12, uptimeSeconds: 60 });
  assert.ok(!JSON.stringify(data).includes('canary-pm2-env-secret'));
  assert.equal(data.processes.find((p) => p.pmId === 2)?.uptimeSeconds, 0, 'not online → uptime 0');
});

test('PM2 status spellings map to the metric labels', () => {
  assert.equal(normaliseStatus('waiting restart'), 'waiting_restart');
  assert.equal(normaliseStatus('one-launch-status'), 'one_launch_status');
  assert.equal(normaliseStatus('online'), 'online');
});

test('garbage entries are dropped, never thrown on', () => {
  const odd = buildPm2Data([null as never, {}, { name: 5, pm_id: 'x' }, { name: 'ok', pm_id: 1, pm2_env: { status: 'weird' } }], {}, NOW);
  assert.deepEqual(odd.processes.map((p) => [p.name, p.status]), [['ok', 'errored']]);
});
