/**
 * The watchdog's memory in the state file (section `watchdog`): per app, the actions within the budget
 * window and when the budget was spent, so that a restart of vigil neither resets a budget nor forgets a
 * cooldown. `badSince` is not kept: after a restart of vigil, a bad state must last `grace` again.
 *
 * The section records the mode it was written in: a dry run's simulated budget never limits real actions,
 * and the other way round.
 */
import { FRESH, type AppMemory } from './decide';

export const WATCHDOG_SECTION = 'watchdog';

type Mode = 'live' | 'dry_run';

interface Stored {
  mode: Mode;
  apps: Record<string, { actions: number[]; gaveUpAt: number | null }>;
}

/** Reads the section; anything malformed, or written in the other mode, starts fresh. */
export function restoreBook(raw: unknown, mode: Mode): Map<string, AppMemory> {
  const book = new Map<string, AppMemory>();
  if (raw === null || typeof raw !== 'object') return book;
  const stored = raw as Partial<Stored>;
  if (stored.mode !== mode || stored.apps === null || typeof stored.apps !== 'object') return book;
  for (const [name, entry] of Object.entries(stored.apps)) {
    if (entry === null || typeof entry !== 'object') continue;
    const actions = Array.isArray(entry.actions) ? entry.actions.filter((t): t is number => Number.isFinite(t)).sort((a, b) => a - b) : [];
    const gaveUpAt = typeof entry.gaveUpAt === 'number' && Number.isFinite(entry.gaveUpAt) ? entry.gaveUpAt : null;
    book.set(name, { ...FRESH, actions, gaveUpAt });
  }
  return book;
}

/** The section to store: only apps with something worth remembering, actions older than `within` dropped. */
export function storeBook(book: ReadonlyMap<string, AppMemory>, mode: Mode, now: number, within: number): Stored {
  const apps: Stored['apps'] = {};
  for (const [name, m] of book) {
    const actions = m.actions.filter((t) => now - t < within);
    if (actions.length > 0 || m.gaveUpAt !== null) apps[name] = { actions, gaveUpAt: m.gaveUpAt };
  }
  return { mode, apps };
}
