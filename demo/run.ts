/**
 * `npm run demo`: the avatar-generation incident, replayed against vigil on a private stack, told step
 * by step; then everything it started is stopped. Exit 0 when the story happened as it should, 1 when a
 * step did not (or failed), 130/143 when interrupted by Ctrl-C/SIGTERM.
 *
 * VIGIL_DEMO_POSTGRES=auto (default: use Postgres when installed) | required (fail without it: the
 * tests) | off (the queue and PM2 part only).
 */
import { Cleanup } from './cleanup';
import { Narrator, StoryError, type Out } from './narrator';
import { diagnostics, setUp, type Demo } from './setup';
import { leftovers, postgresInstalled } from './stack';
import { playIncident } from './story';

export type PostgresMode = 'auto' | 'required' | 'off';

export interface DemoOptions {
  postgres?: PostgresMode;
  out?: Out;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export async function main(options: DemoOptions = {}): Promise<number> {
  const out: Out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
  const interrupt = new AbortController();
  let interruptedBy: NodeJS.Signals | null = null;
  // Our handlers own SIGINT/SIGTERM (the stack helpers then leave them to us): stop the story, clean up
  // in order, exit. A second signal means "now": the helpers' exit hook kills what is left.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interruptedBy) process.exit(SIGNAL_EXIT[sig] ?? 1);
    interruptedBy = sig;
    out(`\n${sig} received: stopping the demo and cleaning up (again to force)...`);
    interrupt.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const n = new Narrator(out, interrupt.signal);
  const cleanup = new Cleanup();
  let demo: Demo | null = null;
  let dirs: string[] = [];
  let ok = false;
  const mode = options.postgres ?? 'auto';
  const skipped =
    mode === 'off' ? 'VIGIL_DEMO_POSTGRES=off' : mode === 'auto' && !postgresInstalled() ? 'Postgres is not installed; apt-get install postgresql' : null;
  out('vigil demo: the avatar-generation incident, replayed against vigil on a private stack.');
  out('A worker missing from PM2, jobs piling up, users charged for avatars that never come — watch vigil notice, page, fix and clean up.');
  try {
    demo = await setUp(n, cleanup, skipped);
    dirs = demo.stack.dirs();
    await playIncident(n, demo, skipped);
    ok = true;
  } catch (err) {
    if (interruptedBy) {
      n.say(`interrupted (${interruptedBy})`);
    } else {
      n.say(`✗ the demo failed: ${err instanceof StoryError ? err.message : (err as Error).stack ?? String(err)}`);
      for (const line of diagnostics(demo)) n.raw(line);
    }
  } finally {
    n.step(`Cleaning up: vigil, the Slack stand-in, the PM2 daemon and its apps, Redis${skipped ? '' : ', Postgres'}, temp dirs`);
    const failures = await cleanup.run();
    for (const f of failures) n.say(`✗ cleanup: ${f}`);
    const left = leftovers(dirs);
    if (left.pids.length > 0 || left.dirs.length > 0) {
      n.say(`✗ left behind: pids ${left.pids.join(', ') || 'none'}; dirs ${left.dirs.join(', ') || 'none'}`);
      ok = false;
    } else if (failures.length === 0) {
      n.say('everything the demo started is stopped and its temp dirs are removed');
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interruptedBy) return SIGNAL_EXIT[interruptedBy] ?? 1;
  n.raw();
  const took = ((Date.now() - n.startedAt) / 1000).toFixed(0);
  if (!ok) n.raw('✗ demo failed (see above)');
  else if (skipped) n.raw(`✓ demo complete in ${took} s: the missing worker was detected, paged and started; the stuck-rows part was skipped (${skipped}).`);
  else n.raw(`✓ demo complete in ${took} s: the incident was detected, paged, fixed and cleaned up.`);
  return ok ? 0 : 1;
}

if (require.main === module) {
  const mode = (process.env.VIGIL_DEMO_POSTGRES ?? 'auto') as PostgresMode;
  if (!['auto', 'required', 'off'].includes(mode)) {
    process.stderr.write(`VIGIL_DEMO_POSTGRES must be auto, required or off (got "${mode}")\n`);
    process.exit(2);
  }
  void main({ postgres: mode }).then((code) => {
    // Exit explicitly (pm2's and bullmq's client libraries may keep handles open), once stdout is flushed.
    process.stdout.write('', () => process.exit(code));
  });
}
