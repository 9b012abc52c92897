/**
 * Issue 6 benchmark: time from a worker's death to the watchdog's action, on a private PM2 daemon.
 *
 * Two deaths, 20 runs each: `delete` (deleteProcessId, what `pm2 delete` sends: the app vanishes from
 * PM2 → vigil starts it from the ecosystem) and `sigkill` (SIGKILL of an app with max_restarts 1 and
 * min_uptime 60 s, which PM2 marks errored at its first death → vigil restarts it). Two modes:
 * event-driven (PM2 bus events trigger a poll, as the daemon does) and polling-only (the 5 s interval
 * alone). grace is 0 so that the figure is vigil's own latency (add `grace` in production). Each death
 * comes at a random moment of the poll cycle.
 *
 * Then, on the whole daemon (startDaemon: PM2 source, watchdog, alert engine, outbox, Slack sender)
 * against the local Slack stand-in, event-driven: death → the first Slack message about the app, and →
 * the message that carries the watchdog's line. `alerts.groupWait` is part of that latency (10 s by
 * default): the rows say which groupWait they ran with.
 *
 *   node --import tsx bench/watchdog-latency.ts [runs=20]
 *   PARTS=action|slack, DEATHS=delete,sigkill, GROUP_WAITS=0s,1s select what runs (default: all).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildConfig } from '../src/config/load';
import { createLogger } from '../src/log';
import { pm2Actions } from '../src/pm2/actions';
import { Pm2Connection } from '../src/pm2/connection';
import { Poller } from '../src/poller';
import type { Snapshot } from '../src/snapshot';
import { pm2Source } from '../src/sources/pm2';
import { StateStore } from '../src/state';
import { startDaemon } from '../src/daemon';
import { Watchdog, type WatchdogAction } from '../src/watchdog';
import { startSlackStandin, type RecordedRequest } from '../tests/helpers/slack-standin';
import { fixtureApp, startPm2, type PrivatePm2 } from '../tests/helpers/stack';

const RUNS = Number(process.argv[2] ?? 20);
const INTERVAL = '5s';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Death = 'delete' | 'sigkill';
interface Sample {
  seenMs: number;
  decidedMs: number;
  doneMs: number;
}

async function measure(pm2: PrivatePm2, dir: string, eventDriven: boolean, death: Death): Promise<Sample[]> {
  const app = `bench-${death}-${eventDriven ? 'events' : 'polling'}`;
  const eco = path.join(dir, `${app}.config.js`);
  const entry = { name: app, script: fixtureApp('idle'), ...(death === 'sigkill' && { max_restarts: 1, min_uptime: 60_000 }) };
  fs.writeFileSync(eco, `module.exports = { apps: [${JSON.stringify(entry)}] };\n`);
  const built = buildConfig(
    {
      poll: { interval: INTERVAL, timeout: '3s' },
      stateFile: path.join(dir, `${app}.state.json`),
      redis: { url: '' },
      pm2: { home: pm2.home, ecosystem: eco, apps: { [app]: { restart: true } }, watchdog: { grace: '0s', budget: { restarts: 1000, within: '1h' } } },
    },
    { env: {}, baseDir: dir, file: null },
  );
  if (!built.ok) throw new Error(built.problems.join('\n'));
  const config = built.config;
  const logger = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'silent', secrets: [], write: (l) => process.stderr.write(l) });
  let poller: Poller | null = null;
  const source = pm2Source(config, eventDriven ? () => poller?.trigger() : undefined);
  poller = new Poller([source], { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub: (t) => t });
  let onAction: (a: WatchdogAction) => void = () => undefined;
  let onSnap: (s: Snapshot) => void = () => undefined;
  const watchdog = new Watchdog(config, { actions: pm2Actions(config), store: StateStore.load(config.stateFile, logger), logger, onAction: (a) => onAction(a) });
  poller.onSnapshot((s) => watchdog.onSnapshot(s));
  poller.onSnapshot((s) => onSnap(s));
  const operator = new Pm2Connection(pm2.home);
  const list = async () => ((await operator.call<any[]>('getMonitorData', {}, 3000)) ?? []).filter((p) => p.name === app);
  const online = async () => {
    for (let i = 0; i < 200; i++) {
      const procs = await list();
      if (procs.length === 1 && procs[0].pm2_env.status === 'online') return procs[0];
      await sleep(50);
    }
    throw new Error(`${app} did not come online`);
  };

  poller.start();
  const samples: Sample[] = [];
  try {
    await online(); // the watchdog starts it first (grace 0)
    for (let run = 0; run < RUNS; run++) {
      await sleep(500 + Math.random() * config.poll.interval); // a random moment of the poll cycle
      const proc = await online();
      let seen = 0;
      onSnap = (s) => {
        if (!seen && s.pm2?.apps[app]?.up === false) seen = s.time;
      };
      const acted = new Promise<{ decided: number; done: number }>((resolve) => {
        onAction = (a) => resolve({ decided: a.at, done: Date.now() });
      });
      const t0 = Date.now();
      if (death === 'delete') await operator.call('deleteProcessId', proc.pm_id, 3000);
      else process.kill(proc.pid, 'SIGKILL');
      const { decided, done } = await acted;
      samples.push({ seenMs: seen - t0, decidedMs: decided - t0, doneMs: done - t0 });
      await watchdog.idle();
    }
  } finally {
    await poller.stop();
    await watchdog.stop();
    await source.close();
    await operator.call('deleteProcessId', (await list())[0]?.pm_id ?? -1, 3000).catch(() => undefined);
    operator.close();
  }
  return samples;
}

interface SlackSample {
  /** Death → the first Slack message that names the app. */
  firstMs: number;
  /** Death → the first Slack message that carries the watchdog's line for this death. */
  lineMs: number;
  /** Where the line rode: on the alert's firing or resolved section, or as a note of its own. */
  via: 'firing' | 'resolved' | 'note';
}

