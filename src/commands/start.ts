/** `vigil start`: runs the daemon until SIGTERM/SIGINT, then shuts down cleanly. */
import { startDaemon } from '../daemon';
import { createLogger } from '../log';
import { EXIT, ExitError, loadConfigOrExit } from './common';

/** Shutdown must finish well inside PM2's kill_timeout (ecosystem.config.js gives 5 s). */
const SHUTDOWN_LIMIT_MS = 4_000;

export async function startCommand(configFile: string | undefined): Promise<number> {
  const config = loadConfigOrExit(configFile);
  const logger = createLogger({ level: config.log.level, secrets: config.secrets });
  process.on('unhandledRejection', (reason) => {
    // A bug, not a reason to die while production is failing: log it loudly and keep watching.
    logger.error({ error: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection (bug)');
  });
  let daemon;
  try {
    daemon = await startDaemon(config, logger);
  } catch (err) {
    logger.fatal({ error: (err as Error).message }, 'vigil could not start');
    throw new ExitError(EXIT.failing, '');
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  const forced = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(EXIT.failing);
  }, SHUTDOWN_LIMIT_MS);
  forced.unref();
  await daemon.stop();
  clearTimeout(forced);
  return EXIT.ok;
}
