// Preparing an ecosystem entry for PM2's `prepare` RPC: the app's own env and nothing of vigil's secrets,
// paths from the ecosystem's directory and the watched PM2_HOME, pm2's own defaults otherwise. No daemon.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BASE_ENV_KEYS, prepareApp } from '../../../src/pm2/prepare-app';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-eco-'));
fs.mkdirSync(path.join(dir, 'workers'));
fs.writeFileSync(path.join(dir, 'workers', 'w.js'), '');
const home = path.join(dir, 'pm2-home');

test('env: the app’s own env, PORT, the process basics and PM2_HOME — never the rest of vigil’s environment', () => {
  const processEnv = { PATH: '/usr/bin:/bin', HOME: '/home/vigil', DATABASE_URL: 'postgres://canary-secret@db', VIGIL_TOKEN: 'canary-token' };
  const definition = Object.freeze({ name: 'w', script: './workers/w.js', port: 8080, env: Object.freeze({ QUEUE: 'jobs', NESTED: { a: 1 } }) });
  const app = prepareApp(definition, { home, dir, instances: 1, processEnv });
  assert.deepEqual(app.env, { PATH: '/usr/bin:/bin', HOME: '/home/vigil', QUEUE: 'jobs', NESTED: '{"a":1}', PORT: 8080, PM2_HOME: home });
  assert.ok(!JSON.stringify(app).includes('canary'));
  assert.ok(BASE_ENV_KEYS.every((k) => !/TOKEN|SECRET|PASSWORD|URL/.test(k)));
});

test('paths: script and cwd from the ecosystem’s directory, logs and pid file under the watched PM2_HOME; PWD untouched', () => {
  const pwd = process.env.PWD;
  const app = prepareApp({ name: 'my worker', script: 'w.js', cwd: 'workers' }, { home, dir, instances: 1, processEnv: {} });
  assert.equal(app.pm_exec_path, path.join(dir, 'workers', 'w.js'));
  assert.equal(app.pm_cwd, path.join(dir, 'workers'));
  assert.equal(app.pm_out_log_path, path.join(home, 'logs', 'my-worker-out.log'));
  assert.equal(app.pm_err_log_path, path.join(home, 'logs', 'my-worker-error.log'));
  assert.equal(app.pm_pid_path, path.join(home, 'pids', 'my-worker.pid'));
  assert.equal(process.env.PWD, pwd);
});

test('instances: left out when the entry has none and one is expected (fork mode stays fork mode)', () => {
  const one = prepareApp({ name: 'w', script: './workers/w.js' }, { home, dir, instances: 1, processEnv: {} });
  assert.deepEqual([one.instances, one.exec_mode], [1, 'fork_mode']);
  // pm2.apps overrides the ecosystem's count; an explicit count means cluster mode, as with `pm2 start`.
  const two = prepareApp({ name: 'w', script: './workers/w.js', instances: 1 }, { home, dir, instances: 2, processEnv: {} });
  assert.deepEqual([two.instances, two.exec_mode], [2, 'cluster_mode']);
});

test('a script that does not exist is refused with pm2’s message', () => {
  assert.throws(() => prepareApp({ name: 'w', script: './nope.js' }, { home, dir, instances: 1, processEnv: {} }), /Script not found/);
});
