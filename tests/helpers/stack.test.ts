// Self-test of the private test stack: each service answers, survives the faults the suite needs
// (kill/restart, stop/start, daemon death), and leaves nothing running once stopped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pidAlive, requireBinary, waitFor } from './proc';
import { fixtureApp, freePort, startPm2, startPostgres, startRedis, strayPids, type PrivatePm2, type PrivateRedis } from './stack';

function quickRedis(url: string): Redis {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  c.on('error', () => {}); // failures surface as rejected commands; no "Unhandled error event" noise
  return c;
}

async function redisPing(url: string): Promise<string> {
  const c = quickRedis(url);
  try {
    await c.connect();
    return await c.ping();
  } finally {
    c.disconnect();
  }
}

/** One inline command over a raw socket; the first reply chunk. */
function rawCommand(port: number, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' }, () => sock.write(`${cmd}\r\n`));
    sock.setTimeout(2000, () => sock.destroy(new Error('timeout')));
    sock.once('error', reject);
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString());
    });
  });
}

async function pgQuery(url: string, sql: string, timeoutMs = 2000): Promise<any[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.query(sql)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

test('a missing binary fails at once and names the Debian package', () => {
  assert.throws(() => requireBinary('no-such-binary-vigil', 'some-package'), {
    message: 'no-such-binary-vigil not found: apt-get install some-package',
  });
});

test('freePort returns a bindable port other than the real services', async () => {
  const port = await freePort();
  assert.ok(port > 1024 && port !== 6379 && port !== 5432);
});

describe('redis', () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await startRedis({ requirepass: 's3cret:pass' });
  });
  after(() => redis?.stop());

  test('answers on loopback with the password, not without', async () => {
    assert.match(redis.url, /^redis:\/\/:s3cret%3Apass@127\.0\.0\.1:\d+$/);
    assert.notEqual(redis.port, 6379);
    assert.equal(await redisPing(redis.url), 'PONG');
    assert.match(await rawCommand(redis.port, 'PING'), /^-NOAUTH/);
  });

  test('strayPids finds the server (so "nothing left" checks are not vacuous)', () => {
    assert.deepEqual(strayPids(redis.dir), [redis.pid]);
  });

  test('an ACL user can be denied CLIENT (NOPERM)', async () => {
    const url = await redis.addUser('watcher', 'pw', '~* &* +@all -client');
    const c = quickRedis(url);
    await c.connect();
    try {
      assert.equal(await c.set('k', 'v'), 'OK');
      await assert.rejects(c.client('LIST'), /NOPERM/);
    } finally {
      c.disconnect();
    }
  });

  test('kill then restart on the same port; ACL users come back', async () => {
    const { port, pid } = redis;
    await redis.kill();
    assert.equal(pidAlive(pid), false);
    await assert.rejects(redisPing(redis.url));
    await redis.restart();
    assert.equal(redis.port, port);
    assert.notEqual(redis.pid, pid);
    assert.equal(await redisPing(redis.url), 'PONG');
    const c = quickRedis(`redis://watcher:pw@127.0.0.1:${port}`);
    await c.connect();
    await assert.rejects(c.client('LIST'), /NOPERM/);
    c.disconnect();
  });

  test('stop leaves nothing running and removes the dir', async () => {
    const r = await startRedis();
    const { pid, dir } = r;
    await r.stop();
    assert.equal(pidAlive(pid), false);
    assert.deepEqual(strayPids(dir), []);
    assert.equal(fs.existsSync(dir), false);
  });
});

describe('postgres', () => {
  test('one cluster: databases, stop/start, SIGSTOP, kill, destroy', async () => {
    const pgc = await startPostgres();
    try {
      assert.notEqual(pgc.port, 5432);
      const a = await pgc.createDatabase();
      const b = await pgc.createDatabase('second_db');
      assert.notEqual(a, b);
      assert.deepEqual(await pgQuery(a, 'select 1 as one'), [{ one: 1 }]);
      const [settings] = await pgQuery(b, "select current_setting('listen_addresses') l, current_setting('fsync') f, current_database() d");
      assert.deepEqual(settings, { l: '127.0.0.1', f: 'off', d: 'second_db' });

      const pid = pgc.pid;
      const procs = strayPids(pgc.dir);
      assert.ok(procs.includes(pid) && procs.length >= 4, `postmaster + auxiliaries: ${procs.join(',')}`);
      await pgc.stop();
      assert.equal(pidAlive(pid), false);
      await assert.rejects(pgQuery(a, 'select 1'), /ECONNREFUSED/);
      await pgc.start();
      assert.notEqual(pgc.pid, pid);
      assert.deepEqual(await pgQuery(a, 'select 1 as one'), [{ one: 1 }], 'data survives stop/start');

      // SIGSTOP the postmaster: new connections hang (time out), and come back after SIGCONT.
      await pgc.kill('SIGSTOP');
      await assert.rejects(pgQuery(a, 'select 1', 500), /timeout/i);
      await pgc.kill('SIGCONT');
      assert.deepEqual(await pgQuery(a, 'select 1 as one'), [{ one: 1 }]);

      const before = pgc.pid;
      await pgc.kill(); // SIGKILL: postmaster and backends
      assert.deepEqual(strayPids(pgc.dir), []);
      await pgc.start();
      assert.notEqual(pgc.pid, before);
      assert.deepEqual(await pgQuery(a, 'select 1 as one'), [{ one: 1 }]);
    } finally {
      const { dir } = pgc;
      await pgc.destroy();
      assert.deepEqual(strayPids(dir), []);
      assert.equal(fs.existsSync(dir), false);
    }
  });
});

