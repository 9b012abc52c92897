/** The composition root: builds every part from a Config, starts them, and stops them in order. */
import { AlertEngine } from './alerts/engine';
import type { Config } from './config/types';
import { Digest } from './digest';
import { buildServer } from './http/server';
import { createMetrics } from './http/metrics';
import type { Logger } from './log';
import { createNotifier } from './notify/channel';
import { systemClock } from './notify/clock';
import { Poller } from './poller';
import { Remediator } from './remediate/remediator';
import type { Runtime } from './runtime';
import { pm2Actions } from './pm2/actions';
import { buildSources } from './sources';
import type { AnySource } from './sources/source';
import { StateStore } from './state';
import { makeScrubber } from './util/scrub';
import { VERSION } from './version';
import { Watchdog } from './watchdog';

export interface Daemon {
  runtime: Runtime;
  /** Stuck-row remediation; null when Postgres is off. Its summaries go to the alert engine (CheckRowsAbove). */
  remediator: Remediator | null;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:9477. */
  url: string;
  stop(): Promise<void>;
}

/** Open keep-alive connections get this long after shutdown begins before they are cut. */
const CLOSE_GRACE_MS = 500;
/** A Slack request in flight at shutdown gets this long; what is left stays in the state file for the next start. */
const NOTIFY_STOP_MS = 2_000;

export interface DaemonOptions {
  /** Replaces the configured sources (tests drive the daemon with scripted sources). */
  sources?: AnySource[];
}

export async function startDaemon(config: Config, logger: Logger, options: DaemonOptions = {}): Promise<Daemon> {
  const scrub = makeScrubber(config.secrets);
  const state = StateStore.load(config.stateFile, logger);
  let poller: Poller | null = null;
  const sources = options.sources ?? buildSources(config, {
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
  const clock = systemClock;
  const notifier = createNotifier(config, { logger, clock, store: state });
  // Pm2AppRestartGaveUp is the watchdog's to report (declared below; read at each snapshot).
  const engine: AlertEngine = new AlertEngine({
    config, sink: notifier, store: state, clock, logger, scrub,
    gaveUp: (): Readonly<Record<string, string>> => watchdog?.gaveUp() ?? {},
  });
  // The watchdog never acts in a maintenance window; its actions ride on the alert they answer.
  const watchdog: Watchdog | null =
    config.pm2.enabled && config.pm2.watchdog.enabled
      ? new Watchdog(config, {
          actions: pm2Actions(config),
          store: state,
          logger,
          scrub,
          inMaintenance: (): boolean => engine.current() !== null,
          onAction: (action) => engine.addAction(action.alertname, action.subject, action.line),
        })
      : null;
  // The daily digest goes through the same notifier; it counts what the other parts count since start.
  const digest = new Digest({
    schedule: config.alerts.digest.schedule,
    store: state,
    sink: notifier,
    now: () => clock.now(),
    logger,
    counters: () => ({
      remediations: remediator?.stats() ?? {},
      watchdog: watchdogActions(watchdog),
      alerts: engine.firings(),
    }),
  });
  const runtime: Runtime = {
    config,
    version: VERSION,
    now: () => Date.now(),
    snapshot: () => activePoller.current(),
    lastTick: () => activePoller.lastTick,
    scrub,
    alerts: () => engine.active(),
    maintenance: engine,
    notifier: () => notifier.status(),
    ...(remediator ? { remediation: () => remediator.stats() } : {}),
    ...(watchdog ? { watchdog: () => watchdog.stats() } : {}),
  };
  // The watchdog decides first, so the budget it spends is in the same state-file write.
  if (watchdog) poller.onSnapshot((snapshot) => watchdog.onSnapshot(snapshot));
  // Alerts first, then one write of the state file with the alert states and the outbox together.
  poller.onSnapshot((snapshot) => engine.onSnapshot(snapshot));
  poller.onSnapshot((snapshot) => digest.onSnapshot(snapshot));
  poller.onSnapshot(() => {
    notifier.persist();
    return state.flush();
  });
  if (remediator) {
    // A run's summary rides on the check's CheckRowsAbove message (or goes out as a note when it is not active).
    remediator.onSummary = (text, report) => engine.addAction('CheckRowsAbove', report.check, text);
    // Remediation runs in the background after each check run that found rows; the poll never waits for it.
    // Not during a maintenance window: rows that pile up while a worker is down on purpose are not stuck.
    poller.onSnapshot((snapshot) => {
      if (engine.current() === null) remediator.afterSnapshot(snapshot);
    });
  }

  const server = buildServer({ runtime, metrics: createMetrics(runtime), logger });
  try {
    await server.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
    await watchdog?.stop();
    engine.stop();
    await notifier.stop(0); // what the outbox held stays in the state file for the next start
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(err as Error).message}`, { cause: err });
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const url = `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  poller.start();
  digest.start();
  logger.info({ url, version: VERSION, config: config.file ?? '(embedded default)', sources: sources.map((s) => s.name) }, 'vigil started');

  return {
    runtime,
    remediator,
    url,
    async stop() {
      await digest.stop();
      await activePoller.stop();
      await watchdog?.stop();
      await remediator?.stop(); // each run finishes the row it is on, then stops
      engine.stop();
      const cut = setTimeout(() => server.server.closeAllConnections(), CLOSE_GRACE_MS);
      await server.close();
      clearTimeout(cut);
      await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
      await notifier.stop(NOTIFY_STOP_MS);
      await state.flush();
      logger.info('vigil stopped');
    },
  };
}

/** Watchdog actions since start per app, dry runs left out (the digest counts what was done). */
function watchdogActions(watchdog: Watchdog | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of watchdog?.stats().actions ?? []) if (a.result !== 'dry_run') out[a.app] = (out[a.app] ?? 0) + a.count;
  return out;
}
