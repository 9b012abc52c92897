// The watchdog against a real, private PM2 daemon with real worker scripts (issue 6): a missing app is
// started from its ecosystem entry with its own env and none of vigil's; an operator's stop is respected;
// a delete is undone; a crash at boot gets the budget, one give-up and the cooldown; a stuck `waiting
// restart` is restarted; a crash loop PM2 handles itself is left to PM2; maintenance and dry run do nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureApp, startPm2, type PrivatePm2 } from '../../helpers/stack';
import { ecosystemConfig, sleep, startWatchdog, statusOf } from './harness';

const CANARY = 'canary-vigil-env-7f3a91';
let pm2: PrivatePm2;

before(async () => {
  pm2 = await startPm2();
  process.env.PM2_HOME = pm2.home; // before anything loads pm2
  process.env.VIGIL_SECRET_CANARY = CANARY; // in vigil's environment: must never reach a worker
});

after(async () => {
  await pm2?.stop();
});

const pm2Entry = async (name: string) => (await pm2.jlist()).filter((p) => p.name === name);

test('a missing expected app is started within grace + one poll, from its ecosystem entry, with its own env and none of vigil’s', async () => {
  const dump = path.join(pm2.dir, 'env-dump.json');
  const config = ecosystemConfig(pm2, [
    { name: 'avatar-generator-worker', script: path.relative(pm2.dir, fixtureApp('idle')), cwd: pm2.dir, env: { ENV_DUMP_FILE: dump, OWN_SETTING: 'from-ecosystem' } },
  ]);
  const vigil = startWatchdog(config);
  try {
    const first = await vigil.until('first poll', (s) => statusOf(s, 'avatar-generator-worker') === 'missing');
    const online = await vigil.until('started', (s) => statusOf(s, 'avatar-generator-worker') === 'online', 10_000);
    const took = online.time - first.time;
    // grace + one poll, plus a generous allowance for starting a process on a loaded 2-core machine.
    assert.ok(took <= config.pm2.watchdog.grace + config.poll.interval + 3000, `online ${took} ms after first seen missing`);
    assert.deepEqual(vigil.actions.map((a) => [a.line, a.result]), [['started avatar-generator-worker (attempt 1/3)', 'ok']]);

    const env = JSON.parse(await waitForFile(dump)) as Record<string, string>;
    assert.equal(env.OWN_SETTING, 'from-ecosystem');
    assert.equal(env.PM2_HOME, pm2.home);
    assert.equal(env.VIGIL_SECRET_CANARY, undefined, 'vigil’s environment leaked into the worker');
    assert.ok(!JSON.stringify(env).includes(CANARY));
    assert.ok(!vigil.logs.join('').includes('from-ecosystem'), 'the app’s env was logged');
    const [proc] = await pm2Entry('avatar-generator-worker');
    assert.equal(proc.pm2_env.pm_cwd, pm2.dir);
    assert.equal(proc.pm2_env.pm_out_log_path, path.join(pm2.home, 'logs', 'avatar-generator-worker-out.log'));
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'avatar-generator-worker');
  }
});

test('an operator’s `pm2 stop` is never undone; a `pm2 delete` of an expected app is', async () => {
  const config = ecosystemConfig(pm2, [{ name: 'op-worker', script: fixtureApp('idle') }]);
  await pm2.startApp({ name: 'op-worker', script: fixtureApp('idle') });
  const vigil = startWatchdog(config);
  try {
    await vigil.until('online', (s) => statusOf(s, 'op-worker') === 'online');
    await pm2.cli('stop', 'op-worker');
    await vigil.until('stopped', (s) => statusOf(s, 'op-worker') === 'stopped');
    await sleep(config.pm2.watchdog.grace * 3);
    assert.equal((await pm2Entry('op-worker'))[0]?.pm2_env.status, 'stopped');
    assert.equal(vigil.actions.length, 0);
    assert.ok(vigil.logs.some((l) => l.includes('not acting on op-worker: stopped (by an operator?)')));

    // Watch before deleting: under load the watchdog may restore the app before the CLI call returns.
    const deleted = vigil.until('deleted', (s) => statusOf(s, 'op-worker') === 'missing');
    await pm2.cli('delete', 'op-worker');
    await deleted;
    await vigil.until('restored', (s) => statusOf(s, 'op-worker') === 'online', 10_000);
    assert.deepEqual(vigil.actions.map((a) => a.line), ['started op-worker (attempt 1/3)']);
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'op-worker');
  }
});

test('an instance deleted from a 2-instance app is scaled back up, without touching the online one', async () => {
  const config = ecosystemConfig(pm2, [{ name: 'pair', script: fixtureApp('idle'), instances: 2 }]);
  const vigil = startWatchdog(config);
  try {
    await vigil.until('both started', (s) => s.pm2?.apps.pair?.online === 2, 10_000);
    const [keep, drop] = await pm2Entry('pair');
    const gone = vigil.until('one gone', (s) => s.pm2?.processes.filter((p) => p.name === 'pair').length === 1);
    await pm2.cli('delete', String(drop.pm_id));
    await gone;
    await vigil.until('scaled back up', (s) => s.pm2?.apps.pair?.online === 2, 10_000);
    const after = await pm2Entry('pair');
    assert.equal(after.find((p) => p.pm_id === keep.pm_id)?.pid, keep.pid, 'the online instance was restarted');
    assert.deepEqual(vigil.actions.map((a) => a.line), ['started pair (attempt 1/3)', 'started pair (attempt 2/3)']);
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'pair');
  }
});

