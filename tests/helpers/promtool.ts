/** Runs promtool (Debian package `prometheus`); a missing binary fails the test with the package to install. */
import { spawnSync } from 'node:child_process';

export function promtool(args: string[], input?: string): { code: number; output: string } {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool not found: apt-get install prometheus');
  }
  return { code: run.status ?? -1, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}
