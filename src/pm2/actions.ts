/**
 * The watchdog's PM2 calls, on its own connection to the EXISTING daemon (never spawning one), each
 * under a deadline. Only daemon RPC methods are used (pm2 7.0.4 exposes restartProcessId, stopProcessId,
 * duplicateProcessId and prepare; there is no restartProcessName RPC — "restart by name" is the CLI
 * looping over ids):
 *
 * - restart: `restartProcessId({id})` — keeps the stored env, resets PM2's backoff and unstable-restart
 *   counters, and restarts just that instance (its online siblings are left alone). An instance in
 *   `waiting restart` still holds its dead pid and a pending restart timer, so restartProcessId refuses it
 *   ("Process with pid … already exists"); it is stopped first (which clears the timer), then restarted.
 * - scale: `duplicateProcessId(id)` — what `pm2 scale` does: a copy of an existing instance's stored
 *   definition and env, with the next free NODE_APP_INSTANCE.
 * - start: `prepare(app)` with the ecosystem entry prepared by prepare-app.ts (the app's own env only).
 */
import path from 'node:path';
import type { Config, ExpectedApp } from '../config/types';
import { Pm2Connection } from './connection';
import { prepareApp } from './prepare-app';

/** A start waits for the new processes to be online (or `wait_ready`); generous, but bounded. */
export const ACTION_TIMEOUT_MS = 10_000;

/** What the watchdog needs from PM2; a seam, so the watchdog's bookkeeping is testable without a daemon. */
export interface Pm2Actions {
  /** Starts an app PM2 does not list from its ecosystem definition; resolves with the processes started. */
  start(app: ExpectedApp): Promise<number>;
  /** Restarts one instance in place (stored env kept). `waiting`: it sits in `waiting restart`. */
  restart(pmId: number, waiting: boolean): Promise<void>;
  /** Adds `count` instances, each a copy of instance `fromPmId`. */
  scale(fromPmId: number, count: number): Promise<void>;
  close(): void;
}

export function pm2Actions(config: Config, timeoutMs = ACTION_TIMEOUT_MS): Pm2Actions {
  const connection = new Pm2Connection(config.pm2.home);
  const dir = config.pm2.ecosystem ? path.dirname(config.pm2.ecosystem) : config.file ? path.dirname(config.file) : process.cwd();
  return {
    async start(app) {
      if (!app.definition) throw new Error(`${app.name} has no ecosystem definition`);
      const prepared = prepareApp(app.definition, { home: config.pm2.home, dir, instances: app.instances });
      const started = await connection.call<unknown>('prepare', prepared, timeoutMs);
      if (!Array.isArray(started) || started.length === 0) throw new Error('PM2 started no process');
      return started.length;
    },
    async restart(pmId, waiting) {
      if (waiting) await connection.call('stopProcessId', pmId, timeoutMs);
      await connection.call('restartProcessId', { id: pmId }, timeoutMs);
    },
    async scale(fromPmId, count) {
      for (let i = 0; i < count; i++) await connection.call('duplicateProcessId', fromPmId, timeoutMs);
    },
    close: () => connection.close(),
  };
}
