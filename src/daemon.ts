/** The composition root: builds every part from a Config, starts them, and stops them in order. */
import type { Config } from './config/types';
import { buildServer } from './http/server';
import { createMetrics } from './http/metrics';
import type { Logger } from './log';
import { Poller } from './poller';
import { Remediator } from './remediate/remediator';
import type { Runtime } from './runtime';
import { buildSources } from './sources';
import { StateStore } from './state';
import { makeScrubber } from './util/scrub';
import { VERSION } from './version';

export interface Daemon {
  runtime: Runtime;
  /** Stuck-row remediation; null when Postgres is off. Its `onSummary` is where run summaries go. */
  remediator: Remediator | null;
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
  const remediator = config.postgres.url !== '' ? new Remediator(config, logger) : null;
  poller = new Poller(sources, { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub });
  const activePoller = poller;
  const runtime: Runtime = {
    config,
    version: VERSION,
    now: () => Date.now(),
    snapshot: () => activePoller.current(),
    lastTick: () => activePoller.lastTick,
    scrub,
    ...(remediator ? { remediation: () => remediator.stats() } : {}),
  };
  poller.onSnapshot(() => state.flush());
  // Remediation runs in the background after each check run that found rows; the poll never waits for it.
  if (remediator) poller.onSnapshot((snapshot) => remediator.afterSnapshot(snapshot));

  const server = buildServer({ runtime, metrics: createMetrics(runtime), logger });
  try {
    await server.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(err as Error).message}`, { cause: err });
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const url = `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  poller.start();
  logger.info({ url, version: VERSION, config: config.file ?? '(embedded default)', sources: sources.map((s) => s.name) }, 'vigil started');

  return {
    runtime,
    remediator,
    url,
    async stop() {
      await activePoller.stop();
      await remediator?.stop(); // each run finishes the row it is on, then stops
      const cut = setTimeout(() => server.server.closeAllConnections(), CLOSE_GRACE_MS);
      await server.close();
      clearTimeout(cut);
      await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
      await state.flush();
      logger.info('vigil stopped');
    },
  };
}
