/**
 * The alert engine's section of the state file (`alerts`): alert states (with what was notified when),
 * notes waiting for the next message, and the PM2 restart history. Read defensively: a malformed entry is
 * dropped, never trusted.
 */
import { SOURCE_NAMES, type SourceName } from '../snapshot';
import type { Book, PendingNote } from './policy';
import { parseRestartHistory, type RestartHistory } from './rules/restarts';
import { alertKey, SEVERITY_RANK, type AlertState, type Phase, type Severity } from './types';

export const ALERTS_SECTION = 'alerts';
export const MAINTENANCE_SECTION = 'maintenance';
const VERSION = 1;

export interface Persisted {
  book: Book;
  restarts: RestartHistory;
}

export function serialize(p: Persisted): unknown {
  return { version: VERSION, alerts: Object.values(p.book.alerts), notes: p.book.notes, restarts: p.restarts };
}

export function deserialize(raw: unknown): Persisted {
  const empty: Persisted = { book: { alerts: {}, notes: [] }, restarts: {} };
  if (raw === null || typeof raw !== 'object') return empty;
  const r = raw as { version?: unknown; alerts?: unknown; notes?: unknown; restarts?: unknown };
  if (r.version !== VERSION) return empty;
  const alerts: Record<string, AlertState> = {};
  for (const a of Array.isArray(r.alerts) ? r.alerts : []) {
    const state = parseState(a);
    if (state) alerts[alertKey(state.alertname, state.subject)] = state;
  }
  const notes: PendingNote[] = (Array.isArray(r.notes) ? r.notes : []).filter(
    (n): n is PendingNote => n !== null && typeof n === 'object' && typeof n.text === 'string' && typeof n.since === 'number',
  );
  return { book: { alerts, notes }, restarts: parseRestartHistory(r.restarts) };
}

const PHASES: readonly Phase[] = ['pending', 'firing', 'resolved'];
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): v is number | null => v === null || num(v);

function parseState(raw: unknown): AlertState | null {
  if (raw === null || typeof raw !== 'object') return null;
  const a = raw as Record<string, unknown>;
  if (typeof a.alertname !== 'string' || typeof a.subject !== 'string' || typeof a.summary !== 'string') return null;
  if (typeof a.severity !== 'string' || !(a.severity in SEVERITY_RANK)) return null;
  if (!(a.source === null || (SOURCE_NAMES as readonly unknown[]).includes(a.source))) return null;
  if (!PHASES.includes(a.phase as Phase) || !num(a.activeSince)) return null;
  if (!numOrNull(a.firingSince) || !numOrNull(a.resolvedAt) || !numOrNull(a.lastNotifiedAt) || !numOrNull(a.dueSince)) return null;
  return {
    alertname: a.alertname,
    subject: a.subject,
    severity: a.severity as Severity,
    source: a.source as SourceName | null,
    summary: a.summary,
    phase: a.phase as Phase,
    activeSince: a.activeSince,
    firingSince: a.firingSince,
    resolvedAt: a.resolvedAt,
    lastNotifiedAt: a.lastNotifiedAt,
    notifiedSummary: typeof a.notifiedSummary === 'string' ? a.notifiedSummary : null,
    dueSince: a.dueSince,
    actions: Array.isArray(a.actions) ? a.actions.filter((x): x is string => typeof x === 'string') : [],
  };
}
