/**
 * The daily digest message, pure: the last 24 h of the history as one Notification of notes (no alerts).
 * Per queue, jobs completed and failed; PM2 restarts per app; watchdog actions; remediated rows per check;
 * alerts that started firing. Notes carry data (queue, app, check names) as plain text: the Slack
 * formatter escapes each one and cuts it to a section's size, so long lists are split into several notes
 * here rather than cut there.
 */
import { randomUUID } from 'node:crypto';
import { formatDuration } from '../config/units';
import { plural } from '../util/plural';
import type { Notification } from '../notify/types';
import { DAY_MS, hourOf, type DigestHistory, type FinishedCounts, type HourCounts, type RowCounts } from './history';

/** Lines per note: a section holds 3,000 characters; 25 lines leave each one 100 before a cut. */
const LINES_PER_NOTE = 25;

export const DIGEST_TITLE = ':bar_chart: *vigil daily digest*';

type Sums = Omit<HourCounts, 'hour'>;

/** Adds up the hours the digest covers: the hour 24 h ago (whole) through the current one. */
export function sumWindow(history: DigestHistory, now: number): Sums {
  const from = hourOf(now - DAY_MS);
  const sums: Sums = { queues: {}, restarts: {}, remediations: {}, watchdog: {}, alerts: {} };
  for (const h of history.hours) {
    if (h.hour < from || h.hour > now) continue;
    for (const [q, c] of Object.entries(h.queues)) {
      const s = (sums.queues[q] ??= { completed: 0, failed: 0 });
      s.completed += c.completed;
      s.failed += c.failed;
    }
    for (const [check, c] of Object.entries(h.remediations)) {
      const s = (sums.remediations[check] ??= { applied: 0, skipped: 0, failed: 0, dry_run: 0 });
      for (const k of Object.keys(s) as (keyof RowCounts)[]) s[k] += c[k];
    }
    for (const key of ['restarts', 'watchdog', 'alerts'] as const) {
      for (const [name, n] of Object.entries(h[key])) sums[key][name] = (sums[key][name] ?? 0) + n;
    }
  }
  return sums;
}

const byName = <T>(record: Record<string, T>): [string, T][] => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

/** A titled list, split into notes of at most LINES_PER_NOTE lines; continuation notes say so. */
function listNotes(title: string, lines: string[]): string[] {
  const notes: string[] = [];
  for (let i = 0; i < lines.length; i += LINES_PER_NOTE) {
    const head = i === 0 ? title : `${title} (continued)`;
    notes.push([head, ...lines.slice(i, i + LINES_PER_NOTE)].join('\n'));
  }
  return notes;
}

function queueLine(name: string, c: FinishedCounts): string {
  return `• ${name}: ${c.completed} completed, ${c.failed} failed`;
}

function rowsLine(name: string, c: RowCounts): string {
  const parts = [`${c.applied} applied`];
  if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.dry_run > 0) parts.push(`${c.dry_run} found in dry run`);
  return `• ${name}: ${parts.join(', ')}`;
}

/** "123 (a 100, b 23)", or "none". */
function countsText(record: Record<string, number>): string {
  const nonZero = byName(record).filter(([, n]) => n > 0);
  const total = nonZero.reduce((s, [, n]) => s + n, 0);
  return total === 0 ? 'none' : `${total} (${nonZero.map(([name, n]) => `${name} ${n}`).join(', ')})`;
}

export interface DigestOptions {
  /** Notification id; a random UUID by default. */
  id?: string;
}

/**
 * The digest of the last 24 h at `now`. When the history starts less than 24 h before `now`, the period
 * is "since vigil started, 5h ago". Sections for what vigil does not watch (no queue, no PM2 app, no
 * remediation ever recorded) are left out; the alerts line is always there.
 */
export function buildDigest(history: DigestHistory, now: number, options: DigestOptions = {}): Notification {
  const sums = sumWindow(history, now);
  const known = now - history.since;
  const period = known < DAY_MS ? `since vigil started, ${formatDuration(known)} ago` : 'last 24 h';
  const notes = [`${DIGEST_TITLE} · ${period}`];

  const queues = byName(sums.queues);
  if (queues.length > 0) notes.push(...listNotes('*Queues* (jobs finished)', queues.map(([q, c]) => queueLine(q, c))));

  const apps = byName(sums.restarts);
  if (apps.length > 0) {
    const restarted = apps.filter(([, n]) => n > 0);
    if (restarted.length === 0) notes.push(`*PM2 restarts*: none (${plural(apps.length, 'app')})`);
    else notes.push(...listNotes('*PM2 restarts*', restarted.map(([app, n]) => `• ${app}: ${n}`)));
  }
  const actions = Object.values(sums.watchdog).reduce((s, n) => s + n, 0);
  if (actions > 0) notes.push(`*Watchdog actions*: ${countsText(sums.watchdog)}`);

  const checks = byName(sums.remediations);
  if (checks.length > 0) {
    const active = checks.filter(([, c]) => c.applied + c.skipped + c.failed + c.dry_run > 0);
    if (active.length === 0) notes.push(`*Remediations*: none (${plural(checks.length, 'check')})`);
    else notes.push(...listNotes('*Remediations* (rows)', active.map(([check, c]) => rowsLine(check, c))));
  }

  notes.push(`*Alerts fired*: ${countsText(sums.alerts)}`);
  return { id: options.id ?? randomUUID(), createdAt: now, alerts: [], notes };
}
