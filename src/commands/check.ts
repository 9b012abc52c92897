/** `vigil check [--json]`: one poll of every source, a report, and an exit code. Writes nothing anywhere. */
import { evaluateHealth } from '../health';
import { createLogger } from '../log';
import { Poller } from '../poller';
import type { Runtime } from '../runtime';
import { buildSources } from '../sources';
import { StateStore } from '../state';
import { makeScrubber } from '../util/scrub';
import { VERSION } from '../version';
import { checkReport } from './check-report';
import { EXIT, loadConfigOrExit } from './common';

export async function checkCommand(configFile: string | undefined, json: boolean): Promise<number> {
  const config = loadConfigOrExit(configFile);
  const scrub = makeScrubber(config.secrets);
  // Logs go to stderr so stdout stays the report; the state is read (stream cursors) but never flushed.
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, secrets: config.secrets, write: (l) => process.stderr.write(l) });
  const state = StateStore.load(config.stateFile, logger);
  const sources = buildSources(config, { logger, state });
  const poller = new Poller(sources, { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub });
  try {
    const snapshot = await poller.pollOnce();
    const runtime: Runtime = { config, version: VERSION, now: () => Date.now(), snapshot: () => snapshot, lastTick: () => snapshot.time, scrub };
    const verdict = evaluateHealth(runtime);
    process.stdout.write(scrub(json ? `${JSON.stringify(verdict.body, null, 2)}\n` : checkReport(snapshot, verdict)));
    return verdict.code === 200 ? EXIT.ok : EXIT.failing;
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
  }
}
