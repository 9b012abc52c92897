/**
 * The daily digest (`alerts.digest.schedule`): records what each snapshot adds to the 24 h history and,
 * when node-cron says so, hands one summary Notification to the notifier — the same outbox, channel,
 * escaping and size limits as alert messages. A maintenance window does not hold it back (it reports, it
 * does not page). Not scheduled (""): nothing is recorded, nothing sent.
 *
 * Wiring (the daemon): `poller.onSnapshot((s) => digest.onSnapshot(s))` after the alert engine (so a
 * firing in this poll is counted in it) and before the state flush; `digest.stop()` on shutdown.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log';
import type { Notification } from '../notify/types';
import type { Snapshot } from '../snapshot';
import { cronLogger } from '../util/cron-logger';
import { buildDigest } from './build';
import {
  DIGEST_SECTION,
  emptySinceStart,
  parseHistory,
  processKey,
  recordTotals,
  serializeHistory,
  type DigestHistory,
  type SinceStart,
} from './history';
import type { NotificationSink } from '../alerts/engine';
import type { SectionStore } from '../state';

export { buildDigest } from './build';

export interface DigestOptions {
  /** node-cron expression (validated with the config); "" = off. */
  schedule: string;
  store: SectionStore;
  /** The notifier: never blocks. */
  sink: NotificationSink;
  now: () => number;
  logger: Logger;
  /** vigil's since-start counters besides the snapshot's: remediated rows, watchdog actions, alert firings. */
  counters: () => Pick<SinceStart, 'remediations' | 'watchdog' | 'alerts'>;
}

export class Digest {
  private history: DigestHistory | null;
  private seen: SinceStart = emptySinceStart();
  private task: ScheduledTask | null = null;

  constructor(private readonly options: DigestOptions) {
    this.history = parseHistory(options.store.get(DIGEST_SECTION));
  }

  get enabled(): boolean {
    return this.options.schedule !== '';
  }

  /** Starts the cron task (no-op when not scheduled). */
  start(): void {
    if (!this.enabled || this.task) return;
    this.task = cron.schedule(this.options.schedule, () => this.send(), {
      name: 'vigil-digest',
      noOverlap: true,
      logger: cronLogger(this.options.logger),
    });
    this.options.logger.info({ schedule: this.options.schedule, next: this.task.getNextRun()?.toISOString() ?? null }, 'daily digest scheduled');
  }

  /** The poll loop's listener: adds this snapshot's increments to the current hour. */
  onSnapshot(snapshot: Snapshot): void {
    if (!this.enabled) return;
    const counters = this.options.counters();
    const queues = snapshot.queues
      ? Object.fromEntries(Object.values(snapshot.queues.queues).map((q) => [q.name, { ...q.finished }]))
      : {};
    const pm2 = snapshot.pm2 ? Object.fromEntries(snapshot.pm2.processes.map((p) => [processKey(p.name, p.pmId), p.restarts])) : null;
    const { history, seen } = recordTotals(
      this.history,
      this.seen,
      { ...counters, queues, queuesUp: snapshot.queues !== null, pm2, apps: Object.keys(snapshot.pm2?.apps ?? {}) },
      this.options.now(),
    );
    this.history = history;
    this.seen = seen;
    this.options.store.set(DIGEST_SECTION, serializeHistory(history));
  }

  /** Builds the digest of the last 24 h and hands it to the notifier (the cron task calls this). */
  send(): Notification {
    const now = this.options.now();
    const notification = buildDigest(this.history ?? { since: now, hours: [], pm2: null }, now);
    this.options.logger.info({ id: notification.id, notes: notification.notes.length }, 'daily digest');
    try {
      this.options.sink.enqueue(notification);
    } catch (err) {
      this.options.logger.error({ error: (err as Error).message }, 'notification sink failed');
    }
    void this.options.store.flush();
    return notification;
  }

  /** Stops and removes the cron task. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = null;
    await task?.destroy();
  }
}
