/**
 * The metrics registries. vigil's own families (registration is the AREAS table; each area owns one file)
 * change only when a poll lands, so their text is rendered once per snapshot and reused — with 200 queues
 * that is ~2,400 series, ~12 ms of CPU a render. prom-client's default process metrics are cheap and
 * rendered per scrape. Both exist in the Prometheus text and the OpenMetrics format.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Runtime } from '../../runtime';
import type { Snapshot } from '../../snapshot';
import { registerAlertMetrics } from './alerts';
import { registerCheckMetrics } from './checks';
import { registerCoreMetrics } from './core';
import { registerNotifyMetrics } from './notify';
import { registerPm2Metrics } from './pm2';
import { registerQueueMetrics } from './queues';
import { registerWatchdogMetrics } from './watchdog';

const AREAS: ReadonlyArray<(registers: Registry[], runtime: Runtime) => void> = [
  registerCoreMetrics,
  registerPm2Metrics,
  registerQueueMetrics,
  registerCheckMetrics,
  registerAlertMetrics,
  registerNotifyMetrics,
  registerWatchdogMetrics,
];

/**
 * How long vigil's rendered text may be reused for one snapshot. Counters that move between polls
 * (notifications, maintenance) are at most this late; Prometheus scrapes every 15 s or so.
 */
const REUSE_MS = 1_000;
const EOF_LINE = '# EOF\n';

export interface Metrics {
  /** The exposition for an Accept header: OpenMetrics when the scraper asks for it. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

interface Format {
  own: Registry;
  defaults: Registry;
  cached: { snapshot: Snapshot | null; at: number; text: Promise<string> } | null;
}

function format(openMetrics: boolean): Format {
  const own = new Registry();
  const defaults = new Registry();
  if (openMetrics) {
    // prom-client's typings bind the content type to the registry's type parameter.
    for (const r of [own, defaults]) r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as unknown as typeof Registry.PROMETHEUS_CONTENT_TYPE);
  }
  collectDefaultMetrics({ register: defaults });
  return { own, defaults, cached: null };
}

export function createMetrics(runtime: Runtime): Metrics {
  const text = format(false);
  const openMetrics = format(true);
  for (const area of AREAS) area([text.own, openMetrics.own], runtime);

  const ownText = (f: Format): Promise<string> => {
    const snapshot = runtime.snapshot();
    const now = runtime.now();
    if (!f.cached || f.cached.snapshot !== snapshot || now - f.cached.at > REUSE_MS) {
      // Concurrent scrapes share this one render (the promise is cached, not its result).
      const rendering = f.own.metrics();
      f.cached = { snapshot, at: now, text: rendering };
      rendering.catch(() => {
        if (f.cached?.text === rendering) f.cached = null;
      });
    }
    return f.cached.text;
  };

  return {
    async render(accept) {
      const f = accept?.includes('application/openmetrics-text') ? openMetrics : text;
      const [own, defaults] = await Promise.all([ownText(f), f.defaults.metrics()]);
      // In OpenMetrics each registry closes with "# EOF": only the last one may.
      const head = own.endsWith(EOF_LINE) ? own.slice(0, -EOF_LINE.length) : `${own}\n`;
      return { contentType: f.own.contentType, body: head + defaults };
    },
  };
}
