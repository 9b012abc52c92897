/**
 * A bounded delivery queue for one channel (operations.md "Notifications"): at-least-once, one request
 * in flight, at least `minIntervalMs` between requests, Retry-After honoured, backoff on transient
 * failures, no retry of what can never succeed. `enqueue` never waits; a background loop delivers.
 */
import type { Logger } from 'pino';
import type { Clock, FailureReason, Notification, OutboxStats, Rejection, SendFn, SendResult } from './types';

export interface OutboxOptions {
  send: SendFn;
  clock: Clock;
  logger: Logger;
  /** Messages held at most; overflow drops the oldest. */
  capacity?: number;
  /** Slack allows about one message per second per webhook. */
  minIntervalMs?: number;
  /** Exponential backoff for 5xx and network errors (and a 429 without Retry-After). */
  backoff?: { initialMs: number; maxMs: number };
}

const REASONS: readonly FailureReason[] = ['rate_limited', 'server_error', 'network', 'rejected'];

/** Delivers notifications through one channel, in order, one at a time. */
export class Outbox {
  private readonly send: SendFn;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly capacity: number;
  private readonly minIntervalMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };

  /** Oldest first; the head is the one being (re)tried and stays here until it is done with. */
  private readonly queue: Notification[] = [];
  private inFlight: Notification | null = null;
  /** No request may start before this: the min interval, a Retry-After or a backoff. */
  private notBefore = 0;
  private consecutiveFailures = 0;
  private unannouncedDrops = 0;
  private sent = 0;
  private dropped = 0;
  private readonly failed = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<FailureReason, number>;
  private lastRejection: Rejection | null = null;

  private loop: Promise<void> | null = null;
  private stopping = false;
  /** Cuts a Retry-After or backoff wait short when stopping. */
  private readonly wake = new AbortController();
  /** Abandons the request in flight once stop()'s deadline has passed. */
  private readonly giveUp = new AbortController();

  constructor(opts: OutboxOptions) {
    this.send = opts.send;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.capacity = opts.capacity ?? 1000;
    this.minIntervalMs = opts.minIntervalMs ?? 1000;
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new Error('outbox capacity must be an integer ≥ 1');
  }

  /** Queues a notification and returns at once. A notification whose id is already queued is ignored. */
  enqueue(n: Notification): void {
    if (this.queue.some((q) => q.id === n.id)) return;
    this.queue.push(n);
    this.trim();
    this.kick();
  }

  /** Puts back what a previous run persisted; it is older than anything enqueued since, so it goes first. */
  restore(persisted: readonly Notification[]): void {
    const known = new Set(this.queue.map((q) => q.id));
    const older: Notification[] = [];
    for (const n of persisted) {
      if (known.has(n.id)) continue;
      known.add(n.id);
      older.push(n);
    }
    this.queue.unshift(...older);
    this.trim();
    this.kick();
  }

  /** What is not yet delivered (including the message in flight), oldest first, for the state file. */
  snapshot(): Notification[] {
    return [...this.queue];
  }

  stats(): OutboxStats {
    return {
      sent: this.sent,
      failed: { ...this.failed },
      dropped: this.dropped,
      queueLength: this.queue.length,
      lastRejection: this.lastRejection === null ? null : { ...this.lastRejection },
    };
  }

  /**
   * Stops delivering: ends any wait at once, lets a request in flight finish for up to `deadlineMs`, then
   * abandons it and returns. Undelivered messages stay in `snapshot()`. An outbox does not restart.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    const loop = this.loop;
    if (loop === null) return;
    const timer = new AbortController();
    await Promise.race([loop, this.clock.sleep(deadlineMs, timer.signal)]);
    timer.abort();
    this.giveUp.abort();
  }

  private kick(): void {
    if (this.loop !== null || this.stopping || this.queue.length === 0) return;
    this.loop = this.run()
      .catch((err: unknown) => {
        // Only a bug gets here (send failures are results); pause instead of spinning or crashing.
        this.notBefore = this.clock.now() + this.backoff.maxMs;
        this.logger.error({ err }, 'outbox delivery loop failed');
      })
      .finally(() => {
        // Re-kick: something may have been enqueued between the loop's last check and its end.
        this.loop = null;
        this.kick();
      });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const head = this.queue[0];
      if (head === undefined) return;
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) {
        // Loop again afterwards: the head may have been dropped meanwhile, or a timer may fire early.
        await this.clock.sleep(wait, this.wake.signal);
        continue;
      }
      await this.attempt(head);
    }
  }

  private async attempt(n: Notification): Promise<void> {
    const announced = this.unannouncedDrops;
    this.inFlight = n;
    let result: SendResult;
    try {
      result = await this.send(n, { droppedSinceLastDelivery: announced, signal: this.giveUp.signal });
    } catch (err) {
      // A SendFn must not reject; if one does, retry like a network error. Its message may carry a
      // secret (a URL), so only the error's name is kept.
      result = { ok: false, reason: 'network', detail: `send threw ${err instanceof Error ? err.name : typeof err}` };
    }
    this.inFlight = null;
    // Counted from the answer, not the start: then no observer, Slack included, sees two requests closer
    // than the interval, however long a request took to leave (first connect) or to come back.
    this.notBefore = this.clock.now() + this.minIntervalMs;

    if (result.ok) {
      this.remove(n);
      this.sent += 1;
      this.unannouncedDrops = Math.max(0, this.unannouncedDrops - announced);
      this.consecutiveFailures = 0;
      return;
    }
    this.failed[result.reason] += 1;
    const log = { id: n.id, reason: result.reason, status: result.status, detail: result.detail };
    if (result.reason === 'rejected') {
      // 400/403/404/410: the same request can never succeed, so retrying would only block the queue.
      this.remove(n);
      this.dropped += 1;
      this.consecutiveFailures = 0;
      this.lastRejection = { status: result.status ?? null, detail: result.detail ?? '', at: this.clock.now() };
      this.logger.error(log, 'notification rejected, dropped');
      return;
    }
    const delay =
      result.reason === 'rate_limited' && result.retryAfterMs !== undefined
        ? result.retryAfterMs
        : Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.consecutiveFailures++, 30));
    this.notBefore = Math.max(this.notBefore, this.clock.now() + delay);
    this.logger.warn({ ...log, retryInMs: delay }, 'notification delivery failed, will retry');
  }

  /** Drops the oldest waiting messages beyond capacity; the one in flight is left to finish. */
  private trim(): void {
    while (this.queue.length > this.capacity) {
      const index = this.queue[0] === this.inFlight ? 1 : 0;
      this.queue.splice(index, 1);
      this.dropped += 1;
      this.unannouncedDrops += 1;
      // One line per burst: the total is in the metrics and in the next delivered message.
      if (this.unannouncedDrops === 1) this.logger.warn({ capacity: this.capacity }, 'outbox full, dropping oldest notifications');
    }
  }

  private remove(n: Notification): void {
    const index = this.queue.indexOf(n);
    if (index !== -1) this.queue.splice(index, 1);
  }
}
