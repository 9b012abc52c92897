// The watchdog and the alert engine together, on the whole daemon (issue 6): a private PM2 daemon with
// real worker scripts, vigil's real PM2 source, poll loop, watchdog, alert engine, outbox and Slack
// sender, against the local Slack stand-in. Every wait is on an awaited condition (a Slack request, a
// log line, a snapshot), never a sleep.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Config } from '../../../src/config/types';
import { startDaemon, type Daemon } from '../../../src/daemon';
import { createLogger } from '../../../src/log';
import { startSlackStandin, type RecordedRequest, type SlackStandin } from '../../helpers/slack-standin';
import { fixtureApp, startPm2, type PrivatePm2 } from '../../helpers/stack';
import { ecosystemConfig } from './harness';

let pm2: PrivatePm2;
const cleanup: Array<() => Promise<void>> = [];

before(async () => {
  pm2 = await startPm2();
  process.env.PM2_HOME = pm2.home; // before anything loads pm2
});

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

after(async () => {
  await pm2?.stop();
});

interface Vigil {
  daemon: Daemon;
  slack: SlackStandin;
  /** Parsed log lines, in order. */
  logs: Array<{ time: string; msg: string; [k: string]: unknown }>;
}

async function startVigil(config: (webhookUrl: string) => Config, apps: string[]): Promise<Vigil> {
  const slack = await startSlackStandin();
  cleanup.push(() => slack.close());
  for (const app of apps) cleanup.push(() => pm2.cli('delete', app).then(() => undefined));
  const logs: Vigil['logs'] = [];
  const logger = createLogger({ level: 'debug', secrets: [], write: (l) => logs.push(JSON.parse(l) as Vigil['logs'][number]) });
  const daemon = await startDaemon(config(slack.url), logger);
  cleanup.push(() => daemon.stop());
  return { daemon, slack, logs };
}

/** Resolves when `cond` holds, checked every 50 ms; fails after `ms` with `what`. */
async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The section texts of a recorded Slack message. */
const sections = (r: RecordedRequest): string[] => ((r.body as { blocks: Array<{ text: { text: string } }> }).blocks ?? []).map((b) => b.text.text);
/** Messages with a section for this alert in this state ("firing" matches the severity titles, "resolved" the resolved ones). */
const messagesAbout = (slack: SlackStandin, alertname: string, status: 'firing' | 'resolved') =>
  slack.requests.filter((r) =>
    sections(r).some((s) => s.includes(`*${alertname}*`) && (status === 'resolved' ? s.includes('— resolved (') : !s.includes('— resolved ('))),
  );
/** The watchdog's action log lines ("watchdog: restarted boot-crasher (attempt 1/2)"). */
const actionLines = (v: Vigil) => v.logs.filter((l) => /^watchdog: (started|restarted|failed to)/.test(l.msg));

test('crash at boot (PM2: errored): at most budget actions, exactly one Pm2AppRestartGaveUp message, then nothing until the cooldown ends', async () => {
  const COOLDOWN_MS = 8_000;
  const v = await startVigil(
    (webhookUrl) =>
      ecosystemConfig(pm2, [{ name: 'boot-crasher', script: fixtureApp('crasher'), min_uptime: 1000, max_restarts: 2 }], {
        watchdog: { grace: '1s', budget: { restarts: 2, within: '1m' }, cooldown: `${COOLDOWN_MS}ms` },
        listen: { port: 0 },
        alerts: { groupWait: '500ms', slack: { webhookUrl } },
      }),
    ['boot-crasher'],
  );
  await until('the give-up message', () => messagesAbout(v.slack, 'Pm2AppRestartGaveUp', 'firing').length >= 1);
  const gaveUpMessage = messagesAbout(v.slack, 'Pm2AppRestartGaveUp', 'firing')[0]!;
  const gaveUpAt = v.daemon.runtime.watchdog?.().gaveUp['boot-crasher'];
  assert.equal(typeof gaveUpAt, 'number', 'the watchdog says it gave up');
  assert.deepEqual(
    actionLines(v).map((l) => l.msg),
    ['watchdog: started boot-crasher (attempt 1/2)', 'watchdog: restarted boot-crasher (attempt 2/2)'],
    'at most budget.restarts actions before giving up',
  );
  assert.match(sections(gaveUpMessage).find((s) => s.includes('*Pm2AppRestartGaveUp*'))!, /2 watchdog actions within 1m did not bring it up; left alone until/);

  // The cooldown ends with the watchdog trying again (a fresh budget): the awaited event.
  await until('the first action after the cooldown', () => actionLines(v).length >= 3, COOLDOWN_MS + 20_000);
  const retry = actionLines(v)[2]!;
  const retryAt = Date.parse(retry.time);
  assert.equal(retry.msg, 'watchdog: restarted boot-crasher (attempt 1/2)');
  assert.ok(retryAt >= gaveUpAt! + COOLDOWN_MS, `tried again ${retryAt - gaveUpAt!} ms after giving up (cooldown ${COOLDOWN_MS} ms)`);
  const during = v.slack.requests.filter((r) => r.at > gaveUpMessage.at && r.at < retryAt);
  assert.deepEqual(during.map(sections), [], 'no Slack message during the cooldown');
  assert.equal(messagesAbout(v.slack, 'Pm2AppRestartGaveUp', 'firing').length, 1, 'exactly one give-up message');
  assert.equal(v.logs.filter((l) => l.msg.includes('gave up on boot-crasher')).length, 1);
});

