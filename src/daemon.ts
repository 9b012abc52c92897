/** The composition root: builds every part from a Config, starts them, and stops them in order. */
import type { Config } from './config/types';
import { buildServer } from './http/server';
import { createMetrics } from './http/metrics';
import type { Logger } from './log';
import { Poller } from './poller';
import type { Runtime } from './runtime';
import { pm2Actions } from './pm2/actions';
import { buildSources } from './sources';
import { StateStore } from './state';
import { makeScrubber } from './util/scrub';
import { VERSION } from './version';
import { Watchdog } from './watchdog';

export interface Daemon {
  runtime: Runtime;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:9477. */
  url: string;
  stop(): Promise<void>;
}

/** Open keep-alive connections get this long after shutdown begins before they are cut. */
const CLOSE_GRACE_MS = 500;

export async function startDaemon(config: Config, logger: Logger): Promise<Daemon> {
  const scrub = makeScrubber(config.secrets);
  const state = StateStore.load(config.stateFile, logger);
  let poller: Poller | null = null;
  const sources = buildSources(config, {
    logger,
    state,
    onPm2Event: (e) => {
      logger.debug({ event: e.event, app: e.name }, 'pm2 event');
      poller?.trigger();
    },
  });
  poller = new Poller(sources, { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub });
  const activePoller = poller;
  const watchdog =
    config.pm2.enabled && config.pm2.watchdog.enabled ? new Watchdog(config, { actions: pm2Actions(config), store: state, logger, scrub }) : null;
  const runtime: Runtime = {
    config,
    version: VERSION,
    now: () => Date.now(),
    snapshot: () => activePoller.current(),
    lastTick: () => activePoller.lastTick,
    scrub,
    ...(watchdog && { watchdog: () => watchdog.stats() }),
  };
  // The watchdog decides first, so the budget it spends is in the same state-file write.
  if (watchdog) poller.onSnapshot((snapshot) => watchdog.onSnapshot(snapshot));
  poller.onSnapshot(() => state.flush());

  const server = buildServer({ runtime, metrics: createMetrics(runtime), logger });
  try {
    await server.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
    await watchdog?.stop();
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(err as Error).message}`, { cause: err });
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const url = `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  poller.start();
  logger.info({ url, version: VERSION, config: config.file ?? '(embedded default)', sources: sources.map((s) => s.name) }, 'vigil started');

  return {
    runtime,
    url,
    async stop() {
      await activePoller.stop();
      await watchdog?.stop();
      const cut = setTimeout(() => server.server.closeAllConnections(), CLOSE_GRACE_MS);
      await server.close();
      clearTimeout(cut);
      await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
      await state.flush();
      logger.info('vigil stopped');
    },
  };
}
