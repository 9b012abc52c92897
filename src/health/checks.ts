/** Health rule for the Postgres checks: a check whose query fails degrades /health (a warning, not a failure:
 * the database answers, one query does not; stuck rows themselves are for the alert rules to judge). */
import type { HealthRule } from './types';

export const checksFailing: HealthRule = (snapshot) => ({
  failing: [],
  warnings: Object.values(snapshot.checks?.checks ?? {})
    .filter((c) => !c.up)
    .map((c) => `check ${c.name}: query failing (${c.error ?? 'unknown error'})`),
});
