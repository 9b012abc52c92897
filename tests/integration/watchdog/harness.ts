// A vigil reduced to what the watchdog needs, wired like the daemon: the PM2 source (its bus events make
// the poller poll at once), the poller, and the Watchdog with the real PM2 actions — against a private
// PM2 daemon, with an ecosystem file written per test.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/types';
import { createLogger } from '../../../src/log';
import { pm2Actions } from '../../../src/pm2/actions';
import { Poller } from '../../../src/poller';
import type { Snapshot } from '../../../src/snapshot';
import { pm2Source } from '../../../src/sources/pm2';
import { StateStore } from '../../../src/state';
import { Watchdog, type WatchdogAction } from '../../../src/watchdog';
import type { PrivatePm2 } from '../../helpers/stack';

let seq = 0;

/** Writes an ecosystem file in its own dir and builds a config over it (all its apps on the allowlist). */
export function ecosystemConfig(pm2: PrivatePm2, apps: Record<string, unknown>[], raw: Record<string, unknown> = {}): Config {
  const dir = fs.mkdtempSync(path.join(pm2.dir, `vigil-${++seq}-`));
  fs.writeFileSync(path.join(dir, 'ecosystem.config.js'), `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
  const watchdog = { grace: '1s', budget: { restarts: 3, within: '10m' }, cooldown: '30m', ...(raw.watchdog as object) };
  const r = buildConfig(
    {
      pm2: { home: pm2.home, ecosystem: './ecosystem.config.js', apps: Object.fromEntries(apps.map((a) => [a.name, { restart: true }])), watchdog },
      redis: { url: '' },
      poll: { interval: '500ms', timeout: '500ms' },
      stateFile: path.join(dir, 'state.json'),
      ...Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'watchdog')),
    },
    { env: {}, baseDir: dir, file: null },
  );
  if (!r.ok) assert.fail(r.problems.join('\n'));
  return r.config;
}

export interface TestWatchdog {
  config: Config;
  watchdog: Watchdog;
  actions: WatchdogAction[];
  logs: string[];
  /** The next snapshot that satisfies `check`. */
  until(what: string, check: (s: Snapshot) => boolean, ms?: number): Promise<Snapshot>;
  stop(): Promise<void>;
}

export function startWatchdog(config: Config, opts: { inMaintenance?: () => boolean } = {}): TestWatchdog {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: config.secrets, write: (l) => logs.push(l) });
  const state = StateStore.load(config.stateFile, logger);
  let poller: Poller | null = null;
  const source = pm2Source(config, () => poller?.trigger());
  poller = new Poller([source], { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub: (t) => t });
  const actions: WatchdogAction[] = [];
  const watchdog = new Watchdog(config, { actions: pm2Actions(config), store: state, logger, onAction: (a) => actions.push(a), ...opts });
  const waiters = new Set<(s: Snapshot) => void>();
  poller.onSnapshot((s) => watchdog.onSnapshot(s));
  poller.onSnapshot((s) => waiters.forEach((w) => w(s)));
  poller.start();
  const p = poller;
  return {
    config,
    watchdog,
    actions,
    logs,
    until(what, check, ms = 20_000) {
      return new Promise((resolve, reject) => {
        let last: Snapshot | null = null;
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}; last apps: ${JSON.stringify(last?.pm2?.apps)}`));
        }, ms);
        const waiter = (s: Snapshot) => {
          last = s;
          if (!check(s)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(s);
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      await p.stop();
      await watchdog.stop();
      await source.close();
      await state.flush();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An app's status in a snapshot ("missing" when PM2 does not list it). */
export const statusOf = (s: Snapshot, app: string) => s.pm2?.apps[app]?.status ?? 'unknown';
