/** Health rules for the poll loop itself: a source down, or a snapshot too old to trust. */
import type { SourceName } from '../snapshot';
import type { HealthRule } from './types';

/** /health fails when the last poll is older than this many intervals. */
export const STALE_INTERVALS = 3;

export const sourcesDown: HealthRule = (snapshot) => ({
  failing: Object.entries(snapshot.sources)
    .filter(([, s]) => !s.up)
    .map(([name, s]) => `source ${name as SourceName}: down (${s.error ?? 'unknown error'})`),
  warnings: [],
});

export const staleSnapshot: HealthRule = (snapshot, runtime) => {
  const age = runtime.now() - snapshot.time;
  const limit = STALE_INTERVALS * runtime.config.poll.interval;
  return {
    failing: age > limit ? [`last poll finished ${Math.round(age / 1000)}s ago (more than ${STALE_INTERVALS} intervals)`] : [],
    warnings: [],
  };
};
