/**
 * The pure state machine (architecture.md principle 7: time is an argument). One alert:
 * inactive → pending (condition true, `for` not yet elapsed) → firing → resolved (condition false again).
 * A held condition (its source is down, or its data unknown) changes nothing: it neither fires nor resolves.
 */
import type { Snapshot } from '../snapshot';
import { alertKey, type AlertState, type Condition } from './types';

/** What one evaluation knows about an alert: its condition, or that it cannot be known now. */
export type Input = Condition | 'held' | 'inactive';

/** The next state of one alert; null means inactive (no state kept). */
export function advance(previous: AlertState | null, input: Input, now: number): AlertState | null {
  if (input === 'held') return previous;
  if (input === 'inactive' || input.active === false) return deactivate(previous, now);
  if (input.active === 'unknown') return previous;
  const c = input;
  const fields = { severity: c.severity, summary: c.summary, source: c.source };
  if (previous === null) {
    const fires = c.forMs <= 0;
    return {
      alertname: c.alertname,
      subject: c.subject,
      ...fields,
      phase: fires ? 'firing' : 'pending',
      activeSince: now,
      firingSince: fires ? now : null,
      resolvedAt: null,
      lastNotifiedAt: null,
      notifiedSummary: null,
      dueSince: null,
      actions: [],
    };
  }
  switch (previous.phase) {
    case 'pending': {
      const fires = now - previous.activeSince >= c.forMs;
      return { ...previous, ...fields, phase: fires ? 'firing' : 'pending', firingSince: fires ? now : null };
    }
    case 'firing':
      return { ...previous, ...fields };
    case 'resolved':
      // True again before its resolution went out: it never stopped as far as anyone was told.
      return { ...previous, ...fields, phase: 'firing', resolvedAt: null, dueSince: null };
  }
}

function deactivate(previous: AlertState | null, now: number): AlertState | null {
  if (previous === null || previous.phase === 'pending') return null; // a flap shorter than `for`: nothing happened
  if (previous.phase === 'resolved') return previous;
  return { ...previous, phase: 'resolved', resolvedAt: now, dueSince: null };
}

/**
 * Advances every alert by one snapshot's conditions. An alert whose rule no longer lists its subject is
 * inactive — unless the alert's source is down, in which case it is held like an 'unknown' condition.
 */
export function advanceAll(
  previous: Readonly<Record<string, AlertState>>,
  found: readonly Condition[],
  snapshot: Snapshot,
  now: number,
): Record<string, AlertState> {
  const down = (c: { source: Condition['source'] }) => c.source !== null && snapshot.sources[c.source]?.up === false;
  const next: Record<string, AlertState> = {};
  const seen = new Set<string>();
  for (const c of found) {
    const key = alertKey(c.alertname, c.subject);
    if (seen.has(key)) continue; // one alert = (alertname, subject); the first rule to name it wins
    seen.add(key);
    const state = advance(previous[key] ?? null, down(c) ? 'held' : c, now);
    if (state) next[key] = state;
  }
  for (const [key, state] of Object.entries(previous)) {
    if (seen.has(key)) continue;
    const after = advance(state, down(state) ? 'held' : 'inactive', now);
    if (after) next[key] = after;
  }
  return next;
}
