/** Health rule for alerts: a critical alert firing fails /health; any other firing alert degrades it. Pending ones do not count. */
import type { HealthRule } from './types';

export const alertsFiring: HealthRule = (_snapshot, runtime) => {
  const findings = { failing: [] as string[], warnings: [] as string[] };
  for (const a of runtime.alerts?.() ?? []) {
    if (a.state !== 'firing') continue;
    const line = `alert ${a.alertname} ${a.subject}: firing (${a.severity}): ${a.summary}`;
    (a.severity === 'critical' ? findings.failing : findings.warnings).push(line);
  }
  return findings;
};
