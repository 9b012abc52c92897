/** The real Clock; tests use tests/helpers/fake-clock.ts instead. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './types';

export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    // An abort ends the wait early; callers re-check their state rather than handle an AbortError.
    await delay(ms, undefined, { signal }).catch(() => undefined);
  },
};
