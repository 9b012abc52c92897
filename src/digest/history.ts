/**
 * The daily digest's memory: what happened per hour over the last 24 h, in the state file (section
 * `digest`), so a digest sent the morning after a restart still covers the whole day.
 *
 * vigil's counters are totals since it started (finished jobs from the event streams, remediated rows,
 * watchdog actions, alert firings) or PM2's own (`restart_time`). Each snapshot turns them into increments
 * (a counter that went down was reset: its new value is the increment, as Prometheus' `increase()` reads
 * it) and adds them to the current hour. Pure: the recorder in index.ts feeds it.
 */
import type { RowResult } from '../remediate/row';
import { ROW_RESULTS } from '../remediate/row';

export const DIGEST_SECTION = 'digest';
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const VERSION = 1;

export type FinishedCounts = { completed: number; failed: number };
export type RowCounts = Record<RowResult, number>;

/** What happened in one hour (UTC hour boundaries). Every subject seen in the hour is listed, with 0s. */
export interface HourCounts {
  /** Epoch ms of the start of the hour. */
  hour: number;
  /** Queue → jobs finished. */
  queues: Record<string, FinishedCounts>;
  /** App → PM2 restarts (increments of `restart_time` over its processes). */
  restarts: Record<string, number>;
  /** Check → remediated rows per result. */
  remediations: Record<string, RowCounts>;
  /** App → watchdog actions (not counting dry runs). */
  watchdog: Record<string, number>;
  /** Alertname → alerts that started firing. */
  alerts: Record<string, number>;
}

export interface DigestHistory {
  /** Epoch ms of the first sample ever kept: less than 24 h ago, the digest says "since vigil started". */
  since: number;
  /** Oldest first; hours older than the digest's window are dropped. */
  hours: HourCounts[];
  /** PM2's `restart_time` last seen per process (`app\0pm_id`); null before vigil first saw PM2. Persisted, so restarts while vigil was down count at its next start. */
  pm2: Record<string, number> | null;
}

/** vigil's own totals since this process started; kept in memory only (they start from 0 at every start). */
export interface SinceStart {
  queues: Record<string, FinishedCounts>;
  remediations: Record<string, RowCounts>;
  watchdog: Record<string, number>;
  alerts: Record<string, number>;
}

/** What one snapshot (and the counters next to it) shows now. */
export interface Totals extends SinceStart {
  /** False when Redis is off or down this poll: nothing is recorded for queues then. */
  queuesUp: boolean;
  /** `app\0pm_id` → PM2 `restart_time`; null when PM2 is off or down. */
  pm2: Record<string, number> | null;
  /** Apps PM2 lists or the config expects (each gets a 0 in the hour, so it shows in the digest). */
  apps: readonly string[];
}

export const emptySinceStart = (): SinceStart => ({ queues: {}, remediations: {}, watchdog: {}, alerts: {} });

export const processKey = (app: string, pmId: number): string => `${app}\u0000${pmId}`;
const appOf = (key: string): string => key.slice(0, key.lastIndexOf('\u0000'));

/** The increase of a counter from `before` to `now`; a decrease is a reset (the new value is the increase). */
export function increase(before: number | undefined, now: number): number {
  if (before === undefined) return now;
  return now >= before ? now - before : now;
}

export const hourOf = (ms: number): number => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);

function emptyHour(hour: number): HourCounts {
  return { hour, queues: {}, restarts: {}, remediations: {}, watchdog: {}, alerts: {} };
}

const zeroRows = (): RowCounts => ({ applied: 0, skipped: 0, failed: 0, dry_run: 0 });
const add = (map: Record<string, number>, key: string, n: number): void => {
  map[key] = (map[key] ?? 0) + n;
};

/**
 * Adds one snapshot's increments to the current hour and drops hours no digest will read.
 * Returns the new history and the since-start totals to compare the next snapshot with.
 */