test('an app that crashes at boot (PM2: errored): at most budget actions, one give-up, nothing until the cooldown, then tried again', async () => {
  const config = ecosystemConfig(pm2, [{ name: 'boot-crasher', script: fixtureApp('crasher'), min_uptime: 1000, max_restarts: 2 }], {
    watchdog: { grace: '1s', budget: { restarts: 2, within: '1m' }, cooldown: '6s' },
  });
  const vigil = startWatchdog(config);
  try {
    await vigil.until('gave up', () => vigil.watchdog.gaveUp()['boot-crasher'] !== undefined, 20_000);
    const gaveUpAt = Date.now();
    assert.deepEqual(vigil.actions.map((a) => [a.line, a.result]), [
      ['started boot-crasher (attempt 1/2)', 'ok'],
      ['restarted boot-crasher (attempt 2/2)', 'ok'],
    ]);
    assert.equal(vigil.watchdog.stats().gaveUp['boot-crasher'] !== null, true);
    await sleep(4000); // inside the cooldown: left alone
    assert.equal(vigil.actions.length, 2);
    assert.equal((await pm2Entry('boot-crasher'))[0]?.pm2_env.status, 'errored');
    await vigil.until('tried again after the cooldown', () => vigil.actions.length === 3, 10_000);
    assert.ok(Date.now() - gaveUpAt >= 6000 - 500);
    assert.equal(vigil.actions[2]!.line, 'restarted boot-crasher (attempt 1/2)');
    assert.equal(vigil.logs.filter((l) => l.includes('gave up on boot-crasher')).length, 1);
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'boot-crasher');
  }
});

test('stuck in `waiting restart` (exp_backoff_restart_delay): restarted after grace + 15 s, and the app really runs again', async () => {
  await pm2.startApp({ name: 'backoff', script: fixtureApp('dies-later'), env: { LIFETIME_MS: '300' }, exp_backoff_restart_delay: 120_000 });
  const config = ecosystemConfig(pm2, [{ name: 'backoff', script: fixtureApp('dies-later') }]);
  const vigil = startWatchdog(config);
  try {
    const stuck = await vigil.until('waiting restart', (s) => statusOf(s, 'backoff') === 'waiting_restart', 10_000);
    await vigil.until('restarted', () => vigil.actions.length > 0, 25_000);
    const action = vigil.actions[0]!;
    assert.deepEqual([action.line, action.error], ['restarted backoff (attempt 1/3)', null]);
    assert.ok(action.at - stuck.time >= 15_000, `acted ${action.at - stuck.time} ms after it was first seen stuck`);
    const [proc] = await pm2Entry('backoff');
    assert.ok(proc.pm2_env.pm_uptime >= action.at, 'PM2 started it again');
    assert.equal(proc.pm2_env.LIFETIME_MS, '300', 'the stored env was kept');
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'backoff');
  }
});

test('a crash loop PM2 handles itself (lives longer than min_uptime) is left to PM2', async () => {
  await pm2.startApp({ name: 'flappy', script: fixtureApp('dies-later'), env: { LIFETIME_MS: '1500' }, min_uptime: 500 });
  const config = ecosystemConfig(pm2, [{ name: 'flappy', script: fixtureApp('dies-later') }]);
  const vigil = startWatchdog(config);
  try {
    await sleep(8000);
    const [proc] = await pm2Entry('flappy');
    assert.ok(proc.pm2_env.restart_time >= 3, `PM2 kept restarting it (${proc.pm2_env.restart_time})`);
    assert.deepEqual(vigil.actions, []);
  } finally {
    await vigil.stop();
    await pm2.cli('delete', 'flappy');
  }
});

test('maintenance window and dry run: nothing is done', async () => {
  const maint = startWatchdog(ecosystemConfig(pm2, [{ name: 'maint-worker', script: fixtureApp('idle') }]), { inMaintenance: () => true });
  const dry = startWatchdog(ecosystemConfig(pm2, [{ name: 'dry-worker', script: fixtureApp('idle') }], { watchdog: { dryRun: true } }));
  try {
    await sleep(4000);
    assert.deepEqual(await pm2Entry('maint-worker'), []);
    assert.deepEqual(maint.actions, []);
    assert.deepEqual(await pm2Entry('dry-worker'), []);
    assert.ok(dry.actions.length >= 1);
    assert.ok(dry.actions.every((a) => a.result === 'dry_run' && a.line.startsWith('would start dry-worker (dry run')));
    assert.deepEqual(dry.watchdog.stats().actions, [{ app: 'dry-worker', action: 'start', result: 'dry_run', count: dry.actions.length }]);
  } finally {
    await maint.stop();
    await dry.stop();
  }
});

async function waitForFile(file: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written`);
    await sleep(50);
  }
  await sleep(50);
  return fs.readFileSync(file, 'utf8');
}
