/**
 * The alert engine: glue between the poll loop and the notifiers. On every snapshot it advances the
 * restart history and every alert's state, applies the notification policy, persists the result and hands
 * what is due to the sink. A timer on the injected clock sends a group when its `groupWait` ends between
 * polls. It also owns the maintenance window. Nothing here sleeps or reads Date.now() itself.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types';
import type { Logger } from '../log';
import type { Clock, Notification } from '../notify/types';
import type { Snapshot } from '../snapshot';
import { advanceAll } from './evaluate';
import { inhibitedKeys } from './inhibit';
import { isOpen, MAX_REASON_LENGTH, parseWindow, type MaintenanceControl, type MaintenanceWindow } from './maintenance';
import { ALERTS_SECTION, deserialize, MAINTENANCE_SECTION, serialize } from './persist';
import { plan, silenceOf, withOrphanedActions, type Book, type PolicyOptions } from './policy';
import { conditions } from './rules';
import { advanceRestarts, type RestartHistory } from './rules/restarts';
import { alertKey, type ActiveAlert } from './types';
import type { SectionStore } from '../state';

/** Where notifications go: the delivery outbox (or a log sender). Must never block. */
export interface NotificationSink {
  enqueue(n: Notification): void;
}

export interface EngineOptions {
  config: Config;
  sink: NotificationSink;
  store: SectionStore;
  clock: Clock;
  logger: Logger;
  /** The watchdog's hook: apps whose restart budget is spent, with a one-line reason. */
  gaveUp?: () => Readonly<Record<string, string>>;
  /** Removes secrets from text built from data (error messages) before it is kept or sent. */
  scrub?: (text: string) => string;
  newId?: () => string;
}

const MAX_NOTES = 50;
const MAX_ACTIONS = 20;

export class AlertEngine implements MaintenanceControl {
  private book: Book;
  private restarts: RestartHistory;
  private window: MaintenanceWindow | null;
  private wake: { at: number; abort: AbortController } | null = null;
  private stopped = false;
  /** Alerts that started firing since this vigil started, per alertname (the daily digest counts them). */
  private readonly fired = new Map<string, number>();

