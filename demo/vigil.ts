/**
 * vigil itself, in this process: demo/vigil.yml loaded with the private stack's addresses, and the
 * daemon started exactly as `vigil start` starts it (src/daemon.ts). Its JSON log goes to a file; the
 * lines worth telling (watchdog actions, remediation runs, errors) are handed to the story as they come.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildConfig } from '../src/config/load';
import { startDaemon, type Daemon } from '../src/daemon';
import { createLogger } from '../src/log';

export const DEMO_DIR = __dirname;
export const CONFIG_FILE = path.join(DEMO_DIR, 'vigil.yml');
export const ECOSYSTEM_FILE = path.join(DEMO_DIR, 'ecosystem.config.js');

/** The environment demo/vigil.yml and demo/ecosystem.config.js read. */
export interface DemoEnv {
  DEMO_PM2_HOME: string;
  DEMO_REDIS_URL: string;
  DEMO_DATABASE_URL: string;
  DEMO_API_PORT: string;
  DEMO_SLACK_WEBHOOK_URL: string;
  DEMO_STATE_FILE: string;
}

/** One parsed line of vigil's log. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

export interface DemoVigil {
  daemon: Daemon;
  logFile: string;
  health(): Promise<{ code: number; body: HealthJson }>;
  metrics(): Promise<string>;
  /** Stops the daemon (as on SIGTERM), then closes its log file. */
  stop(): Promise<void>;
}

export interface HealthJson {
  status: string;
  reasons: string[];
  queues: Record<string, { waiting: number; active: number; workers: number | null }>;
  apps: Record<string, { expected: number | null; online: number; status: string }>;
  checks: Record<string, { rows: number }>;
}

/**
 * Puts the demo's addresses into this process's environment. The ecosystem file is evaluated by vigil
 * in this process, and, like any ecosystem file, reads process.env.
 */
export function exportDemoEnv(env: DemoEnv): void {
  Object.assign(process.env, env);
}

export async function startVigil(opts: { withPostgres: boolean; logFile: string; onLog: (line: LogLine) => void }): Promise<DemoVigil> {
  const raw = parse(fs.readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  if (!opts.withPostgres) delete raw.postgres; // no Postgres installed: no checks, no remediation
  const loaded = buildConfig(raw, { env: process.env, baseDir: DEMO_DIR, file: CONFIG_FILE });
  if (!loaded.ok) throw new Error(`demo/vigil.yml:\n${loaded.problems.join('\n')}`);
  const config = loaded.config;

  const log = fs.openSync(opts.logFile, 'a');
  let logOpen = true;
  const logger = createLogger({
    level: config.log.level,
    secrets: config.secrets,
    write: (line) => {
      if (!logOpen) return;
      fs.writeSync(log, line);
      try {
        opts.onLog(JSON.parse(line) as LogLine);
      } catch {
        // not JSON: kept in the file only
      }
    },
  });
  const closeLog = (): void => {
    if (logOpen) fs.closeSync(log);
    logOpen = false;
  };
  let daemon: Daemon;
  try {
    daemon = await startDaemon(config, logger);
  } catch (err) {
    closeLog();
    throw err;
  }

  return {
    daemon,
    logFile: opts.logFile,
    async health() {
      const res = await fetch(`${daemon.url}/health`, { signal: AbortSignal.timeout(3_000) });
      return { code: res.status, body: (await res.json()) as HealthJson };
    },
    async metrics() {
      const res = await fetch(`${daemon.url}/metrics`, { signal: AbortSignal.timeout(3_000) });
      return res.text();
    },
    async stop() {
      try {
        await daemon.stop();
      } finally {
        closeLog();
      }
    },
  };
}
