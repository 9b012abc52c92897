// A private PM2 daemon per caller: PM2_HOME (and HOME) in a temp dir, driven through the pm2 CLI
// so the test process never loads pm2 against the wrong home. To use pm2's programmatic API in a
// test, set process.env.PM2_HOME = pm2.home BEFORE the first `await import('pm2')` (pm2 reads it at
// load time), and wrap every call in a timeout (calls hang while the daemon is down).
import fs from 'node:fs';
import path from 'node:path';
import { makeStackDir, register, STACK_ENV, strayPids, unregister, type Resource } from './cleanup';
import { pidAlive, run, signalGroup, waitFor, waitGone, type RunResult } from './proc';

const CLI_TIMEOUT_MS = 30_000;
const PM2_BIN = path.join(path.dirname(require.resolve('pm2/package.json')), 'bin', 'pm2');
export const FIXTURE_APPS = path.resolve(__dirname, '..', 'fixtures', 'apps');

/** Absolute path of a fixture app script, e.g. fixtureApp('crasher'). */
export function fixtureApp(name: string): string {
  return path.join(FIXTURE_APPS, name.endsWith('.js') ? name : `${name}.js`);
}

/** An app for startApp(): written to an ecosystem file, so env stays out of the command line. */
export interface Pm2AppSpec {
  name: string;
  script: string;
  env?: Record<string, string>;
  instances?: number;
  autorestart?: boolean;
  [option: string]: unknown;
}

export interface PrivatePm2 {
  /** PM2_HOME of this daemon (= <dir>/pm2). */
  readonly home: string;
  /** The temp dir holding everything of this instance. */
  readonly dir: string;
  /** Daemon pid, read from <home>/pm2.pid (changes on revive()). */
  readonly pid: number;
  /**
   * Run the pm2 CLI against this home. Its env (which apps started with `pm2 start` inherit) is
   * minimal: PATH, HOME=<temp dir>, PM2_HOME, and the stack marker — never the test's secrets.
   */
  cli(...args: string[]): Promise<RunResult>;
  /** `pm2 jlist`, parsed. */
  jlist(): Promise<any[]>;
  /** Start apps from a generated ecosystem file; waits for the CLI, not for `online`. */
  startApp(...apps: Pm2AppSpec[]): Promise<void>;
  /** Pids of the apps PM2 currently runs (from <home>/pids, readable while the daemon is down). */
  appPids(): number[];
  /** SIGKILL the daemon AND its apps (no orphans), and wait until all are gone. */
  killDaemon(): Promise<void>;
  /** Start a fresh daemon (no apps) on the same home. */
  revive(): Promise<void>;
  /** `pm2 kill`, then make sure every process is gone, then remove the temp dir. */
  stop(): Promise<void>;
}

class Pm2Daemon implements PrivatePm2, Resource {
  readonly dir = makeStackDir('pm2');
  readonly home = path.join(this.dir, 'pm2');
  private readonly env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: this.dir, // pm2 falls back to ~/.pm2 in places: make ~ private too
    PM2_HOME: this.home,
    PM2_NO_INTERACTION: 'true', // no pm2.io agent
    [STACK_ENV]: this.dir,
  };
  private ecosystems = 0;

  get pid(): number {
    try {
      return Number(fs.readFileSync(path.join(this.home, 'pm2.pid'), 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  }

  async cli(...args: string[]): Promise<RunResult> {
    return run(process.execPath, [PM2_BIN, ...args], { env: this.env, cwd: this.dir, timeoutMs: CLI_TIMEOUT_MS });
  }

  async jlist(): Promise<any[]> {
    const r = await this.cli('jlist');
    // When it had to spawn a daemon, the CLI prints banner lines before the JSON.
    const line = r.stdout.split('\n').find((l) => l.startsWith('['));
    if (r.code !== 0 || !line) throw new Error(`pm2 jlist failed (${r.code}): ${r.stderr || r.stdout}`);
    return JSON.parse(line) as any[];
  }

  async startApp(...apps: Pm2AppSpec[]): Promise<void> {
    const file = path.join(this.dir, `ecosystem-${++this.ecosystems}.config.js`);
    fs.writeFileSync(file, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
    const r = await this.cli('start', file);
    if (r.code !== 0) throw new Error(`pm2 start failed (${r.code}): ${r.stderr || r.stdout}`);
  }

  appPids(): number[] {
    const dir = path.join(this.home, 'pids');
    let files: string[] = [];
    try {
      files = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const pids = files.map((f) => {
      try {
        return Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
      } catch {
        return 0;
      }
    });
    return pids.filter((p) => p > 0 && pidAlive(p));
  }

  /** Everything of ours still running: daemon, apps, and anything they spawned (marked by env). */
  private everyPid(): number[] {
    const daemon = this.pid;
    const all = new Set([...this.appPids(), ...strayPids(this.dir)]);
    if (daemon && pidAlive(daemon)) all.add(daemon);
    return [...all];
  }

  async spawnDaemon(): Promise<void> {
    const r = await this.cli('ping');
    if (r.code !== 0) throw new Error(`pm2 ping failed (${r.code}): ${r.stderr || r.stdout}`);
    await waitFor('pm2 daemon pid file', () => this.pid > 0 && pidAlive(this.pid), 10_000);
  }

  async killDaemon(): Promise<void> {
    const daemon = this.pid;
    const pids = this.everyPid();
    // Daemon first, so it cannot restart the apps we are about to kill; apps are process-group
    // leaders (PM2 forks them detached), so -pid also takes their children.
    if (daemon) signalGroup(daemon, 'SIGKILL');
    for (const p of pids) signalGroup(p, 'SIGKILL');
    await waitGone(pids, 10_000, 'pm2 daemon and apps');
    // Anything spawned in the meantime (the daemon may have been mid-restart of an app).
    for (const p of strayPids(this.dir)) signalGroup(p, 'SIGKILL');
  }

  async revive(): Promise<void> {
    const old = this.pid;
    await this.spawnDaemon();
    if (this.pid === old && old !== 0) throw new Error('pm2 revive: the old daemon is still the one answering');
  }

  async stop(): Promise<void> {
    if (this.pid && pidAlive(this.pid)) {
      await this.cli('kill').catch(() => undefined); // a hung daemon: the kill below takes over
    }
    this.killSync();
    await waitGone(this.everyPid(), 10_000, 'pm2 processes');
    unregister(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  killSync(): void {
    const daemon = this.pid;
    if (daemon && pidAlive(daemon)) signalGroup(daemon, 'SIGKILL');
    for (const p of this.everyPid()) signalGroup(p, 'SIGKILL');
  }
}

export async function startPm2(): Promise<PrivatePm2> {
  const d = new Pm2Daemon();
  register(d);
  try {
    await d.spawnDaemon();
    return d;
  } catch (err) {
    await d.stop().catch(() => undefined);
    throw err;
  }
}