  constructor(private readonly options: EngineOptions) {
    const restored = deserialize(options.store.get(ALERTS_SECTION));
    this.book = restored.book;
    this.restarts = restored.restarts;
    this.window = parseWindow(options.store.get(MAINTENANCE_SECTION));
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** The poll loop's listener: evaluates the snapshot, then notifies what is due. */
  onSnapshot(snapshot: Snapshot): void {
    if (this.stopped) return;
    const now = this.now();
    this.restarts = advanceRestarts(this.restarts, snapshot.pm2, now);
    const scrub = this.options.scrub ?? ((t: string) => t);
    const found = conditions({ snapshot, config: this.options.config, now, restarts: this.restarts, gaveUp: this.options.gaveUp?.() ?? {} }).map(
      (c) => ({ ...c, summary: scrub(c.summary) }),
    );
    const before = this.book.alerts;
    const alerts = advanceAll(before, found, snapshot, now);
    this.logTransitions(before, alerts);
    this.countFirings(before, alerts);
    let notes = this.book.notes;
    for (const [key, a] of Object.entries(before)) if (!(key in alerts)) notes = withOrphanedActions(notes, a, now);
    this.book = { alerts, notes: notes.slice(-MAX_NOTES) };
    this.apply(now);
  }

  /**
   * Firings since this vigil started, per alertname: an alert counts when it goes from inactive or pending
   * to firing (a blip back to firing before its resolution was sent is the same incident, not a new one).
   */
  firings(): Record<string, number> {
    return Object.fromEntries(this.fired);
  }

  /** Sends a group whose `groupWait` has ended (the timer calls this; tests may too). */
  flush(): void {
    if (!this.stopped) this.apply(this.now());
  }

  /** Active (pending or firing) alerts, for /health, /metrics and the CLI. */
  active(): ActiveAlert[] {
    const inhibited = inhibitedKeys(this.book.alerts);
    const options = this.policy(this.now());
    return Object.values(this.book.alerts)
      .filter((a) => a.phase !== 'resolved')
      .map((a) => ({
        alertname: a.alertname,
        subject: a.subject,
        severity: a.severity,
        state: a.phase as 'pending' | 'firing',
        since: a.firingSince ?? a.activeSince,
        summary: a.summary,
        silenced: silenceOf(a, inhibited, options),
      }))
      .sort((a, b) => a.alertname.localeCompare(b.alertname) || a.subject.localeCompare(b.subject));
  }

  /** The watchdog's hook: a line ("started avatar-generator-worker (attempt 1/3)") for the alert's next message, or a note when no such alert is active. */
  addAction(alertname: string, subject: string, line: string): void {
    const key = alertKey(alertname, subject);
    const alert = this.book.alerts[key];
    if (!alert) return this.addNote(line);
    this.book.alerts[key] = { ...alert, actions: [...alert.actions, this.options.scrub?.(line) ?? line].slice(-MAX_ACTIONS) };
    this.persist();
  }

  /** A free line (a remediation summary) that goes out in the next message, after `groupWait`. */
  addNote(text: string): void {
    const note = { text: this.options.scrub?.(text) ?? text, since: this.now() };
    this.book = { ...this.book, notes: [...this.book.notes, note].slice(-MAX_NOTES) };
    this.apply(this.now());
  }

  current(): MaintenanceWindow | null {
    const now = this.now();
    if (this.window && !isOpen(this.window, now)) this.setWindow(null, 'maintenance window expired');
    return this.window;
  }

  open(forMs: number, reason: string): MaintenanceWindow {
    const now = this.now();
    const window = { since: now, until: now + forMs, reason: reason.slice(0, MAX_REASON_LENGTH) };
    this.setWindow(window, 'maintenance window opened');
    return window;
  }

  close(): MaintenanceWindow | null {
    const was = this.current();
    if (was) this.setWindow(null, 'maintenance window closed');
    return was;
  }

  /** Cancels the group timer; states stay persisted for the next start. */
  stop(): void {
    this.stopped = true;
    this.wake?.abort.abort();
    this.wake = null;
  }

  private setWindow(window: MaintenanceWindow | null, message: string): void {
    const shown = window ?? this.window;
    this.window = window;
    this.options.logger.info({ until: shown ? new Date(shown.until).toISOString() : null, reason: shown?.reason }, message);
    this.options.store.set(MAINTENANCE_SECTION, window);
    void this.options.store.flush();
    if (!this.stopped) this.apply(this.now());
  }

  private policy(now: number): PolicyOptions {
    const { groupWait, repeatInterval, sendResolved, minSeverity } = this.options.config.alerts;
    return { groupWait, repeatInterval, sendResolved, minSeverity, maintenance: isOpen(this.window, now) };
  }

  private apply(now: number): void {
    const result = plan(this.book, this.policy(now), now);
    this.book = result.book;
    if (result.batch) {
      const notification: Notification = {
        id: this.options.newId?.() ?? randomUUID(),
        createdAt: now,
        alerts: result.batch.alerts,
        notes: result.batch.notes,
      };
      this.options.logger.info(
        { id: notification.id, firing: count(notification, 'firing'), resolved: count(notification, 'resolved'), notes: notification.notes.length },
        'notification',
      );
      try {
        this.options.sink.enqueue(notification);
      } catch (err) {
        this.options.logger.error({ error: (err as Error).message }, 'notification sink failed');
      }
    }
    this.persist();
    if (result.batch) void this.options.store.flush();
    this.schedule(result.nextAt, now);
  }

  private persist(): void {
    this.options.store.set(ALERTS_SECTION, serialize({ book: this.book, restarts: this.restarts }));
  }

  /** One timer at a time, at the next group's end; replaced when an earlier one is needed. */
  private schedule(at: number | null, now: number): void {
    if (this.stopped || at === null) return;
    if (this.wake && this.wake.at <= at) return;
    this.wake?.abort.abort();
    const abort = new AbortController();
    this.wake = { at, abort };
    this.options.clock.sleep(Math.max(0, at - now), abort.signal).then(
      () => {
        if (abort.signal.aborted) return;
        this.wake = null;
        this.flush();
      },
      () => undefined,
    );
  }

  private countFirings(before: Book['alerts'], after: Book['alerts']): void {
    for (const [key, a] of Object.entries(after)) {
      const was = before[key]?.phase;
      if (a.phase === 'firing' && (was === undefined || was === 'pending')) this.fired.set(a.alertname, (this.fired.get(a.alertname) ?? 0) + 1);
    }
  }

  private logTransitions(before: Book['alerts'], after: Book['alerts']): void {
    const log = this.options.logger;
    for (const [key, a] of Object.entries(after)) {
      const was = before[key]?.phase;
      if (a.phase === was) continue;
      const fields = { alertname: a.alertname, subject: a.subject, severity: a.severity, summary: a.summary };
      if (a.phase === 'firing') log.warn(fields, 'alert firing');
      else if (a.phase === 'resolved') log.info(fields, 'alert resolved');
      else log.debug(fields, 'alert pending');
    }
  }
}

function count(n: Notification, status: 'firing' | 'resolved'): number {
  return n.alerts.filter((a) => a.status === status).length;
}
