// The HTTP app over a real alert engine on a fake clock, for the /health, /metrics and /maintenance tests:
// `poll(spec)` lands a new snapshot the way the daemon does (the engine sees it, the runtime serves it).
import { AlertEngine } from '../../../src/alerts/engine';
import type { Config } from '../../../src/config/types';
import { createMetrics } from '../../../src/http/metrics';
import { buildServer } from '../../../src/http/server';
import type { Runtime } from '../../../src/runtime';
import type { Snapshot } from '../../../src/snapshot';
import { FakeClock, MemoryStore, RecordingSink, silentLogger, snapshot, type SnapSpec } from '../alerts/support';

export function alertServer(cfg: Config, first: Omit<SnapSpec, 'time'> = {}) {
  const clock = new FakeClock();
  const engine = new AlertEngine({ config: cfg, sink: new RecordingSink(), store: new MemoryStore(), clock, logger: silentLogger });
  let snap: Snapshot = snapshot(cfg, { ...first, time: clock.now() });
  const runtime: Runtime = {
    config: cfg,
    version: '0.1.0',
    now: () => clock.now(),
    snapshot: () => snap,
    lastTick: () => snap.time,
    scrub: (t) => t,
    alerts: () => engine.active(),
    maintenance: engine,
  };
  const poll = (spec: Omit<SnapSpec, 'time'>) => {
    snap = snapshot(cfg, { ...spec, time: clock.now() });
    engine.onSnapshot(snap);
  };
  const app = buildServer({ runtime, metrics: createMetrics(runtime), logger: silentLogger });
  return { app, clock, engine, runtime, poll };
}