const sectionsOf = (r: RecordedRequest): string[] => ((r.body as { blocks?: Array<{ text: { text: string } }> }).blocks ?? []).map((b) => b.text.text);

/** The whole daemon with a Slack stand-in: death → Slack message, event-driven, grace 0. */
async function measureSlack(pm2: PrivatePm2, dir: string, death: Death, groupWait: string): Promise<SlackSample[]> {
  const app = `slack-${death}-${groupWait}`;
  const eco = path.join(dir, `${app}.config.js`);
  const entry = { name: app, script: fixtureApp('idle'), ...(death === 'sigkill' && { max_restarts: 1, min_uptime: 60_000 }) };
  fs.writeFileSync(eco, `module.exports = { apps: [${JSON.stringify(entry)}] };\n`);
  const slack = await startSlackStandin();
  const built = buildConfig(
    {
      listen: { port: 0 },
      poll: { interval: INTERVAL, timeout: '3s' },
      stateFile: path.join(dir, `${app}.state.json`),
      redis: { url: '' },
      pm2: { home: pm2.home, ecosystem: eco, apps: { [app]: { restart: true } }, watchdog: { grace: '0s', budget: { restarts: 1000, within: '1h' } } },
      // critical only: the watchdog's repeated restarts of one pm_id would also fire Pm2AppCrashLooping (a warning)
      alerts: { groupWait, minSeverity: 'critical', slack: { webhookUrl: slack.url } },
    },
    { env: {}, baseDir: dir, file: null },
  );
  if (!built.ok) throw new Error(built.problems.join('\n'));
  const logger = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'silent', secrets: [], write: (l) => process.stderr.write(l) });
  const daemon = await startDaemon(built.config, logger);
  const operator = new Pm2Connection(pm2.home);
  const list = async () => ((await operator.call<any[]>('getMonitorData', {}, 3000)) ?? []).filter((p) => p.name === app);
  /** The next request at index >= `from` that satisfies `match` (event-driven: waits on the stand-in). */
  const next = async (from: number, match: (r: RecordedRequest) => boolean): Promise<RecordedRequest> => {
    for (let i = from; ; i++) {
      await slack.waitForRequests(i + 1, 30_000);
      if (match(slack.requests[i]!)) return slack.requests[i]!;
    }
  };
  /** Quiet: the app online, no active alert, nothing queued, and the 1 request/s slot free again. */
  const settled = async () => {
    for (let i = 0; i < 400; i++) {
      const procs = await list();
      const quiet =
        procs.length === 1 &&
        procs[0].pm2_env.status === 'online' &&
        (daemon.runtime.alerts?.() ?? []).length === 0 &&
        daemon.runtime.notifier?.().stats.queueLength === 0 &&
        Date.now() - (slack.requests.at(-1)?.at ?? 0) > 1100;
      if (quiet) return procs[0];
      await sleep(50);
    }
    throw new Error(`${app} did not settle`);
  };
  const samples: SlackSample[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      await settled();
      await sleep(500 + Math.random() * built.config.poll.interval); // a random moment of the poll cycle
      const proc = await settled();
      const from = slack.requests.length;
      const lineRe = new RegExp(`(started|restarted) ${app} \\(attempt`);
      const t0 = Date.now();
      if (death === 'delete') await operator.call('deleteProcessId', proc.pm_id, 3000);
      else process.kill(proc.pid, 'SIGKILL');
      const first = await next(from, (r) => sectionsOf(r).some((s) => s.includes(app)));
      const withLine = await next(from, (r) => sectionsOf(r).some((s) => lineRe.test(s)));
      const section = sectionsOf(withLine).find((s) => lineRe.test(s))!;
      const via = !section.includes('*Pm2AppDown*') ? 'note' : section.includes('— resolved (') ? 'resolved' : 'firing';
      samples.push({ firstMs: first.at - t0, lineMs: withLine.at - t0, via });
    }
    await settled();
  } finally {
    await daemon.stop();
    await slack.close();
    await operator.call('deleteProcessId', (await list())[0]?.pm_id ?? -1, 3000).catch(() => undefined);
    operator.close();
  }
  return samples;
}

