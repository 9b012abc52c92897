/**
 * PM2 restart history for Pm2AppCrashLooping ("5 or more restarts in 10 minutes"). PM2 only gives a
 * running total per process (`restart_time`), so vigil keeps the increments it has seen, per app, with
 * their time. Pure: time is an argument; the history is persisted with the alert states.
 */
import type { Pm2Data } from '../../snapshot';

export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;
export const CRASH_LOOP_RESTARTS = 5;

export interface AppRestarts {
  /** Epoch ms of the poll these counts come from. */
  seenAt: number;
  /** PM2's restart_time per pm_id at `seenAt`. */
  counts: Record<string, number>;
  /** [epoch ms, restarts seen at that poll], newest last, none older than the window. */
  events: Array<[number, number]>;
}

export type RestartHistory = Readonly<Record<string, AppRestarts>>;

/**
 * The history advanced by one PM2 reading. Increments count only against a baseline seen within the
 * window (after a long gap, or a new pm_id, or a counter that went back, the counts are re-based: vigil
 * cannot say when those restarts happened). PM2 down (null) leaves the history as it was.
 */
export function advanceRestarts(previous: RestartHistory, pm2: Pm2Data | null, now: number): RestartHistory {
  if (!pm2) return previous;
  const next: Record<string, AppRestarts> = {};
  const byApp = new Map<string, Record<string, number>>();
  for (const p of pm2.processes) {
    const counts = byApp.get(p.name) ?? {};
    counts[String(p.pmId)] = p.restarts;
    byApp.set(p.name, counts);
  }
  for (const [app, counts] of byApp) {
    const before = previous[app];
    const fresh = before !== undefined && now - before.seenAt <= CRASH_LOOP_WINDOW_MS;
    let delta = 0;
    if (fresh) {
      for (const [pmId, n] of Object.entries(counts)) {
        const last = before.counts[pmId];
        if (last !== undefined && n > last) delta += n - last;
      }
    }
    const events = recent(before?.events ?? [], now);
    if (delta > 0) events.push([now, delta]);
    next[app] = { seenAt: now, counts, events };
  }
  // An app PM2 no longer lists keeps its recent events (a deleted crash-looper still crash-looped).
  for (const [app, entry] of Object.entries(previous)) {
    if (next[app]) continue;
    const events = recent(entry.events, now);
    if (events.length > 0) next[app] = { seenAt: entry.seenAt, counts: {}, events };
  }
  return next;
}

/** Restarts of the app within the window ending at `now`. */
export function restartsWithin(history: RestartHistory, app: string, now: number): number {
  return recent(history[app]?.events ?? [], now).reduce((sum, [, n]) => sum + n, 0);
}

function recent(events: ReadonlyArray<readonly [number, number]>, now: number): Array<[number, number]> {
  return events.filter(([t]) => now - t < CRASH_LOOP_WINDOW_MS).map(([t, n]) => [t, n]);
}

/** Parses a persisted history, dropping anything malformed. */
export function parseRestartHistory(raw: unknown): RestartHistory {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, AppRestarts> = {};
  for (const [app, v] of Object.entries(raw as Record<string, unknown>)) {
    const e = v as Partial<AppRestarts> | null;
    if (!e || typeof e.seenAt !== 'number' || typeof e.counts !== 'object' || e.counts === null || !Array.isArray(e.events)) continue;
    const counts = Object.fromEntries(Object.entries(e.counts).filter(([, n]) => typeof n === 'number')) as Record<string, number>;
    const events = e.events.filter(
      (x): x is [number, number] => Array.isArray(x) && x.length === 2 && typeof x[0] === 'number' && typeof x[1] === 'number',
    );
    out[app] = { seenAt: e.seenAt, counts, events };
  }
  return out;
}