export function recordTotals(
  history: DigestHistory | null,
  seen: SinceStart,
  totals: Totals,
  now: number,
): { history: DigestHistory; seen: SinceStart } {
  const base: DigestHistory = history ?? { since: now, hours: [], pm2: null };
  const hour = hourOf(now);
  const hours = base.hours.filter((h) => h.hour >= hour - DAY_MS && h.hour <= hour).map((h) => structuredClone(h));
  let current = hours.at(-1);
  if (!current || current.hour !== hour) hours.push((current = emptyHour(hour)));

  if (totals.queuesUp) {
    for (const [queue, t] of Object.entries(totals.queues)) {
      const before = seen.queues[queue];
      const q = (current.queues[queue] ??= { completed: 0, failed: 0 });
      q.completed += increase(before?.completed, t.completed);
      q.failed += increase(before?.failed, t.failed);
    }
  }

  let pm2 = base.pm2;
  if (totals.pm2) {
    for (const app of totals.apps) add(current.restarts, app, 0);
    // The first look at PM2 is the baseline: restarts from before vigil ever watched are not today's.
    if (base.pm2 !== null) {
      for (const [key, restarts] of Object.entries(totals.pm2)) add(current.restarts, appOf(key), increase(base.pm2[key] ?? 0, restarts));
    }
    pm2 = { ...totals.pm2 };
  }

  for (const [check, rows] of Object.entries(totals.remediations)) {
    const r = (current.remediations[check] ??= zeroRows());
    for (const result of ROW_RESULTS) r[result] += increase(seen.remediations[check]?.[result], rows[result]);
  }
  for (const [app, n] of Object.entries(totals.watchdog)) add(current.watchdog, app, increase(seen.watchdog[app], n));
  for (const [alertname, n] of Object.entries(totals.alerts)) add(current.alerts, alertname, increase(seen.alerts[alertname], n));

  return {
    history: { since: base.since, hours, pm2 },
    seen: {
      queues: totals.queuesUp ? structuredClone(totals.queues) : seen.queues,
      remediations: structuredClone(totals.remediations),
      watchdog: { ...totals.watchdog },
      alerts: { ...totals.alerts },
    },
  };
}

export function serializeHistory(h: DigestHistory): unknown {
  return { version: VERSION, since: h.since, hours: h.hours, pm2: h.pm2 };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function numbers(raw: unknown): Record<string, number> {
  if (!isObj(raw)) return {};
  return Object.fromEntries(Object.entries(raw).filter((e): e is [string, number] => isNum(e[1])));
}

function records<T>(raw: unknown, parse: (v: unknown) => T | null): Record<string, T> {
  if (!isObj(raw)) return {};
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(raw)) {
    const parsed = parse(v);
    if (parsed !== null) out[k] = parsed;
  }
  return out;
}

const finished = (v: unknown): FinishedCounts | null => (isObj(v) && isNum(v.completed) && isNum(v.failed) ? { completed: v.completed, failed: v.failed } : null);
const rowCounts = (v: unknown): RowCounts | null => {
  if (!isObj(v)) return null;
  const r = zeroRows();
  for (const result of ROW_RESULTS) r[result] = isNum(v[result]) ? v[result] : 0;
  return r;
};

/** The stored history, read defensively: a malformed hour is dropped; a malformed section starts fresh (null). */
export function parseHistory(raw: unknown): DigestHistory | null {
  if (!isObj(raw) || raw.version !== VERSION || !isNum(raw.since) || !Array.isArray(raw.hours)) return null;
  const hours: HourCounts[] = [];
  for (const h of raw.hours) {
    if (!isObj(h) || !isNum(h.hour)) continue;
    hours.push({
      hour: h.hour,
      queues: records(h.queues, finished),
      restarts: numbers(h.restarts),
      remediations: records(h.remediations, rowCounts),
      watchdog: numbers(h.watchdog),
      alerts: numbers(h.alerts),
    });
  }
  hours.sort((a, b) => a.hour - b.hour);
  return { since: raw.since, hours, pm2: isObj(raw.pm2) ? numbers(raw.pm2) : null };
}
