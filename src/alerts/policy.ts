/**
 * The notification policy, pure: given the alert states and the time, what is due and what goes out now.
 * - firing: notified once, then every `repeatInterval` while it fires;
 * - resolved: notified once when `sendResolved`, and only if its firing was notified;
 * - nothing below `minSeverity`, nothing inhibited, nothing during a maintenance window (what is still
 *   firing, or resolved after being notified, is due again when the window closes: notified once);
 * - grouping: everything that becomes due within `groupWait` of the first due item goes out in one batch.
 * A due item keeps `dueSince` in the persisted state, so a restart neither loses nor repeats it.
 */
import type { AlertEvent } from '../notify/types';
import { inhibitedKeys } from './inhibit';
import { alertKey, SEVERITY_RANK, type AlertState, type Severity, type Silence } from './types';

export interface PolicyOptions {
  groupWait: number;
  repeatInterval: number;
  sendResolved: boolean;
  minSeverity: Severity;
  /** A maintenance window is open now. */
  maintenance: boolean;
}

/** A free line for the next message (a remediation summary, a watchdog note). */
export interface PendingNote {
  text: string;
  since: number;
}

/** Everything the engine persists between polls. */
export interface Book {
  alerts: Record<string, AlertState>;
  notes: PendingNote[];
}

export interface Batch {
  alerts: AlertEvent[];
  notes: string[];
}

/** Why a firing alert is not notified now; null when it may be. */
export function silenceOf(alert: AlertState, inhibited: ReadonlySet<string>, options: PolicyOptions): Silence | null {
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[options.minSeverity]) return 'severity';
  if (options.maintenance) return 'maintenance';
  if (inhibited.has(alertKey(alert.alertname, alert.subject))) return 'inhibited';
  return null;
}

/** What this alert wants to send now, if anything; 'drop' for a resolved alert nobody needs to hear of. */
function wants(alert: AlertState, silence: Silence | null, options: PolicyOptions, now: number): 'firing' | 'resolved' | 'drop' | null {
  if (alert.phase === 'pending') return null;
  if (alert.phase === 'resolved') {
    if (alert.lastNotifiedAt === null || !options.sendResolved || silence === 'severity') return 'drop';
    return options.maintenance ? null : 'resolved';
  }
  if (silence !== null) return null;
  return alert.lastNotifiedAt === null || now - alert.lastNotifiedAt >= options.repeatInterval ? 'firing' : null;
}

/**
 * Marks what is due and, when the oldest due item has waited `groupWait`, takes the batch out. Returns
 * the new book, the batch (null when nothing goes out now) and when the next batch is due.
 */
export function plan(book: Book, options: PolicyOptions, now: number): { book: Book; batch: Batch | null; nextAt: number | null } {
  const inhibited = inhibitedKeys(book.alerts);
  const alerts: Record<string, AlertState> = {};
  const due: Array<[string, AlertState, 'firing' | 'resolved']> = [];
  let oldest: number | null = null;
  // Action lines of an alert dropped unsent (it fired and resolved inside its group) still go out, as notes.
  let notes = book.notes;
  for (const [key, alert] of Object.entries(book.alerts)) {
    const want = wants(alert, silenceOf(alert, inhibited, options), options, now);
    if (want === 'drop') {
      notes = withOrphanedActions(notes, alert, now);
      continue;
    }
    const next = { ...alert, dueSince: want === null ? null : (alert.dueSince ?? now) };
    alerts[key] = next;
    if (want !== null) {
      due.push([key, next, want]);
      oldest = Math.min(oldest ?? Infinity, next.dueSince ?? now);
    }
  }
  if (!options.maintenance) for (const n of notes) oldest = Math.min(oldest ?? Infinity, n.since);
  if (oldest === null) return { book: { alerts, notes }, batch: null, nextAt: null };
  if (now < oldest + options.groupWait) return { book: { alerts, notes }, batch: null, nextAt: oldest + options.groupWait };

  const events: AlertEvent[] = [];
  for (const [key, alert, want] of due) {
    events.push(toEvent(alert, want));
    if (want === 'resolved') delete alerts[key];
    else alerts[key] = { ...alert, lastNotifiedAt: now, notifiedSummary: alert.summary, dueSince: null, actions: [] };
  }
  return { book: { alerts, notes: [] }, batch: { alerts: order(events), notes: notes.map((n) => n.text) }, nextAt: null };
}

/**
 * An alert leaves the book without its action lines having been sent (a pending alert that cleared, or
 * one that fired and resolved before its group went out): the lines become notes for the next message,
 * so every watchdog action is reported even when the alert it answered never was. They keep the group
 * the alert was in (due since it fired), so dropping the alert does not delay them by another groupWait.
 */
export function withOrphanedActions(notes: readonly PendingNote[], alert: AlertState, now: number): PendingNote[] {
  if (alert.actions.length === 0) return [...notes];
  const since = Math.min(now, alert.firingSince ?? now);
  return [...notes, ...alert.actions.map((text) => ({ text, since }))];
}

function toEvent(alert: AlertState, status: 'firing' | 'resolved'): AlertEvent {
  const event: AlertEvent = {
    alertname: alert.alertname,
    subject: alert.subject,
    severity: alert.severity,
    status,
    summary: status === 'resolved' ? (alert.notifiedSummary ?? alert.summary) : alert.summary,
    since: alert.firingSince ?? alert.activeSince,
    actions: [...alert.actions],
  };
  if (status === 'resolved' && alert.resolvedAt !== null) event.resolvedAt = alert.resolvedAt;
  return event;
}

/** Firing before resolved, critical first, then by name: the order a reader scans a message in. */
function order(events: AlertEvent[]): AlertEvent[] {
  return events.sort(
    (a, b) =>
      (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1) ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.alertname.localeCompare(b.alertname) ||
      a.subject.localeCompare(b.subject),
  );
}
