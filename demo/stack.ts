/**
 * The demo's private stack, from the test helpers (they already know how to start, find and reliably
 * kill these processes): a PM2 daemon in a temp PM2_HOME, a redis-server and, when installed, a
 * Postgres cluster — each on a free loopback port. The machine's own Redis (6379), Postgres (5432) and
 * ~/.pm2 are never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { makeStackDir } from '../tests/helpers/cleanup';
import { startPm2, startPostgres, startRedis, strayPids, type PrivatePm2, type PrivatePostgres, type PrivateRedis } from '../tests/helpers/stack';

export interface DemoStack {
  pm2: PrivatePm2;
  redis: PrivateRedis;
  /** null when Postgres is not installed (or not wanted). */
  postgres: PrivatePostgres | null;
  /** The demo's own scratch dir (vigil's state file and log). */
  dir: string;
  /** Every temp dir of the stack, for the leftover check. */
  dirs(): string[];
  /** Stops everything; safe to call twice. */
  stop(): Promise<void>;
}

/** Debian's postgresql package puts initdb and postgres in /usr/lib/postgresql/<version>/bin. */
export function postgresInstalled(): boolean {
  const root = '/usr/lib/postgresql';
  try {
    return fs.readdirSync(root).some((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')) && fs.existsSync(path.join(root, v, 'bin', 'postgres')));
  } catch {
    return false;
  }
}

export async function startStack(withPostgres: boolean): Promise<DemoStack> {
  const dir = makeStackDir('demo'); // stamped with our pid: a later stack start reaps it if we are SIGKILLed
  // Started together (Postgres' initdb is the slow one); if one fails, the others are stopped again.
  const started = await Promise.allSettled([startPm2(), startRedis(), withPostgres ? startPostgres() : Promise.resolve(null)] as const);
  const [pm2, redis, postgres] = started.map((r) => (r.status === 'fulfilled' ? r.value : null)) as [PrivatePm2 | null, PrivateRedis | null, PrivatePostgres | null];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Each on its own: one that fails to stop must not leave the others running.
    await Promise.allSettled([pm2?.stop(), redis?.stop(), postgres?.destroy()]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || !pm2 || !redis) {
    await stop();
    throw failed?.reason ?? new Error('the private stack did not start');
  }
  return {
    pm2,
    redis,
    postgres,
    dir,
    dirs: () => [dir, pm2.dir, redis.dir, ...(postgres ? [postgres.dir] : [])],
    stop,
  };
}

/** Processes of the stack still alive (by their marker env, PM2_HOME or cwd), and temp dirs still there. */
export function leftovers(dirs: string[]): { pids: number[]; dirs: string[] } {
  return { pids: dirs.flatMap((d) => strayPids(d)), dirs: dirs.filter((d) => fs.existsSync(d)) };
}
