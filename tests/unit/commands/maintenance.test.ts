// `vigil maintenance on|off|status` against a real listening vigil HTTP server (its alert engine on a fake
// clock), plus the CLI's argument handling in a child process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { AlertEngine } from '../../../src/alerts/engine';
import { maintenanceCommand, type MaintenanceOptions } from '../../../src/commands/maintenance';
import { ExitError } from '../../../src/commands/common';
import { createMetrics } from '../../../src/http/metrics';
import { buildServer } from '../../../src/http/server';
import type { Runtime } from '../../../src/runtime';
import { config, FakeClock, MemoryStore, RecordingSink, silentLogger, snapshot } from '../alerts/support';

const cfg = config({ listen: { token: 'tok-maint-1' } });
const clock = new FakeClock();
const engine = new AlertEngine({ config: cfg, sink: new RecordingSink(), store: new MemoryStore(), clock, logger: silentLogger });
let server: FastifyInstance;
let url: string;

before(async () => {
  const snap = snapshot(cfg, { time: clock.now() });
  const runtime: Runtime = { config: cfg, version: '0.1.0', now: () => clock.now(), snapshot: () => snap, lastTick: () => snap.time, scrub: (t) => t, alerts: () => engine.active(), maintenance: engine };
  server = buildServer({ runtime, metrics: createMetrics(runtime), logger: silentLogger });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(() => server.close());

async function run(options: Omit<MaintenanceOptions, 'write'>): Promise<[number, string]> {
  let out = '';
  const code = await maintenanceCommand({ url, token: 'tok-maint-1', ...options, write: (t) => (out += t) });
  return [code, out];
}

test('on, status, off: each exits 0 and says what it did', async () => {
  const until = new Date(clock.now() + 15 * 60_000).toISOString();
  assert.deepEqual(await run({ action: 'on', for: '15m', reason: 'deploy v42' }), [0, `maintenance on until ${until} (deploy v42)\n`]);
  assert.equal(engine.current()?.reason, 'deploy v42');
  assert.deepEqual(await run({ action: 'status' }), [0, `maintenance on until ${until} (deploy v42)\n`]);
  assert.deepEqual(await run({ action: 'off' }), [0, `maintenance off (was on until ${until})\n`]);
  assert.equal(engine.current(), null);
  assert.deepEqual(await run({ action: 'status' }), [0, 'maintenance off\n']);
  assert.deepEqual(await run({ action: 'off' }), [0, 'maintenance was not on\n']);
});

test('refused (wrong token) and unreachable exit 1', async () => {
  const [code, out] = await run({ action: 'on', for: '15m', token: 'nope-nope' });
  assert.equal(code, 1);
  assert.match(out, /refused \(HTTP 401\): bearer token required/);
  assert.equal(engine.current(), null);
  const [code2, out2] = await run({ action: 'status', url: 'http://127.0.0.1:1' });
  assert.equal(code2, 1);
  assert.match(out2, /vigil not reachable at http:\/\/127\.0\.0\.1:1\/maintenance/);
});

test('usage errors exit 2 before any request', async () => {
  for (const options of [{ action: undefined }, { action: 'maybe' }, { action: 'on' }, { action: 'on', for: '15 min' }, { action: 'off', for: '1m' }]) {
    await assert.rejects(run(options), (err: unknown) => err instanceof ExitError && err.code === 2, JSON.stringify(options));
  }
});

const exec = promisify(execFile);
const CLI = path.join(__dirname, '..', '..', '..', 'src', 'cli.ts');
async function cli(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, VIGIL_CONFIG: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string; stdout: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('the CLI: maintenance takes its action as a positional; other commands still reject positionals', async () => {
  const on = await cli('maintenance', 'on', '--for', '10m', '--reason', 'cli test', '--url', url, '--token', 'tok-maint-1');
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /^maintenance on until .* \(cli test\)$/m);
  assert.equal(engine.current()?.reason, 'cli test');
  const off = await cli('maintenance', 'off', '--url', url, '--token', 'tok-maint-1');
  assert.equal(off.code, 0, off.stderr);
  assert.equal(engine.current(), null);
  const extra = await cli('validate', 'oops');
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument "oops"/);
  const forElsewhere = await cli('check', '--for', '1m');
  assert.equal(forElsewhere.code, 2);
  assert.match(forElsewhere.stderr, /--for is only for "maintenance on"/);
});
