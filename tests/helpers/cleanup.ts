// Registry of everything the test stack started, so that nothing outlives the test process:
// - on process 'exit' (which --test-force-exit triggers) every live resource is killed synchronously;
// - on SIGINT/SIGTERM (e.g. the runner's timeout) the same, unless the test itself handles the signal;
// - a process that died by SIGKILL cannot clean up, so the next stack start in any test process
//   reaps the temp dirs whose owner is gone ("janitor") and the processes still marked with them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPids, pidAlive, signalGroup } from './proc';

/** Env var put on every process we start; children inherit it, so strays are findable in /proc
 *  (together with their cwd: see findPids). */
export const STACK_ENV = 'VIGIL_STACK_DIR';
const DIR_PREFIX = 'vigil-stack-';

export interface Resource {
  /** The temp dir that owns this resource; removed on cleanup. */
  dir: string;
  /** Synchronous best-effort kill (runs in an exit handler: no promises, no timers). */
  killSync(): void;
}

const live = new Set<Resource>();
let installed = false;

/**
 * Every live process of this stack dir: services (cwd in the dir), their children, the pm2 CLI and
 * daemon (our env marker), and PM2 apps, including those started through pm2's programmatic API
 * by a test (they carry the test's env, but with PM2_HOME=<dir>/pm2).
 */
export function strayPids(dir: string): number[] {
  return findPids([`${STACK_ENV}=${dir}`, `PM2_HOME=${path.join(dir, 'pm2')}`], dir);
}

function reapDir(dir: string): void {
  for (const pid of strayPids(dir)) signalGroup(pid, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

function cleanupAll(): void {
  for (const r of live) {
    try {
      r.killSync();
    } catch {
      // best effort: keep going with the others
    }
    try {
      reapDir(r.dir);
    } catch {
      // ignore
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // If the test installed its own handler (e.g. it emits SIGTERM to test in-process shutdown),
  // that handler owns the signal; the 'exit' hook still cleans up when the process does exit.
  if (process.listenerCount(sig) > 1) return;
  cleanupAll();
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  janitor();
}

export function register(r: Resource): void {
  install();
  live.add(r);
}

export function unregister(r: Resource): void {
  live.delete(r);
}

/** Process start time (clock ticks since boot): with the pid it identifies a process despite pid reuse. */
function startTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '?';
  } catch {
    return '?';
  }
}

/** A fresh temp dir for one service, stamped with its owner so a later janitor can tell it is stale. */
export function makeStackDir(kind: string): string {
  install();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${kind}-`));
  fs.writeFileSync(path.join(dir, 'owner'), `${process.pid} ${startTime(process.pid)}\n`);
  return dir;
}

/** Reap stack dirs left by test processes that died without running their exit hook. */
function janitor(): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(os.tmpdir(), name);
    try {
      const [pid, start] = fs.readFileSync(path.join(dir, 'owner'), 'utf8').trim().split(' ');
      const owner = Number(pid);
      if (owner && pidAlive(owner) && startTime(owner) === start) continue; // still in use
      reapDir(dir);
    } catch {
      // no owner file yet (being created right now by someone) or not ours to touch
    }
  }
}
