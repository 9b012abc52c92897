// The CLI as users run it: exit codes and output of validate, check, start and wait-healthy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runVigil, spawnVigil } from '../helpers/cli';
import { fixtureApp, freePort, startPm2, type PrivatePm2 } from '../helpers/stack';

let pm2: PrivatePm2;
let dir: string;

function writeConfig(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function baseConfig(port: number, apps: string): string {
  return `listen: { port: ${port} }
poll: { interval: 500ms, timeout: 400ms }
stateFile: ./state-${port}.json
redis: { url: "" }
pm2:
  home: ${pm2.home}
  apps:
${apps}
`;
}

before(async () => {
  pm2 = await startPm2();
  dir = fs.mkdtempSync(path.join(pm2.dir, 'cli-'));
  await pm2.startApp({ name: 'worker', script: fixtureApp('idle') });
});

after(async () => {
  await pm2?.stop();
});

test('validate: ok and exit 0; every problem on stderr with its path and exit 2', async () => {
  const good = await runVigil(['validate', '--config', writeConfig('good.yml', 'poll: { interval: 5s }\n')]);
  assert.equal(good.code, 0);
  assert.match(good.stdout, /^ok /);
  const bad = await runVigil(['validate', '--config', writeConfig('bad.yml', 'poll: { interval: 5 min }\nlisten: { prot: 1 }\n')]);
  assert.equal(bad.code, 2);
  assert.deepEqual(bad.stderr.trim().split('\n').sort(), [
    'vigil: config: listen.prot: unknown key',
    'vigil: config: poll.interval: invalid duration "5 min" (use 300ms, 5s, 5m, 1h, 1d)',
  ]);
});

test('usage errors exit 2', async () => {
  assert.equal((await runVigil(['frobnicate'])).code, 2);
  const flag = await runVigil(['check', '--bogus']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /bogus/);
  assert.equal((await runVigil(['wait-healthy', '--timeout', 'soon', '--url', 'http://127.0.0.1:1/health'])).code, 2);
});

test('check: exit 1 with the missing app in the table; exit 0 when all is well; --json is the /health body', async () => {
  const failing = await runVigil(['check', '--config', writeConfig('f.yml', baseConfig(0, '    worker: {}\n    avatar-generator-worker: {}'))]);
  assert.equal(failing.code, 1, failing.stderr);
  assert.match(failing.stdout, /^vigil check: failing$/m);
  assert.match(failing.stdout, /✗ app avatar-generator-worker: 0\/1 online \(missing\)/);
  assert.match(failing.stdout, /^avatar-generator-worker\s+missing\s+0\s+1/m);
  assert.match(failing.stdout, /^worker\s+online\s+1\s+1/m);

  const okFile = writeConfig('ok.yml', baseConfig(0, '    worker: {}'));
  const ok = await runVigil(['check', '--config', okFile]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const json = await runVigil(['check', '--json', '--config', okFile]);
  assert.equal(json.code, 0);
  const body = JSON.parse(json.stdout);
  assert.equal(body.status, 'ok');
  assert.deepEqual(body.apps.worker, { expected: 1, online: 1, status: 'online' });
  assert.ok(!fs.existsSync(path.join(dir, 'state-0.json')), 'check writes nothing');
});

test('start serves /health; wait-healthy waits for it; SIGTERM shuts down fast even with a keep-alive client', async () => {
  const port = await freePort();
  const file = writeConfig('start.yml', baseConfig(port, '    worker: {}\n    late-worker: {}'));
  const daemon = spawnVigil(['start', '--config', file]);
  let log = '';
  daemon.stdout!.on('data', (d) => (log += d));
  try {
    const gate = await runVigil(['wait-healthy', '--config', file, '--timeout', '3s']);
    assert.equal(gate.code, 1, 'late-worker is missing: not healthy');
    assert.match(gate.stdout, /app late-worker: 0\/1 online \(missing\)/);

    const waiting = runVigil(['wait-healthy', '--url', `http://127.0.0.1:${port}/health`, '--timeout', '30s']);
    await pm2.startApp({ name: 'late-worker', script: fixtureApp('idle') });
    const passed = await waiting;
    assert.equal(passed.code, 0, passed.stdout);

    // A keep-alive connection left open must not hold shutdown (fastify would wait 72 s for it).
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/health/live', agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    const stopping = Date.now();
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
    daemon.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - stopping < 3_000, `shutdown took ${Date.now() - stopping} ms`);
    agent.destroy();
    assert.match(log, /"msg":"vigil stopped"/);
  } finally {
    daemon.kill('SIGKILL');
  }
});

test('start exits 1 when its port is taken and 2 on a config error', async () => {
  const blocker = http.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const taken = await runVigil(['start', '--config', writeConfig('taken.yml', baseConfig(port, '    worker: {}'))]);
    assert.equal(taken.code, 1);
    assert.match(taken.stdout, /cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    blocker.close();
  }
  assert.equal((await runVigil(['start', '--config', writeConfig('broken.yml', 'poll: 5\n')])).code, 2);
});

test('wait-healthy: an unreachable vigil is not healthy (exit 1) and says so', async () => {
  const port = await freePort();
  const res = await runVigil(['wait-healthy', '--url', `http://127.0.0.1:${port}/health`, '--timeout', '2s']);
  assert.equal(res.code, 1);
  assert.match(res.stdout, /unreachable/);
});
