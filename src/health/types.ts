/** The /health verdict and body (contracts.md section 4). */
import type { Runtime } from '../runtime';
import type { Snapshot } from '../snapshot';

export type HealthStatus = 'ok' | 'degraded' | 'failing' | 'starting';

/** One area's contribution: reasons that fail /health, warnings that only degrade it, notes that do neither. */
export interface HealthFindings {
  failing: string[];
  warnings: string[];
  /** Facts a reader needs to trust the verdict (e.g. "queue workers unknown"); they change no status. */
  notes?: string[];
}

export type HealthRule = (snapshot: Snapshot, runtime: Runtime) => HealthFindings;