interface Stats {
  median: number;
  p90: number;
  max: number;
}

function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
  const median = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return { median: Math.round(median), p90: Math.round(at(0.9)), max: Math.round(v.at(-1)!) };
}

async function main() {
  const pm2 = await startPm2();
  process.env.PM2_HOME = pm2.home;
  const dir = fs.mkdtempSync(path.join(pm2.dir, 'bench-'));
  const parts = process.env.PARTS?.split(',') ?? ['action', 'slack'];
  const deaths = (process.env.DEATHS?.split(',') ?? ['delete', 'sigkill']) as Death[];
  const deathName = (d: Death) => (d === 'delete' ? '`pm2 delete`' : 'SIGKILL → errored');
  const fmt = (s: Stats) => `${s.median} / ${s.p90} / ${s.max}`;
  const rows: string[] = [];
  const slackRows: string[] = [];
  try {
    if (parts.includes('action')) {
      for (const death of deaths) {
        for (const eventDriven of [true, false]) {
          const samples = await measure(pm2, dir, eventDriven, death);
          const [seen, decided, done] = (['seenMs', 'decidedMs', 'doneMs'] as const).map((k) => stats(samples.map((s) => s[k]))) as [Stats, Stats, Stats];
          const row = `| ${deathName(death)} | ${eventDriven ? 'event-driven' : `polling only (${INTERVAL})`} | ${samples.length} | ${fmt(seen)} | ${fmt(decided)} | ${fmt(done)} |`;
          rows.push(row);
          console.error(row);
        }
      }
    }
    if (parts.includes('slack')) {
      for (const groupWait of process.env.GROUP_WAITS?.split(',') ?? ['0s', '1s']) {
        for (const death of deaths) {
          const samples = await measureSlack(pm2, dir, death, groupWait);
          const via = (['firing', 'resolved', 'note'] as const).map((k) => [k, samples.filter((s) => s.via === k).length] as const).filter(([, n]) => n > 0);
          const row = `| ${deathName(death)} | ${groupWait} | ${samples.length} | ${fmt(stats(samples.map((s) => s.firstMs)))} | ${fmt(stats(samples.map((s) => s.lineMs)))} | ${via.map(([k, n]) => `${k} ${n}`).join(', ')} |`;
          slackRows.push(row);
          console.error(row);
        }
      }
    }
  } finally {
    await pm2.stop();
  }
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (rows.length > 0) {
    console.log('| death | detection | runs | seen ms (median / p90 / max) | action decided ms | action done ms |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  }
  if (slackRows.length > 0) {
    console.log('| death | groupWait | runs | first Slack message naming the app ms (median / p90 / max) | message with the action line ms | the line rode on |');
    console.log('|---|---|---|---|---|---|');
    for (const r of slackRows) console.log(r);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