test('a crash loop PM2 handles itself (lives longer than min_uptime): vigil does not act, Pm2AppCrashLooping is sent once while it keeps looping', async () => {
  await pm2.startApp({ name: 'flappy', script: fixtureApp('dies-later'), env: { LIFETIME_MS: '1500' }, min_uptime: 500 });
  const v = await startVigil(
    (webhookUrl) =>
      ecosystemConfig(pm2, [{ name: 'flappy', script: fixtureApp('dies-later') }], {
        watchdog: { grace: '5s' }, // longer than one PM2 restart: PM2's own restarts never look like a down app
        listen: { port: 0 },
        alerts: { groupWait: '500ms', slack: { webhookUrl } },
      }),
    ['flappy'],
  );
  const restarts = () => v.daemon.runtime.snapshot()?.pm2?.processes.find((p) => p.name === 'flappy')?.restarts ?? 0;
  await until('the crash-looping message', () => messagesAbout(v.slack, 'Pm2AppCrashLooping', 'firing').length >= 1);
  const atMessage = restarts();
  await until('three more restarts by PM2', () => restarts() >= atMessage + 3);
  assert.equal(messagesAbout(v.slack, 'Pm2AppCrashLooping', 'firing').length, 1, 'sent once while it keeps looping');
  assert.equal(v.slack.requests.length, 1, `no other message: ${JSON.stringify(v.slack.requests.map(sections))}`);
  assert.match(sections(v.slack.requests[0]!).join('\n'), /flappy: restarted \d+ times in the last 10m/);
  assert.deepEqual(v.daemon.runtime.watchdog?.().actions, [], 'vigil did not act');
  assert.deepEqual(actionLines(v), []);
  assert.ok(v.daemon.runtime.alerts?.().some((a) => a.alertname === 'Pm2AppCrashLooping' && a.subject === 'flappy' && a.state === 'firing'));
});

const missingWorker = (groupWait: string) => (webhookUrl: string) =>
  ecosystemConfig(pm2, [{ name: 'avatar-generator-worker', script: path.relative(pm2.dir, fixtureApp('idle')), cwd: pm2.dir }], {
    watchdog: { grace: '1s' },
    listen: { port: 0 },
    alerts: { groupWait, slack: { webhookUrl } },
  });

test('a watchdog action is in the next Slack message: "started avatar-generator-worker (attempt 1/3)" rides on the alert it answers', async () => {
  // groupWait 0: Pm2AppDown's firing message leaves before the start has finished; the line rides on the
  // alert's next message, its resolution.
  const v = await startVigil(missingWorker('0s'), ['avatar-generator-worker']);
  await v.slack.waitForRequests(2, 30_000);
  const [firing, resolved] = v.slack.requests.map(sections) as [string[], string[]];
  assert.match(firing.find((s) => s.includes('*Pm2AppDown*')) ?? '', /avatar-generator-worker: not in PM2/);
  const section = resolved.find((s) => s.includes('*Pm2AppDown*') && s.includes('— resolved ('));
  assert.ok(section, JSON.stringify(resolved));
  assert.ok(section.split('\n').includes('• started avatar-generator-worker (attempt 1/3)'), section);
});

test('an action that fixes the app before its alert was sent is still reported: the line goes out as a note', async () => {
  // Pm2AppDown's `for` is the watchdog's grace: the alert fires as the watchdog acts, and the app is back
  // before groupWait ends, so the alert itself is never sent (nothing to page about) — the action is.
  const v = await startVigil(missingWorker('3s'), ['avatar-generator-worker']);
  await v.slack.waitForRequests(1, 30_000);
  assert.deepEqual(sections(v.slack.requests[0]!), ['*vigil*', 'started avatar-generator-worker (attempt 1/3)']);
  assert.deepEqual(actionLines(v).map((l) => l.msg), ['watchdog: started avatar-generator-worker (attempt 1/3)']);
});
