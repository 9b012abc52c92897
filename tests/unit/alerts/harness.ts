/** An engine on a fake clock, polled every 5 s by a test, with its notifications recorded. */
import { AlertEngine } from '../../../src/alerts/engine';
import type { SectionStore } from '../../../src/state';
import type { Config } from '../../../src/config/types';
import type { AlertEvent, Notification } from '../../../src/notify/types';
import { FakeClock, MemoryStore, RecordingSink, silentLogger, snapshot, type SnapSpec } from './support';

export const POLL_MS = 5_000;

export class Harness {
  readonly clock: FakeClock;
  readonly sink = new RecordingSink();
  readonly engine: AlertEngine;
  readonly start: number;
  gaveUp: Record<string, string> = {};

  constructor(
    readonly cfg: Config,
    readonly store: SectionStore = new MemoryStore(),
    clock?: FakeClock,
  ) {
    this.clock = clock ?? new FakeClock();
    this.start = this.clock.now();
    let n = 0;
    this.engine = new AlertEngine({
      config: cfg,
      sink: this.sink,
      store,
      clock: this.clock,
      logger: silentLogger,
      gaveUp: () => this.gaveUp,
      newId: () => `n${++n}`,
    });
  }

  /** Seconds since the harness started. */
  get t(): number {
    return (this.clock.now() - this.start) / 1000;
  }

  /** One poll now. */
  poll(spec: Omit<SnapSpec, 'time'>): void {
    this.engine.onSnapshot(snapshot(this.cfg, { ...spec, time: this.clock.now() }));
  }

  /** Polls every 5 s for `seconds` (first poll now), letting timers fire in between. */
  async run(seconds: number, spec: Omit<SnapSpec, 'time'>): Promise<void> {
    const end = this.clock.now() + seconds * 1000;
    while (this.clock.now() < end) {
      this.poll(spec);
      await this.clock.advance(Math.min(POLL_MS, end - this.clock.now()));
    }
  }

  /** Each notification as [seconds since start, ["firing Pm2AppDown/app", ...], notes]. */
  get messages(): Array<[number, string[], string[]]> {
    return this.sink.sent.map((n) => [(n.createdAt - this.start) / 1000, n.alerts.map(line), n.notes]);
  }

  get sent(): Notification[] {
    return this.sink.sent;
  }
}

export const line = (e: AlertEvent) => `${e.status} ${e.alertname}/${e.subject}`;
