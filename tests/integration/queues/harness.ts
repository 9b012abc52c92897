// A vigil assembled around the real queue source for integration tests: config from a plain object,
// a state file in a temp dir, a poller, a runtime, /metrics and the HTTP app (inject only). Optional
// fake PM2 source (our own seam) so /health can name the consumer's PM2 state without a PM2 daemon.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { buildConfig } from '../../../src/config/load';
import type { Config } from '../../../src/config/types';
import { buildServer } from '../../../src/http/server';
import { createMetrics, type Metrics } from '../../../src/http/metrics';
import { createLogger } from '../../../src/log';
import { Poller } from '../../../src/poller';
import type { Runtime } from '../../../src/runtime';
import type { Pm2Data, QueuesData } from '../../../src/snapshot';
import { queuesSource } from '../../../src/sources/queues';
import type { AnySource, Source } from '../../../src/sources/source';
import { StateStore } from '../../../src/state';
import { makeScrubber } from '../../../src/util/scrub';

export const uniq = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

export function makeConfig(raw: Record<string, unknown>, stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-q-'))): Config {
  const r = buildConfig({ stateFile: path.join(stateDir, 'state.json'), pm2: { enabled: false }, ...raw }, { env: {}, baseDir: stateDir, file: null });
  if (!r.ok) assert.fail(r.problems.join('\n'));
  return r.config;
}

export interface TestVigil {
  config: Config;
  state: StateStore;
  source: Source<'redis'>;
  poller: Poller;
  runtime: Runtime;
  metrics: Metrics;
  logs: string[];
  /** One poll; the queue data (asserting the source was up). */
  poll(): Promise<QueuesData>;
  close(): Promise<void>;
}

export function makeVigil(config: Config, opts: { pm2?: Pm2Data } = {}): TestVigil {
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', secrets: config.secrets, write: (l) => logs.push(l) });
  const state = StateStore.load(config.stateFile, logger);
  const source = queuesSource(config, { logger, state });
  const sources: AnySource[] = [source];
  if (opts.pm2) {
    const pm2 = opts.pm2;
    sources.push({ name: 'pm2', poll: async () => pm2, close: async () => undefined });
  }
  const scrub = makeScrubber(config.secrets);
  const poller = new Poller(sources, { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub });
  poller.onSnapshot(() => state.flush());
  const runtime: Runtime = { config, version: '0.0.0-test', now: () => Date.now(), snapshot: () => poller.current(), lastTick: () => poller.current()?.time ?? null, scrub };
  const metrics = createMetrics(runtime);
  return {
    config, state, source, poller, runtime, metrics, logs,
    async poll() {
      const s = await poller.pollOnce();
      assert.equal(s.sources.redis?.error, null);
      return s.queues!;
    },
    async close() {
      await poller.stop();
      await source.close();
      await state.flush();
    },
  };
}

/** The HTTP app over a test vigil (inject only). */
export const server = (v: TestVigil) => buildServer({ runtime: v.runtime, metrics: v.metrics, logger: createLogger({ level: 'silent', secrets: [] }) });

/** A plain client for arranging and inspecting the private Redis. */
export function admin(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  c.on('error', () => undefined);
  return c;
}

/** Polls until `check` holds on the queue data, or fails with the last data seen. */
export async function pollUntil(v: TestVigil, what: string, check: (d: QueuesData) => boolean, timeoutMs = 10_000): Promise<QueuesData> {
  const deadline = Date.now() + timeoutMs;
  let last: QueuesData | null = null;
  for (;;) {
    last = await v.poll();
    if (check(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
