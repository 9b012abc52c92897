// The PM2 source against a real, private PM2 daemon: states map right, a dead daemon is reported (never
// respawned, never hung), a revived one is picked up again, and bus events make vigil poll at once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDaemon, type Daemon } from '../../src/daemon';
import { createLogger } from '../../src/log';
import { Poller } from '../../src/poller';
import { pm2Source } from '../../src/sources/pm2';
import { waitFor } from '../helpers/proc';
import { fixtureApp, startPm2, type PrivatePm2 } from '../helpers/stack';
import { testConfig } from '../helpers/runtime';

let pm2: PrivatePm2;
const logLines: string[] = [];
const logger = createLogger({ level: 'debug', secrets: [], write: (l) => logLines.push(l) });

function configFor(extra: Record<string, unknown> = {}) {
  return testConfig({
    pm2: {
      home: pm2.home,
      apps: { worker: {}, crasher: {}, 'stopped-worker': {}, 'avatar-generator-worker': { restart: true } },
    },
    redis: { url: '' },
    poll: { interval: '1s', timeout: '1s' },
    ...extra,
  });
}

before(async () => {
  pm2 = await startPm2();
  process.env.PM2_HOME = pm2.home;
  await pm2.startApp(
    { name: 'worker', script: fixtureApp('idle') },
    { name: 'crasher', script: fixtureApp('crasher'), min_uptime: 1000, max_restarts: 2 },
    { name: 'stopped-worker', script: fixtureApp('idle') },
  );
  await pm2.cli('stop', 'stopped-worker');
});

after(async () => {
  await pm2?.stop();
});

test('online, errored, stopped and never-started apps map to their verdicts', async () => {
  const config = configFor();
  const source = pm2Source(config);
  const poller = new Poller([source], { intervalMs: 1000, timeoutMs: 1000, logger, scrub: (t) => t });
  const snap = await waitFor('crasher errored', async () => {
    const s = await poller.pollOnce();
    return s.pm2?.apps.crasher?.status === 'errored' && s;
  }, 15_000, 100);
  await source.close();
  const verdicts = Object.fromEntries(Object.values(snap.pm2!.apps).map((a) => [a.name, `${a.status} ${a.online}/${a.expected}`]));
  assert.deepEqual(verdicts, {
    'avatar-generator-worker': 'missing 0/1',
    crasher: 'errored 0/1',
    'stopped-worker': 'stopped 0/1',
    worker: 'online 1/1',
  });
  const worker = snap.pm2!.processes.find((p) => p.name === 'worker')!;
  assert.ok(worker.pid && worker.memoryBytes > 1_000_000 && worker.uptimeSeconds >= 0);
  assert.ok(snap.pm2!.processes.find((p) => p.name === 'crasher')!.restarts >= 1, 'PM2 restarted the crasher before giving up');
});

test('a killed daemon makes the source down within one poll, without hanging or spawning one; a revived one recovers', async () => {
  const config = configFor();
  const source = pm2Source(config);
  const poller = new Poller([source], { intervalMs: 1000, timeoutMs: 1000, logger, scrub: (t) => t });
  assert.equal((await poller.pollOnce()).sources.pm2?.up, true);

  await pm2.killDaemon();
  const started = Date.now();
  const down = await poller.pollOnce();
  assert.ok(Date.now() - started < 2500, `the poll ends within its deadline (took ${Date.now() - started} ms: ${down.sources.pm2?.error})`);
  assert.equal(down.sources.pm2?.up, false);
  assert.equal(down.pm2, null);
  assert.match(down.sources.pm2?.error ?? '', /no PM2 daemon|timed out/);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await poller.pollOnce()).sources.pm2?.up, false);
  const pidFile = path.join(pm2.home, 'pm2.pid');
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : null;
  assert.ok(pid === null || !isAlive(pid), `vigil started no daemon (pid ${pid} is alive)`);

  await pm2.revive();
  const back = await waitFor('pm2 source back up', async () => {
    const s = await poller.pollOnce();
    return s.sources.pm2?.up && s;
  }, 15_000, 100);
  assert.equal(back.pm2?.apps['avatar-generator-worker']?.status, 'missing');
  await source.close();
});

test('a PM2 event triggers a poll at once (re-subscribed after the daemon came back), and no secret leaks', async () => {
  await pm2.startApp({ name: 'worker', script: fixtureApp('idle'), env: { API_KEY: 'canary-app-env-91c2' } });
  const stateDir = fs.mkdtempSync(path.join(pm2.dir, 'state-'));
  const config = configFor({
    listen: { port: 0, token: 'canary-token-5d7e' },
    poll: { interval: '60s', timeout: '2s' },
    stateFile: path.join(stateDir, 'state.json'),
  });
  const daemonLog: string[] = [];
  const daemon: Daemon = await startDaemon(config, createLogger({ level: 'debug', secrets: config.secrets, write: (l) => daemonLog.push(l) }));
  try {
    const auth = { authorization: 'Bearer canary-token-5d7e' };
    const health = async () => (await fetch(`${daemon.url}/health`, { headers: auth })).json() as Promise<{ apps: Record<string, { status: string }> }>;
    await waitFor('first poll', async () => (await health()).apps.worker?.status === 'online', 15_000, 100);

    const deletedAt = Date.now();
    await pm2.cli('delete', 'worker');
    await waitFor('delete seen', async () => (await health()).apps.worker?.status === 'missing', 5_000, 50);
    // The interval is 60 s: only the bus event can explain seeing it now. The CLI call itself takes ~0.5 s.
    assert.ok(Date.now() - deletedAt < 3_000, `seen after ${Date.now() - deletedAt} ms`);

    const metrics = await (await fetch(`${daemon.url}/metrics`, { headers: auth })).text();
    const body = JSON.stringify(await health());
    for (const text of [metrics, body, daemonLog.join('')]) {
      assert.ok(!text.includes('canary-app-env-91c2'), 'app env leaked');
      assert.ok(!text.includes('canary-token-5d7e'), 'token leaked');
    }
  } finally {
    await daemon.stop();
  }
});

/** A running process; a zombie (killed, not yet reaped by an init that may never reap it) is not. */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
