/** vigil's own metrics: build info and the books the poller keeps on each source. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import type { SourceName, SourceState } from '../../snapshot';
import { counterFamily, gaugeFamily, perItem } from './family';

export function registerCoreMetrics(registers: Registry[], runtime: Runtime): void {
  const eachSource = perItem(
    () => Object.entries(runtime.snapshot()?.sources ?? {}) as [SourceName, SourceState][],
    ([source]) => ({ source }),
  );
  gaugeFamily(registers, {
    name: 'vigil_build_info',
    help: 'Always 1; the version label says which vigil is running.',
    labelNames: ['version'],
    fill: (emit) => emit({ version: runtime.version }, 1),
  });
  gaugeFamily(registers, {
    name: 'vigil_source_up',
    help: "1 when the source's last poll succeeded.",
    labelNames: ['source'],
    fill: eachSource(([, s]) => (s.up ? 1 : 0)),
  });
  gaugeFamily(registers, {
    name: 'vigil_source_poll_duration_seconds',
    help: "Duration of the source's last poll.",
    labelNames: ['source'],
    fill: eachSource(([, s]) => s.durationMs / 1000),
  });
  gaugeFamily(registers, {
    name: 'vigil_source_last_success_timestamp_seconds',
    help: 'Unix time of the last good poll of the source.',
    labelNames: ['source'],
    fill: eachSource(([, s]) => (s.lastSuccess === null ? null : s.lastSuccess / 1000)),
  });
  counterFamily(registers, {
    name: 'vigil_source_poll_errors_total',
    help: 'Failed polls of the source since vigil started.',
    labelNames: ['source'],
    fill: eachSource(([, s]) => s.errorsTotal),
  });
}
