/**
 * The /health verdict: `failing` (503) when any rule finds a failing reason, `degraded` (200) when only
 * warnings, `ok` (200) otherwise, `starting` (503) before the first poll. It reads the latest snapshot,
 * not alert `for` durations, so a deploy gate sees the truth at once. Rules are this table.
 */
import type { Runtime } from '../runtime';
import { pm2AppsDown } from './pm2';
import { queuesWithoutConsumer } from './queues';
import { sourcesDown, staleSnapshot } from './sources';
import type { HealthRule, HealthStatus } from './types';
import { healthBody, type HealthBody } from './body';

const RULES: readonly HealthRule[] = [sourcesDown, staleSnapshot, pm2AppsDown, queuesWithoutConsumer];

export interface HealthVerdict {
  code: 200 | 503;
  status: HealthStatus;
  body: HealthBody;
}

export function evaluateHealth(runtime: Runtime): HealthVerdict {
  const snapshot = runtime.snapshot();
  if (!snapshot) {
    return { code: 503, status: 'starting', body: healthBody(runtime, null, 'starting', ['first poll not finished yet'], [], []) };
  }
  const failing: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  for (const rule of RULES) {
    const found = rule(snapshot, runtime);
    failing.push(...found.failing);
    warnings.push(...found.warnings);
    notes.push(...(found.notes ?? []));
  }
  const status: HealthStatus = failing.length > 0 ? 'failing' : warnings.length > 0 ? 'degraded' : 'ok';
  return { code: status === 'failing' ? 503 : 200, status, body: healthBody(runtime, snapshot, status, failing, warnings, notes) };
}
