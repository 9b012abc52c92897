/**
 * Runs every source at once, each under `poll.timeout`, and folds the results into one immutable
 * snapshot. Keeps the books (up, duration, last success, error counts, one log line per change of
 * state). Never two polls of one source in flight: a source whose previous poll still hangs is reported
 * down for this round instead of being called again.
 */
import type { Logger } from './log';
import type { ChecksData, Pm2Data, QueuesData, Snapshot, SourceName, SourceState } from './snapshot';
import type { AnySource } from './sources/source';
import { errorText, withDeadline } from './util/deadline';
import { deepFreeze } from './util/freeze';

export interface PollerOptions {
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  scrub: (text: string) => string;
  now?: () => number;
}

type Listener = (snapshot: Snapshot, previous: Snapshot | null) => void | Promise<void>;

/** Triggered polls (PM2 events) closer together than this are merged, so a crash loop cannot storm Redis. */
const MIN_TRIGGER_GAP_MS = 200;

export class Poller {
  private snapshot: Snapshot | null = null;
  private readonly inFlight = new Map<SourceName, Promise<unknown>>();
  private readonly listeners: Listener[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Snapshot> | null = null;
  private pollAgain = false;
  private stopped = true;
  private lastPollStart = 0;
  /** Epoch ms of the loop's last tick, for /health/live. */
  lastTick: number | null = null;

  constructor(
    private readonly sources: readonly AnySource[],
    private readonly options: PollerOptions,
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  current(): Snapshot | null {
    return this.snapshot;
  }

  /** Called after every poll, in order; a listener's failure is logged, never propagated. */
  onSnapshot(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Polls every source once (merging with a poll already running) and returns the new snapshot. */
  pollOnce(): Promise<Snapshot> {
    if (!this.running) {
      this.running = this.poll().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Polls as soon as possible (PM2 events); never overlaps a running poll, merges bursts. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pollAgain = true;
      return;
    }
    this.schedule(Math.max(0, this.lastPollStart + MIN_TRIGGER_GAP_MS - this.now()));
  }

  /** Stops the loop and waits for a poll in progress (bounded by the poll timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    this.lastTick = this.now();
    await this.pollOnce().catch(() => undefined);
    if (this.stopped) return;
    if (this.pollAgain) {
      this.pollAgain = false;
      this.schedule(MIN_TRIGGER_GAP_MS);
    } else {
      this.schedule(Math.max(0, this.lastPollStart + this.options.intervalMs - this.now()));
    }
  }

  private async poll(): Promise<Snapshot> {
    this.lastPollStart = this.now();
    const previous = this.snapshot;
    const results = await Promise.all(this.sources.map((source) => this.pollSource(source, previous)));
    const sources: Partial<Record<SourceName, SourceState>> = {};
    const data: { pm2: Pm2Data | null; queues: QueuesData | null; checks: ChecksData | null } = { pm2: null, queues: null, checks: null };
    for (const r of results) {
      sources[r.name] = r.state;
      if (r.name === 'pm2') data.pm2 = r.data as Pm2Data | null;
      if (r.name === 'redis') data.queues = r.data as QueuesData | null;
      if (r.name === 'postgres') data.checks = r.data as ChecksData | null;
    }
    const snapshot: Snapshot = deepFreeze({ time: this.now(), sources, ...data });
    this.snapshot = snapshot;
    for (const listener of this.listeners) {
      try {
        await listener(snapshot, previous);
      } catch (err) {
        this.options.logger.error({ error: this.options.scrub(errorText(err)) }, 'snapshot listener failed');
      }
    }
    return snapshot;
  }

  private async pollSource(source: AnySource, previous: Snapshot | null): Promise<{ name: SourceName; state: SourceState; data: unknown }> {
    const before = previous?.sources[source.name];
    const started = this.now();
    let data: unknown = null;
    let error: string | null = null;
    if (this.inFlight.has(source.name)) {
      error = 'previous poll still running (hung past poll.timeout)';
    } else {
      const controller = new AbortController();
      const work: Promise<unknown> = (source.poll as (signal: AbortSignal) => Promise<unknown>)(controller.signal);
      this.inFlight.set(source.name, work);
      // The slot frees only when the work itself settles, not at the deadline: that is what stops a hung
      // call from piling up a second one behind it.
      work.then(
        () => this.inFlight.delete(source.name),
        () => this.inFlight.delete(source.name),
      );
      try {
        data = await withDeadline(work, this.options.timeoutMs, `${source.name} poll`);
      } catch (err) {
        error = this.options.scrub(errorText(err)) || 'unknown error';
      } finally {
        controller.abort();
      }
    }
    const now = this.now();
    const state: SourceState = {
      up: error === null,
      durationMs: now - started,
      lastSuccess: error === null ? now : (before?.lastSuccess ?? null),
      error,
      errorsTotal: (before?.errorsTotal ?? 0) + (error === null ? 0 : 1),
    };
    this.logTransition(source.name, before, state);
    return { name: source.name, state, data: error === null ? data : null };
  }

  private logTransition(name: SourceName, before: SourceState | undefined, after: SourceState): void {
    const log = this.options.logger;
    if (!after.up && (before?.up !== false || before.error !== after.error)) log.warn({ source: name, error: after.error }, 'source down');
    else if (after.up && before?.up === false) log.info({ source: name }, 'source back up');
  }
}
