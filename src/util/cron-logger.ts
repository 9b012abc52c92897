/** node-cron's logger, routed to vigil's: node-cron never writes to the console itself. */
import type { Logger as CronLogger } from 'node-cron';
import type { Logger } from '../log';

export function cronLogger(logger: Logger): CronLogger {
  return {
    info: (m) => logger.debug({ cron: m }, 'node-cron'),
    debug: (m) => logger.debug({ cron: String(m) }, 'node-cron'),
    warn: (m) => logger.warn({ cron: m }, 'node-cron'),
    error: (m) => logger.error({ cron: String(m) }, 'node-cron'),
  };
}
