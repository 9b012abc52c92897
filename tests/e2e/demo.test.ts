// `npm run demo` end to end, the way a user runs it: exit 0, the story's key lines in its output, and
// nothing it started left running or on disk. Then Ctrl-C in the middle: exit 130, same clean slate.
// Postgres is required here (VIGIL_DEMO_POSTGRES=required): the demo may skip its stuck-rows part on a
// machine without Postgres, the test must not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { leftovers } from '../../demo/stack';
import { waitFor } from '../helpers/proc';

const ROOT = path.join(__dirname, '..', '..');

interface Run {
  output(): string;
  exited: Promise<number | null>;
  kill(sig: NodeJS.Signals): void;
}

function start(cmd: string, args: string[], timeoutMs: number): Run {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, VIGIL_DEMO_POSTGRES: 'required' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not exit within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve(code ?? (sig ? -1 : null));
    });
  });
  return { output: () => out, exited, kill: (sig) => child.kill(sig) };
}

/** The temp dirs the demo printed at setup (each service's dir and the demo's own). */
function stackDirs(output: string): string[] {
  return [...new Set(output.match(/\/tmp\/vigil-stack-[\w-]+/g) ?? [])];
}

function assertNothingLeft(output: string, expectedDirs: number): void {
  const dirs = stackDirs(output);
  assert.equal(dirs.length, expectedDirs, `temp dirs printed:\n${output}`);
  const left = leftovers(dirs);
  assert.deepEqual(left, { pids: [], dirs: [] }, 'the demo left processes or temp dirs behind');
}

test('npm run demo replays the incident, exits 0 and leaves nothing behind', { timeout: 150_000 }, async () => {
  const run = start('npm', ['run', 'demo', '--silent'], 140_000);
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 0, out);

  const story: Array<[string, RegExp]> = [
    ['jobs piling up with no worker', /vigil sees avatar-generation: 8 waiting, 0 active, 0 workers/],
    ['/health 503', /GET \/health → 503 failing; reasons:/],
    ['/health reason: the missing app', /• app avatar-generator-worker: 0\/1 online \(missing\)/],
    ['/health reason: the starved queue', /• queue avatar-generation: 8 waiting, no worker/],
    ['the Slack page', /🔴 QueueNoConsumer · avatar-generation — critical/],
    ['the page names the missing app', /no worker; avatar-generator-worker: not in PM2/],
    ['stuck rows marked failed and refunded', /8 generations are now "failed".*each refunded 10 credits/],
    ['balances before → after', /ana\s+80\s+100\s+\+20/],
    ['the watchdog start', /vigil: watchdog: started avatar-generator-worker \(attempt 1\/2\)/],
    ['the worker online', /pm2 list → avatar-generator-worker: online/],
    ['the queue drained', /vigil sees avatar-generation: 0 waiting, 0 active, [1-9]\d* worker/],
    ['the worker skips refunded jobs', /gen-01: already failed — skipped, nothing generated/],
    ['/health 200', /GET \/health → 200 ok/],
    ['new requests complete', /gen-09, gen-10, gen-11, gen-12 → completed, completed, completed, completed/],
    ['refunded exactly once', /nothing refunded twice/],
    ['the balances add up', /ana\s+100 − 3×10 charged \+ 2×10 refunded = 90/],
    ['the resolved Slack message', /✅ QueueNoConsumer · avatar-generation — resolved \(critical\)/],
    ['the action in it', /│ • started avatar-generator-worker \(attempt 1\/2\)/],
    ['the cleanup', /everything the demo started is stopped and its temp dirs are removed/],
    ['success', /✓ demo complete in \d+ s/],
  ];
  const missing = story.filter(([, re]) => !re.test(out)).map(([what]) => what);
  assert.deepEqual(missing, [], `missing from the demo's output:\n${out}`);

  // The steps come in the story's order.
  const at = (re: RegExp) => out.search(re);
  const order = ['── 1.', '── 2.', '── 3.', '── 4.', '── 5.', '── 6.', '── 7.', '── 8.', '── 9.', '── 10.', '── Cleaning up'].map((s) => out.indexOf(s));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), `steps out of order:\n${out}`);
  assert.ok(at(/🔴 QueueNoConsumer/) < at(/watchdog: started/), 'Slack was paged before the watchdog acted');

  assertNothingLeft(out, 4); // demo, pm2, redis, pg
});

test('Ctrl-C in the middle of the demo stops it and cleans up everything', { timeout: 90_000 }, async () => {
  // node itself, not npm: the signal must reach the demo, as a terminal's Ctrl-C does.
  const run = start(process.execPath, ['--import', 'tsx', 'demo/run.ts'], 80_000);
  await waitFor('the story to begin', () => run.output().includes('── 1.'), 60_000, 100);
  run.kill('SIGINT');
  const code = await run.exited;
  const out = run.output();
  assert.equal(code, 130, out);
  assert.match(out, /SIGINT received: stopping the demo and cleaning up/);
  assert.match(out, /everything the demo started is stopped and its temp dirs are removed/);
  assertNothingLeft(out, 4);
});
