// The daemon end to end: a scripted PM2 source, the real poll loop, alert engine, outbox, Slack sender,
// state file and HTTP server, against the local Slack stand-in. Waits on awaited events, never on sleeps.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { getTasks } from 'node-cron';
import { buildConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { startDaemon, type Daemon } from '../../src/daemon';
import type { Pm2Data } from '../../src/snapshot';
import { buildPm2Data } from '../../src/sources/pm2-map';
import type { Source } from '../../src/sources/source';
import { startSlackStandin, type SlackStandin } from '../helpers/slack-standin';
import { captureLogger } from '../helpers/capture-logger';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function makeConfig(webhookUrl: string, stateFile: string): Config {
  const result = buildConfig(
    {
      listen: { port: 0 },
      poll: { interval: '100ms', timeout: '50ms' },
      stateFile,
      pm2: { apps: { 'avatar-generator-worker': {} }, watchdog: { grace: '200ms' } },
      alerts: { groupWait: '300ms', slack: { webhookUrl } },
    },
    { env: {}, baseDir: os.tmpdir(), file: null },
  );
  if (!result.ok) assert.fail(result.problems.join('\n'));
  return result.config;
}

/** A PM2 source whose process list the test sets; `polls` counts its polls. */
function scriptedPm2(config: Config) {
  const s = { workerUp: false, polls: 0 };
  const source: Source<'pm2'> = {
    name: 'pm2',
    async poll(): Promise<Pm2Data> {
      s.polls += 1;
      const procs = s.workerUp ? [{ name: 'avatar-generator-worker', pm_id: 0, pid: 42, pm2_env: { status: 'online', restart_time: 0 } }] : [];
      return buildPm2Data(procs, config.pm2.expected, Date.now());
    },
    close: async () => undefined,
  };
  return { s, source };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function start(config: Config, source: Source<'pm2'>): Promise<Daemon> {
  const { logger } = captureLogger();
  const daemon = await startDaemon(config, logger, { sources: [source] });
  cleanup.push(() => daemon.stop());
  return daemon;
}

async function standin(): Promise<SlackStandin> {
  const s = await startSlackStandin();
  cleanup.push(() => s.close());
  return s;
}

const texts = (s: SlackStandin) => s.requests.map((r) => (r.body as { text: string }).text);

test('the incident: an expected app missing from PM2 → one Slack message naming it, /health failing; started by hand → one resolved message', async () => {
  const slack = await standin();
  const config = makeConfig(slack.url, path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-')), 'state.json'));
  const { s, source } = scriptedPm2(config);
  const daemon = await start(config, source);

  await slack.waitForRequests(1);
  assert.deepEqual(texts(slack), ['1 firing\ncritical: Pm2AppDown avatar-generator-worker']);
  assert.match(JSON.stringify(slack.requests[0]!.body), /avatar-generator-worker: not in PM2/);
  const health = await fetch(`${daemon.url}/health`);
  assert.equal(health.status, 503);
  const body = (await health.json()) as { alerts: Array<{ alertname: string; state: string }>; notifier: { channel: string; sent: number } };
  assert.deepEqual(body.alerts.map((a) => [a.alertname, a.state]), [['Pm2AppDown', 'firing']]);
  assert.equal(body.notifier.channel, 'slack');
  const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
  assert.match(metrics, /^vigil_alert_active\{alertname="Pm2AppDown",subject="avatar-generator-worker",severity="critical",state="firing"\} 1$/m);
  assert.match(metrics, /^vigil_notifications_sent_total\{channel="slack"\} 1$/m);

  const pollsAtFirst = s.polls;
  await until('ten more polls', () => s.polls >= pollsAtFirst + 10);
  s.workerUp = true;
  await slack.waitForRequests(2);
  assert.deepEqual(texts(slack), ['1 firing\ncritical: Pm2AppDown avatar-generator-worker', '1 resolved\nresolved: Pm2AppDown avatar-generator-worker']);
  assert.match(JSON.stringify(slack.requests[1]!.body), /lasted/);
  await until('/health ok', () => daemon.runtime.alerts?.().length === 0);
  assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
});

test('restart mid-incident: no second firing message, and the resolution still arrives', async () => {
  const slack = await standin();
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-')), 'state.json');
  const config = makeConfig(slack.url, stateFile);
  const first = scriptedPm2(config);
  const a = await start(config, first.source);
  await slack.waitForRequests(1);
  await a.stop();

  const second = scriptedPm2(config);
  const b = await start(config, second.source);
  await until('ten polls of the restarted vigil', () => second.s.polls >= 10); // > groupWait: a re-page would be out by now
  assert.equal(slack.requests.length, 1, 'no second firing message');
  assert.equal(b.runtime.alerts?.()[0]?.state, 'firing', 'the restarted vigil still knows the alert fires');
  second.s.workerUp = true;
  await slack.waitForRequests(2);
  assert.deepEqual(texts(slack), ['1 firing\ncritical: Pm2AppDown avatar-generator-worker', '1 resolved\nresolved: Pm2AppDown avatar-generator-worker']);
});

test('a message the webhook has not taken yet at shutdown is delivered by the next start', async () => {
  const slack = await startSlackStandin([{ status: 500 }, { status: 500 }]);
  cleanup.push(() => slack.close());
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-')), 'state.json');
  const config = makeConfig(slack.url, stateFile);
  const a = await start(config, scriptedPm2(config).source);
  await slack.waitForRequests(1); // answered 500: the outbox backs off
  await a.stop();
  const persisted = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { outbox: unknown[] };
  assert.equal(persisted.outbox.length, 1, 'the undelivered message is in the state file');

  const b = await start(config, scriptedPm2(config).source);
  await until('delivered after restart', () => b.runtime.notifier?.().stats.sent === 1, 20_000);
  const firing = slack.requests.filter((r) => (r.body as { text: string }).text.startsWith('1 firing'));
  assert.ok(firing.length >= 2, 'retried after restart');
  assert.equal(b.runtime.notifier?.().stats.queueLength, 0);
});

test('the daily digest goes out on its schedule through the same outbox and Slack formatter; stopping vigil stops the cron task', async () => {
  const slack = await standin();
  const built = buildConfig(
    {
      listen: { port: 0 },
      poll: { interval: '100ms', timeout: '50ms' },
      stateFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-')), 'state.json'),
      pm2: { apps: { 'avatar-generator-worker': {} } },
      alerts: { slack: { webhookUrl: slack.url }, digest: { schedule: '* * * * * *' } }, // every second, for the test
    },
    { env: {}, baseDir: os.tmpdir(), file: null },
  );
  if (!built.ok) assert.fail(built.problems.join('\n'));
  const { s, source } = scriptedPm2(built.config);
  s.workerUp = true; // nothing fires: the only messages are digests
  const { logger } = captureLogger();
  const daemon = await startDaemon(built.config, logger, { sources: [source] });
  let stopped = false;
  cleanup.push(async () => {
    if (!stopped) await daemon.stop();
  });
  await slack.waitForRequests(1);
  const body = slack.requests[0]!.body as { text: string; blocks: Array<{ text: { text: string } }> };
  assert.match(body.text, /^vigil\n:bar_chart: \*vigil daily digest\* · since vigil started, \d+s ago/);
  assert.deepEqual(body.blocks.map((b) => b.text.text).slice(1), [
    body.text.split('\n')[1],
    '*PM2 restarts*: none (1 app)',
    '*Alerts fired*: none',
  ]);
  await until('counted as sent', () => (daemon.runtime.notifier?.().stats.sent ?? 0) >= 1);
  await daemon.stop();
  stopped = true;
  assert.ok(![...getTasks().values()].some((t) => t.name === 'vigil-digest'), 'the cron task outlived vigil');
});