describe('pm2', () => {
  let pm2: PrivatePm2;
  let redis: PrivateRedis;
  const realHome = path.join(os.homedir(), '.pm2');
  before(async () => {
    [pm2, redis] = await Promise.all([startPm2(), startRedis()]);
  });
  after(async () => {
    await Promise.all([pm2?.stop(), redis?.stop()]);
  });

  const status = async () => Object.fromEntries((await pm2.jlist()).map((p) => [p.name, p.pm2_env.status]));

  test('a private daemon runs the fixture apps', async () => {
    assert.ok(pm2.home.startsWith(os.tmpdir()) && pm2.home !== realHome);
    assert.ok(pidAlive(pm2.pid));
    const envFile = path.join(pm2.dir, 'env.json');
    process.env.VIGIL_TEST_RUNNER_ONLY = 'must-not-leak'; // the test's env must not reach apps
    await pm2.startApp(
      { name: 'idle', script: fixtureApp('idle'), env: { ENV_DUMP_FILE: envFile, CANARY: 'canary-123' } },
      { name: 'worker', script: fixtureApp('bullmq-worker'), env: { REDIS_URL: redis.url, QUEUE: 'selftest', WORKER_NAME: 'w1' } },
      { name: 'crasher', script: fixtureApp('crasher'), max_restarts: 2, min_uptime: 1000 },
      { name: 'dies-later', script: fixtureApp('dies-later'), env: { LIFETIME_MS: '300' } },
    );
    await waitFor('idle and worker online, crasher errored', async () => {
      const s = await status();
      return s.idle === 'online' && s.worker === 'online' && s.crasher === 'errored';
    }, 20_000, 200);

    const env = JSON.parse(await waitFor('env dump', () => fs.existsSync(envFile) && fs.readFileSync(envFile, 'utf8'), 5000));
    assert.equal(env.CANARY, 'canary-123');
    assert.equal(env.PM2_HOME, pm2.home);
    assert.equal(env.VIGIL_TEST_RUNNER_ONLY, undefined);

    // The BullMQ worker consumes: one job completes, a `fail: true` job fails.
    const connection = { url: redis.url };
    const queue = new Queue('selftest', { connection });
    const events = new QueueEvents('selftest', { connection });
    try {
      await events.waitUntilReady();
      const ok = await queue.add('ok', {});
      const bad = await queue.add('bad', { fail: true });
      assert.deepEqual(await ok.waitUntilFinished(events, 10_000), { ok: true });
      await assert.rejects(bad.waitUntilFinished(events, 10_000), /fixture failure/);
      const admin = quickRedis(redis.url);
      await admin.connect();
      const clients = String(await admin.client('LIST'));
      admin.disconnect();
      assert.match(clients, /name=\S*w1/, 'WORKER_NAME is the connection name bullmq uses');
    } finally {
      await Promise.all([queue.close(), events.close()]);
    }

    const restarts = async () => (await pm2.jlist()).find((p) => p.name === 'dies-later')?.pm2_env.restart_time ?? 0;
    await waitFor('dies-later to be restarted by pm2', async () => (await restarts()) >= 2, 15_000, 200);
  });

  test('killDaemon kills daemon and apps; revive starts an empty daemon', async () => {
    const daemon = pm2.pid;
    const apps = pm2.appPids();
    assert.ok(apps.length >= 2, `apps running: ${apps.join(',')}`);
    const found = strayPids(pm2.dir);
    for (const p of [daemon, ...apps]) assert.ok(found.includes(p), `strayPids finds ${p}`);
    await pm2.killDaemon();
    assert.equal(pidAlive(daemon), false);
    for (const p of apps) assert.equal(pidAlive(p), false, `app pid ${p} still alive`);
    assert.deepEqual(strayPids(pm2.dir), []);
    await pm2.revive();
    assert.notEqual(pm2.pid, daemon);
    assert.deepEqual(await pm2.jlist(), []);
  });

  test('stop leaves nothing running and removes the dir', async () => {
    const p = await startPm2();
    await p.startApp({ name: 'slow', script: fixtureApp('slow-starter'), env: { START_MS: '100' } });
    await waitFor('slow online', async () => (await p.jlist())[0]?.pm2_env.status === 'online', 10_000, 200);
    const pids = [p.pid, ...p.appPids()];
    const { dir } = p;
    await p.stop();
    for (const pid of pids) assert.equal(pidAlive(pid), false);
    assert.deepEqual(strayPids(dir), []);
    assert.equal(fs.existsSync(dir), false);
  });
});

describe('cleanup when a test process dies', () => {
  const child = (mode: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'stack-child.ts'), mode], {
      encoding: 'utf8',
      timeout: 45_000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    return { status: r.status, signal: r.signal, started: line ? JSON.parse(line) : undefined, stderr: r.stderr };
  };

  test('process exit kills redis, postgres, pm2 and its apps', async () => {
    const { status, started, stderr } = child('exit');
    assert.equal(status, 1, stderr);
    const pids: number[] = [started.redis.pid, started.pg.pid, started.pm2.pid, ...started.pm2.apps];
    assert.equal(pids.length, 4);
    await waitFor('all gone', () => pids.every((p) => !pidAlive(p)), 5000);
    for (const d of [started.redis.dir, started.pg.dir, path.dirname(started.pm2.dir)]) {
      assert.deepEqual(strayPids(d), []);
      assert.equal(fs.existsSync(d), false, `${d} removed`);
    }
  });

  test('after a SIGKILL, the next stack start reaps the leftovers', async () => {
    const killed = child('sigkill');
    assert.equal(killed.signal, 'SIGKILL');
    const { pid, dir } = killed.started.redis;
    assert.ok(pidAlive(pid), 'redis outlived its SIGKILLed owner');
    assert.equal(child('janitor').status, 0);
    assert.equal(pidAlive(pid), false);
    assert.equal(fs.existsSync(dir), false);
  });
});
