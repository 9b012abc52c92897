/**
 * The metrics registries: one per exposition format (Prometheus text and OpenMetrics), both fed by the
 * same families. Registration is this table; each area owns one file.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Runtime } from '../../runtime';
import { registerCoreMetrics } from './core';
import { registerPm2Metrics } from './pm2';
import { registerQueueMetrics } from './queues';
import { registerWatchdogMetrics } from './watchdog';

const AREAS: ReadonlyArray<(registers: Registry[], runtime: Runtime) => void> = [registerCoreMetrics, registerPm2Metrics, registerQueueMetrics, registerWatchdogMetrics];

export interface Metrics {
  /** The exposition for an Accept header: OpenMetrics when the scraper asks for it. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(runtime: Runtime): Metrics {
  const text = new Registry();
  const openMetrics = new Registry();
  // prom-client's typings bind the content type to the registry's type parameter; one cast keeps both in one list.
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as unknown as typeof Registry.PROMETHEUS_CONTENT_TYPE);
  for (const register of [text, openMetrics]) collectDefaultMetrics({ register });
  for (const area of AREAS) area([text, openMetrics], runtime);
  // Scrapes that arrive while a render is running share it: 20 concurrent scrapers cost one render, not 20.
  const inFlight = new Map<Registry, Promise<string>>();
  return {
    async render(accept) {
      const registry = accept?.includes('application/openmetrics-text') ? openMetrics : text;
      let body = inFlight.get(registry);
      if (!body) {
        body = registry.metrics().finally(() => inFlight.delete(registry));
        inFlight.set(registry, body);
      }
      return { contentType: registry.contentType, body: await body };
    },
  };
}
