/** A Clock whose time moves only when a test says so; sleepers wake in time order. */
import type { Clock } from '../../src/notify/types';

interface Sleeper {
  at: number;
  wake: () => void;
}

/** Lets every promise chain that is ready run to its next real wait. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.UTC(2026, 10, 1, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.t + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** How many sleeps are waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking each due sleeper at its own time and letting its code run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.t = Math.max(this.t, due.at);
      due.wake();
      await settle();
    }
    this.t = end;
    await settle();
  }
}
