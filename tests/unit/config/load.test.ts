import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildConfig, loadConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/types';

function build(raw: unknown, env: NodeJS.ProcessEnv = {}, baseDir = os.tmpdir()): Config {
  const result = buildConfig(raw, { env, baseDir, file: null });
  if (!result.ok) assert.fail(result.problems.join('\n'));
  return result.config;
}

test('the embedded default: contract defaults, local PM2, Redis from $REDIS_URL, Postgres and Slack off', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cfg-'));
  const result = loadConfig({ cwd: dir, env: { HOME: '/home/ops' } });
  assert.ok(result.ok);
  const c = result.config;
  assert.equal(c.file, null);
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 9477, token: '' });
  assert.deepEqual(c.poll, { interval: 5000, timeout: 3000 });
  assert.equal(c.stateFile, path.join(dir, '.vigil/state.json'));
  assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
  assert.equal(c.redis.prefix, 'bull');
  assert.equal(c.queues.discover, true);
  assert.deepEqual(c.queues.defaults, {
    noConsumer: { for: 30_000 },
    backlog: { above: 100, for: 300_000 },
    oldestWaiting: { above: 300_000 },
    failureRate: { above: 0.05, window: 900_000, minJobs: 20 },
  });
  assert.equal(c.postgres.url, '');
  assert.equal(c.postgres.statementTimeout, 2000);
  assert.deepEqual(c.pm2.watchdog, {
    enabled: true, dryRun: false, grace: 15_000, budget: { restarts: 3, within: 600_000 }, cooldown: 1_800_000, restartStopped: false,
  });
  assert.deepEqual(c.alerts, {
    groupWait: 10_000, repeatInterval: 14_400_000, sendResolved: true, minSeverity: 'warning',
    slack: { webhookUrl: '', mention: '' }, digest: { schedule: '' },
  });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.queues.defaults.backlog), 'config is deeply frozen');
});

test('defaults follow the environment: REDIS_URL, DATABASE_URL, SLACK_WEBHOOK_URL, PM2_HOME, VIGIL_TOKEN', () => {
  const c = build({}, {
    REDIS_URL: 'redis://:s3cret-pass@10.0.0.5:6380',
    DATABASE_URL: 'postgres://app:db-pass-123@db/app',
    SLACK_WEBHOOK_URL: 'http://127.0.0.1:1/hook-secret',
    PM2_HOME: '/srv/pm2',
    VIGIL_TOKEN: 'tok-abcdef',
  });
  assert.equal(c.redis.url, 'redis://:s3cret-pass@10.0.0.5:6380');
  assert.equal(c.postgres.url, 'postgres://app:db-pass-123@db/app');
  assert.equal(c.alerts.slack.webhookUrl, 'http://127.0.0.1:1/hook-secret');
  assert.equal(c.pm2.home, '/srv/pm2');
  assert.equal(c.listen.token, 'tok-abcdef');
  for (const secret of ['s3cret-pass', 'db-pass-123', 'http://127.0.0.1:1/hook-secret', 'tok-abcdef']) {
    assert.ok(c.secrets.includes(secret), `${secret} is a secret`);
  }
});

test('${VAR} and ${VAR:-default} interpolation keeps types and structure', () => {
  const c = build(
    { listen: { port: '${VIGIL_PORT:-9999}', token: '${TOKEN}' }, redis: { url: 'redis://:${PASS}@h:1' }, log: { level: '${LEVEL:-debug}' } },
    { TOKEN: 'a#b: c\nd', PASS: 'p#ss' },
  );
  assert.equal(c.listen.port, 9999);
  assert.equal(c.listen.token, 'a#b: c\nd', 'YAML-special characters in a secret do not change the document');
  assert.equal(c.redis.url, 'redis://:p#ss@h:1');
  assert.equal(c.log.level, 'debug');
});

test('a listed queue merges its overrides key by key over queues.defaults', () => {
  const c = build({
    queues: {
      defaults: { backlog: { above: 50, for: '1m' } },
      list: { 'avatar-generation': { consumer: 'avatar-generator-worker', backlog: { above: 5 }, oldestWaiting: { above: '90s' } }, plain: {} },
    },
  });
  assert.deepEqual(c.queues.list['avatar-generation'], {
    consumer: 'avatar-generator-worker',
    noConsumer: { for: 30_000 },
    backlog: { above: 5, for: 60_000 },
    oldestWaiting: { above: 90_000 },
    failureRate: { above: 0.05, window: 900_000, minJobs: 20 },
  });
  assert.equal(c.queues.list.plain?.consumer, null);
  assert.deepEqual(c.queues.list.plain?.backlog, { above: 50, for: 60_000 });
});

test('expected apps come from the ecosystem and pm2.apps, merged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-eco-'));
  fs.writeFileSync(
    path.join(dir, 'ecosystem.config.js'),
    `module.exports = { apps: [
      { name: 'api', script: 'api.js', instances: 2, env: { SECRET: 'x' } },
      { name: 'avatar-generator-worker', script: 'w.js' },
      { name: 'all-cpus', script: 'c.js', instances: 'max' },
    ] };`,
  );
  const c = build({ pm2: { ecosystem: './ecosystem.config.js', apps: { 'avatar-generator-worker': { restart: true, memoryLimit: '500MB' }, extra: { instances: 3 } } } }, {}, dir);
  assert.deepEqual(Object.keys(c.pm2.expected).sort(), ['all-cpus', 'api', 'avatar-generator-worker', 'extra']);
  assert.equal(c.pm2.expected.api?.instances, 2);
  assert.equal(c.pm2.expected.api?.restart, false);
  assert.equal(c.pm2.expected['all-cpus']?.instances, os.availableParallelism());
  assert.deepEqual({ ...c.pm2.expected['avatar-generator-worker'], definition: null }, {
    name: 'avatar-generator-worker', instances: 1, restart: true, memoryLimit: 500_000_000, definition: null,
  });
  assert.equal(c.pm2.expected['avatar-generator-worker']?.definition?.script, 'w.js');
  assert.deepEqual({ ...c.pm2.expected.extra }, { name: 'extra', instances: 3, restart: false, memoryLimit: null, definition: null });
});

test('vigil.example.yml is valid and documents the defaults', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const result = loadConfig({ file: path.join(root, 'vigil.example.yml'), env: {} });
  if (!result.ok) assert.fail(result.problems.join('\n'));
  const c = result.config;
  assert.equal(c.listen.port, 9477);
  assert.equal(c.poll.interval, 5000);
  assert.equal(c.queues.list['avatar-generation']?.backlog.above, 5);
  assert.equal(c.postgres.checks.stuck_avatar_generations?.remediate.mode, 'off');
  assert.equal(c.postgres.checks.stuck_avatar_generations?.remediate.statements.length, 2);
});
