// A vigil Config with PM2 off unless asked for (Postgres and queue tests need no PM2 daemon), and a
// line-collecting Logger that scrubs that config's secrets like the daemon's.
import type { Config } from '../../src/config/types';
import { createLogger, type Logger } from '../../src/log';
import { testConfig as baseConfig } from './runtime';

export function testConfig(raw: Record<string, unknown>): Config {
  return baseConfig({ pm2: { enabled: false }, ...raw });
}

export function testLogger(config: Config, level: 'debug' | 'info' | 'warn' = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level, secrets: config.secrets, write: (line) => lines.push(line) }), lines };
}
