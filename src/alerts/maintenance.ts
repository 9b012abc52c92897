/**
 * Maintenance windows (contracts.md sections 4 and 5): while one is open, alerts are still computed,
 * exported and shown, but nothing is notified and the watchdog does not act. Persisted in the state
 * file's `maintenance` section, so a restart during a deploy keeps the window.
 */

export interface MaintenanceWindow {
  /** Epoch ms it was opened. */
  since: number;
  /** Epoch ms it closes by itself. */
  until: number;
  reason: string;
}

/** What the HTTP layer and the watchdog use; the engine implements it. */
export interface MaintenanceControl {
  /** The open window, or null (an expired window counts as closed). */
  current(): MaintenanceWindow | null;
  /** Opens (or replaces) a window of `forMs` from now. */
  open(forMs: number, reason: string): MaintenanceWindow;
  /** Closes the window; returns the one that was open, if any. */
  close(): MaintenanceWindow | null;
}

/** The longest window one request may open: a forgotten window must not mute vigil for weeks. */
export const MAX_WINDOW_MS = 7 * 86_400_000;
export const MAX_REASON_LENGTH = 200;

export function isOpen(window: MaintenanceWindow | null, now: number): window is MaintenanceWindow {
  return window !== null && now < window.until;
}

export function parseWindow(raw: unknown): MaintenanceWindow | null {
  if (raw === null || typeof raw !== 'object') return null;
  const w = raw as Partial<MaintenanceWindow>;
  if (typeof w.since !== 'number' || typeof w.until !== 'number' || typeof w.reason !== 'string') return null;
  return { since: w.since, until: w.until, reason: w.reason };
}

/** The JSON shape of a window in /health, /maintenance and the CLI. */
export function windowJson(w: MaintenanceWindow | null): { since: string; until: string; reason: string } | null {
  return w === null ? null : { since: new Date(w.since).toISOString(), until: new Date(w.until).toISOString(), reason: w.reason };
}
