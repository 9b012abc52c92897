// Builds a vigil Config and a line-collecting Logger for tests, with PM2 off unless asked for.
import assert from 'node:assert/strict';
import os from 'node:os';
import { buildConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { createLogger, type Logger } from '../../src/log';

export function testConfig(raw: Record<string, unknown>): Config {
  const result = buildConfig({ pm2: { enabled: false }, ...raw }, { env: {}, baseDir: os.tmpdir(), file: null });
  if (!result.ok) assert.fail(result.problems.join('\n'));
  return result.config;
}

export function testLogger(config: Config, level: 'debug' | 'info' | 'warn' = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level, secrets: config.secrets, write: (line) => lines.push(line) }), lines };
}
