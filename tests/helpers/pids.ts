// Finding, signalling and waiting for processes. Linux /proc is used where it is the only way to
// tell a zombie from a live process or to find the processes a service left behind.
import fs from 'node:fs';

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
