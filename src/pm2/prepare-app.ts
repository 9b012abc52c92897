/**
 * Turns an ecosystem entry into what PM2's daemon `prepare` RPC takes — the preparation `pm2 start
 * ecosystem.config.js` does in API._startJson, with pm2's own functions (Common.verifyConfs,
 * resolveAppAttributes, mergeEnvironmentVariables) — except for two things:
 *
 * - The environment is built explicitly: the app's own `env` (and `port`), a few non-secret process basics
 *   (PATH, so that PM2 finds `node`; HOME; locale), and PM2_HOME. pm2 would copy the CALLER's whole
 *   environment (vigil's, secrets included); `filter_env: true` does not filter in pm2 7.0.4, and an array
 *   `filter_env` drops keys that *contain* a given string, which cannot express "nothing but these".
 * - Paths are resolved against the ecosystem file's directory and this PM2_HOME (pm2 uses the CLI's cwd
 *   and the PM2_HOME it was loaded with).
 *
 * Nothing here talks to the daemon. The result holds the app's env: never log it.
 */
import path from 'node:path';

/** The only variables of vigil's own environment that a started worker receives. */
export const BASE_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

export interface PrepareOptions {
  /** PM2_HOME of the daemon that will run it. */
  home: string;
  /** The ecosystem file's directory: relative `cwd` and `script` resolve from here. */
  dir: string;
  /** Instances vigil expects (pm2.apps may override the ecosystem's). */
  instances: number;
  /** Where BASE_ENV_KEYS are read from; vigil's process.env by default. */
  processEnv?: NodeJS.ProcessEnv;
}

type App = Record<string, unknown> & { env?: Record<string, unknown> };

interface Pm2Common {
  verifyConfs(apps: App[]): App[] | Error;
  resolveAppAttributes(opts: { cwd: string; pm2_home: string }, app: App): App;
  mergeEnvironmentVariables(app: App): Record<string, unknown>;
}

export function prepareApp(definition: Readonly<Record<string, unknown>>, options: PrepareOptions): App {
  process.env.PM2_PROGRAMMATIC = 'true'; // pm2's helpers print to the console unless told they run embedded
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Common = require('pm2/lib/Common.js') as Pm2Common;
  const fclone = require('pm2/modules/fclone') as <T>(v: T) => T;

  const app = fclone({ ...definition }) as App; // the config is frozen; pm2 mutates what it is given
  app.cwd = path.resolve(options.dir, typeof app.cwd === 'string' ? app.cwd : '.');
  // Only when it matters: an explicit `instances` makes pm2 choose cluster mode for a node app.
  if (app.instances !== undefined || options.instances !== 1) app.instances = options.instances;

  const verified = Common.verifyConfs([app]);
  if (verified instanceof Error) throw new Error(`invalid ecosystem entry: ${verified.message}`);
  const entry = verified[0]!;
  if (!entry.namespace) entry.namespace = 'default';
  defaultLogPaths(entry, options.home);
  const own: Record<string, unknown> = { ...(entry.env ?? {}) };
  if (entry.port !== undefined) own.PORT = entry.port;

  const pwd = process.env.PWD;
  let prepared: App;
  try {
    prepared = Common.resolveAppAttributes({ cwd: options.dir, pm2_home: options.home }, entry);
  } finally {
    if (pwd === undefined) delete process.env.PWD; // prepareAppConf sets the caller's PWD to the app's cwd
    else process.env.PWD = pwd;
  }
  const base = options.processEnv ?? process.env;
  const env: Record<string, unknown> = {};
  for (const key of BASE_ENV_KEYS) if (base[key] !== undefined) env[key] = base[key];
  prepared.env = { ...env, ...own, PM2_HOME: options.home };
  const merged = Common.mergeEnvironmentVariables(prepared); // flattens object values, as pm2 does
  delete merged.current_conf;
  prepared.env = merged;
  prepared.km_link = false;
  return prepared;
}

/** pm2 puts default logs and pid files under the PM2_HOME it was loaded with; make them this daemon's. */
function defaultLogPaths(app: App, home: string): void {
  const name = String(app.name).replace(/[^a-zA-Z0-9.-]/g, '-');
  if (!app.out_file) app.out_file = path.join(home, 'logs', `${name}-out.log`);
  if (!app.error_file) app.error_file = path.join(home, 'logs', `${name}-error.log`);
  if (!app.pid_file) app.pid_file = path.join(home, 'pids', `${name}.pid`);
  if (app.log_file === true) app.log_file = path.join(home, 'logs', `${name}.log`);
}
