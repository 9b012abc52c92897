import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/log';
import { Poller } from '../../src/poller';
import type { Pm2Data } from '../../src/snapshot';
import type { AnySource } from '../../src/sources/source';

const EMPTY: Pm2Data = { processes: [], apps: {} };

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ level: 'info', secrets: ['s3cret-canary'], write: (l) => lines.push(JSON.parse(l)) }) };
}

/** A pm2-named source whose answers the test scripts: a value, an error, or a hang it releases later. */
function scriptedSource() {
  let calls = 0;
  let behaviour: 'ok' | 'fail' | 'hang' = 'ok';
  let release: (() => void) | null = null;
  const source: AnySource = {
    name: 'pm2',
    poll: () => {
      calls += 1;
      if (behaviour === 'fail') return Promise.reject(new Error('connect ECONNREFUSED with s3cret-canary inside'));
      if (behaviour === 'hang') return new Promise<Pm2Data>((resolve) => (release = () => resolve(EMPTY)));
      return Promise.resolve(EMPTY);
    },
    close: async () => undefined,
  };
  return {
    source,
    set: (b: typeof behaviour) => (behaviour = b),
    calls: () => calls,
    release: () => release?.(),
  };
}

test('a failing source is down with its scrubbed error; its last success and error count are kept', async () => {
  const s = scriptedSource();
  const { lines, logger } = collectingLogger();
  const poller = new Poller([s.source], { intervalMs: 1000, timeoutMs: 200, logger, scrub: (t) => t.replace('s3cret-canary', '[redacted]') });
  const first = await poller.pollOnce();
  assert.equal(first.sources.pm2?.up, true);
  s.set('fail');
  const second = await poller.pollOnce();
  assert.deepEqual({ ...second.sources.pm2, durationMs: 0 }, {
    up: false, durationMs: 0, lastSuccess: first.sources.pm2?.lastSuccess, error: 'connect ECONNREFUSED with [redacted] inside', errorsTotal: 1,
  });
  assert.equal(second.pm2, null, 'old values are not re-served as current');
  await poller.pollOnce();
  assert.equal(poller.current()?.sources.pm2?.errorsTotal, 2);
  assert.equal(lines.filter((l) => l.msg === 'source down').length, 1, 'one log line per change of state, not per poll');
  assert.ok(!JSON.stringify(lines).includes('s3cret-canary'));
  assert.ok(Object.isFrozen(second) && Object.isFrozen(second.sources.pm2));
});

test('a hanging source times out, is never polled twice at once, and recovers when it settles', async () => {
  const s = scriptedSource();
  const { logger } = collectingLogger();
  const poller = new Poller([s.source], { intervalMs: 1000, timeoutMs: 100, logger, scrub: (t) => t });
  s.set('hang');
  const started = Date.now();
  const first = await poller.pollOnce();
  assert.ok(Date.now() - started < 2000, 'the poll returns at the deadline');
  assert.equal(first.sources.pm2?.error, 'pm2 poll timed out after 100ms');
  const second = await poller.pollOnce();
  assert.equal(s.calls(), 1, 'not called again while the first call hangs');
  assert.equal(second.sources.pm2?.error, 'previous poll still running (hung past poll.timeout)');
  s.set('ok');
  s.release();
  await new Promise((r) => setImmediate(r));
  const third = await poller.pollOnce();
  assert.equal(s.calls(), 2);
  assert.equal(third.sources.pm2?.up, true);
});

test('the loop ticks on its interval, triggers poll early, bursts merge, stop waits', async () => {
  const s = scriptedSource();
  const { logger } = collectingLogger();
  const poller = new Poller([s.source], { intervalMs: 60_000, timeoutMs: 100, logger, scrub: (t) => t });
  const seen: number[] = [];
  poller.onSnapshot((snap) => void seen.push(snap.time));
  poller.start();
  while (seen.length < 1) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 10; i++) poller.trigger();
  const deadline = Date.now() + 3000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 400));
  await poller.stop();
  assert.equal(seen.length, 2, 'ten triggers within the merge gap make one early poll, long before the 60 s interval');
  assert.ok(poller.lastTick !== null);
});

test('a listener that throws is logged and does not break the loop', async () => {
  const s = scriptedSource();
  const { lines, logger } = collectingLogger();
  const poller = new Poller([s.source], { intervalMs: 1000, timeoutMs: 100, logger, scrub: (t) => t });
  poller.onSnapshot(() => {
    throw new Error('boom');
  });
  await poller.pollOnce();
  await poller.pollOnce();
  assert.equal(lines.filter((l) => l.msg === 'snapshot listener failed').length, 2);
});
