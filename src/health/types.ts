/** The /health verdict and body (contracts.md section 4). */
import type { Runtime } from '../runtime';
import type { Snapshot } from '../snapshot';

export type HealthStatus = 'ok' | 'degraded' | 'failing' | 'starting';

/** One area's contribution: reasons that fail /health, and warnings that only degrade it. */
export interface HealthFindings {
  failing: string[];
  warnings: string[];
}

export type HealthRule = (snapshot: Snapshot, runtime: Runtime) => HealthFindings;
