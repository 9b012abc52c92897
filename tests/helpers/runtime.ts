/** Builds a Runtime over a fixed snapshot and config, for pure tests of /metrics, /health and the CLI report. */
import os from 'node:os';
import { buildConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import type { Runtime } from '../../src/runtime';
import type { Snapshot } from '../../src/snapshot';
import { makeScrubber } from '../../src/util/scrub';

export function testConfig(raw: unknown = {}, env: NodeJS.ProcessEnv = {}): Config {
  const result = buildConfig(raw, { env, baseDir: os.tmpdir(), file: null });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

export function testRuntime(config: Config, snapshot: Snapshot | null, now = snapshot?.time ?? 0): Runtime {
  return {
    config,
    version: '0.1.0',
    now: () => now,
    snapshot: () => snapshot,
    lastTick: () => snapshot?.time ?? null,
    scrub: makeScrubber(config.secrets),
  };
}
