// Small process/port/wait utilities shared by the private-service helpers.
// Every wait here has a deadline: a test stack that hangs is worse than one that fails.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Busy-free synchronous sleep, usable inside process.on('exit') where timers never fire. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Poll `check` until it returns a truthy value; throw `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Ask the kernel for a free loopback port. Racy by nature: callers retry if the bind then fails. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** True while `pid` exists and is not a zombie (a zombie child counts as gone: it runs nothing). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !fs.existsSync('/proc/self'); // no procfs: trust kill(0)
  }
}

/** Send a signal, ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Signal a whole process group (our services are started detached, so pgid = their pid). */
export function signalGroup(pgid: number, sig: NodeJS.Signals | number): void {
  signal(-pgid, sig);
  signal(pgid, sig); // in case it left its group
}

export async function waitGone(pids: number[], timeoutMs: number, what = 'processes'): Promise<void> {
  await waitFor(`${what} ${pids.join(',')} to exit`, () => pids.every((p) => !pidAlive(p)), timeoutMs, 25);
}

/**
 * Every live pid (other than ours) whose initial environment holds one of `envEntries` (whole
 * `NAME=value` entries) or whose cwd is `cwdUnder` or below it. Linux only ([] without /proc).
 * Both, because redis-server and postgres rewrite their process title over the environ area
 * (/proc/<pid>/environ then reads empty) but keep their cwd in their data dir, while PM2 apps
 * keep their env (PM2_HOME) but run in the script's directory.
 */
export function findPids(envEntries: string[], cwdUnder?: string): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const needles = envEntries.map((e) => Buffer.from(`\0${e}\0`)); // whole entry: /tmp/x must not match /tmp/xy
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      let hit = false;
      if (cwdUnder) {
        const cwd = fs.readlinkSync(`/proc/${e}/cwd`).replace(/ \(deleted\)$/, '');
        hit = cwd === cwdUnder || cwd.startsWith(`${cwdUnder}/`);
      }
      if (!hit && needles.length) {
        const env = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${e}/environ`), Buffer.from([0])]);
        hit = needles.some((n) => env.includes(n));
      }
      if (hit && pidAlive(pid)) out.push(pid);
    } catch {
      // raced with exit, or not ours to read
    }
  }
  return out;
}

/** Find an executable on PATH (or in `extraDirs`), else throw naming the Debian package. */
export function requireBinary(name: string, debPackage: string, extraDirs: string[] = []): string {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found: apt-get install ${debPackage}`);
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Run a command to completion, collecting output; kills it and throws on timeout. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own group, so a timeout can kill whatever it spawned in the foreground
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: timed out after ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close' waits for stdio to drain; a grandchild that kept our pipes would delay it,
    // but PM2's daemon writes to files, and the timeout above bounds it regardless.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** Synchronous variant for exit handlers. */
export function runSync(cmd: string, args: string[], opts: RunOptions = {}): void {
  spawnSync(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
    stdio: 'ignore',
    timeout: opts.timeoutMs ?? 5_000,
  });
}

/** Last `n` lines of a log file, for error messages when a service fails to start. */
export function tail(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
