/**
 * Builds the demo's world, as the incident's team had it right after the deploy: a private stack, the
 * tables with four paying users, the API running under PM2 — and the worker only in the ecosystem file —
 * then vigil watching it all, paging a console Slack stand-in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiClient } from './api';
import { AppLog } from './app-log';
import type { Cleanup } from './cleanup';
import { createSchema, START_CREDITS, USERS } from './db';
import type { Narrator } from './narrator';
import { startSlackConsole, type SlackConsole } from './slack-console';
import { startStack, type DemoStack } from './stack';
import { ECOSYSTEM_FILE, exportDemoEnv, startVigil, type DemoVigil, type LogLine } from './vigil';
import { freePort } from '../tests/helpers/stack';

export const QUEUE = 'avatar-generation';
export const WORKER = 'avatar-generator-worker';
export const API = 'avatar-api';

export interface Demo {
  stack: DemoStack;
  slack: SlackConsole;
  vigil: DemoVigil;
  api: ApiClient;
  /** The app database; null without Postgres. */
  dbUrl: string | null;
  workerLog: AppLog;
  /** Every line vigil logged so far. */
  vigilLog: LogLine[];
}

/** Which of vigil's log lines the demo tells as they happen. */
function narrateVigil(n: Narrator, line: LogLine): void {
  if (line.msg.startsWith('watchdog: ')) {
    n.say(`vigil: ${line.msg}`, ...(typeof line.why === 'string' ? [`why: ${line.why}`] : []));
  } else if (typeof line.mode === 'string' && line.status === 'done' && Number(line.applied) + Number(line.failed) > 0) {
    n.say(`vigil: remediation run — ${line.msg}`);
  } else if (line.level === 'error' || line.level === 'fatal') {
    n.say(`vigil (${line.level}): ${line.msg}`);
  }
}

/** `skipped`: why Postgres is left out (null: use it). */
export async function setUp(n: Narrator, cleanup: Cleanup, skipped: string | null): Promise<Demo> {
  n.step('Setting up: a private stack (temp dirs, free ports; your own Redis, Postgres and ~/.pm2 are not touched)');
  const stack = await startStack(skipped === null);
  cleanup.add('the private stack', () => stack.stop());
  n.say(`PM2 daemon running with PM2_HOME=${stack.pm2.home}`);
  n.say(`redis-server listening on 127.0.0.1:${stack.redis.port}`);

  let dbUrl: string | null = null;
  if (stack.postgres) {
    dbUrl = await stack.postgres.createDatabase('app');
    await createSchema(dbUrl);
    n.say(
      `Postgres listening on 127.0.0.1:${stack.postgres.port}, database "app": tables avatar_generations and credits (docs/remediation.md)`,
      `${USERS.join(', ')} bought ${START_CREDITS} credits each; an avatar costs 10`,
    );
  } else {
    n.say(`No Postgres (${skipped}): no credits, no stuck rows — that part of the story is skipped`);
  }

  const slack = await startSlackConsole((m) => n.say(`💬 Slack message #${m.n} to the on-call channel:`, ...m.lines.map((l) => `│ ${l}`)));
  cleanup.add('the Slack stand-in', () => slack.close());
  n.say(`Slack stand-in listening at ${slack.url} (its messages are printed here)`);

  const apiPort = await freePort();
  exportDemoEnv({
    DEMO_PM2_HOME: stack.pm2.home,
    DEMO_REDIS_URL: stack.redis.url,
    DEMO_DATABASE_URL: dbUrl ?? '',
    DEMO_API_PORT: String(apiPort),
    DEMO_SLACK_WEBHOOK_URL: slack.url,
    DEMO_STATE_FILE: path.join(stack.dir, 'state.json'),
  });
  n.say('temp dirs (all removed at the end):', ...stack.dirs());

  n.step(`The deploy: ${API} is started under PM2; ${WORKER} is in demo/ecosystem.config.js but never started (the incident)`);
  // What the deploy did: the API's entry, as the ecosystem file gives it (the ports resolved just now).
  delete require.cache[require.resolve(ECOSYSTEM_FILE)];
  const ecosystem = require(ECOSYSTEM_FILE) as { apps: Array<{ name: string; script: string; env: Record<string, string> }> };
  const apiEntry = ecosystem.apps.find((a) => a.name === API);
  if (!apiEntry) throw new Error(`${API} is not in ${ECOSYSTEM_FILE}`);
  await stack.pm2.startApp(apiEntry);
  const api = new ApiClient(`http://127.0.0.1:${apiPort}`);
  await n.until(`${API} answering on port ${apiPort}`, () => api.ready(), 20_000);
  const listed = (await stack.pm2.jlist()).map((p: { name: string; pm2_env?: { status?: string } }) => `${p.name}: ${p.pm2_env?.status ?? '?'}`);
  n.say(`pm2 list → ${listed.join(', ')}`, 'PM2 shows every process it knows of as online. Nothing else is watching the queue.');

  const vigilLog: LogLine[] = [];
  const vigil = await startVigil({
    withPostgres: dbUrl !== null,
    logFile: path.join(stack.dir, 'vigil.log'),
    onLog: (line) => {
      vigilLog.push(line);
      narrateVigil(n, line);
    },
  });
  cleanup.add('vigil', () => vigil.stop());
  n.say(
    `vigil started (in this process, config demo/vigil.yml), serving ${vigil.daemon.url}/health and /metrics`,
    `expects ${API} and ${WORKER} (from the ecosystem; restart: true for the worker), queue ${QUEUE} with consumer ${WORKER}` +
      (dbUrl ? ', check stuck_avatar_generations (remediation: apply)' : ''),
  );
  return { stack, slack, vigil, api, dbUrl, workerLog: new AppLog(stack.pm2.home, WORKER), vigilLog };
}

function tail(file: string, lines: number): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
}

/** For a failure report (read before cleanup removes the files): the end of vigil's log and of the apps' stderr. */
export function diagnostics(demo: Demo | null): string[] {
  if (!demo) return [];
  const out: string[] = [];
  const sections: Array<[string, string, number]> = [
    ["vigil's log", demo.vigil.logFile, 25],
    ...[API, WORKER].map((app): [string, string, number] => [`${app}'s stderr`, path.join(demo.stack.pm2.home, 'logs', `${app}-error.log`), 10]),
  ];
  for (const [what, file, lines] of sections) {
    const text = tail(file, lines);
    if (text.length > 0) out.push(`last lines of ${what}:`, ...text.map((l) => `  ${l}`));
  }
  return out;
}
