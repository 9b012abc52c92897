/** The vigil_check_* families from the snapshot's checks, and vigil_remediation_rows_total from the remediator's counters. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import type { CheckState } from '../../snapshot';
import { counterFamily, gaugeFamily, perItem } from './family';

export function registerCheckMetrics(registers: Registry[], runtime: Runtime): void {
  // Postgres down: no check series at all (the truth is unknown; vigil_source_up says so).
  const each = perItem((): CheckState[] => Object.values(runtime.snapshot()?.checks?.checks ?? {}), (c) => ({ check: c.name }));
  gaugeFamily(registers, {
    name: 'vigil_check_up',
    help: "1 when the check's last run succeeded.",
    labelNames: ['check'],
    fill: each((c) => (c.up ? 1 : 0)),
  });
  gaugeFamily(registers, {
    name: 'vigil_check_rows',
    help: 'Rows the check returned (the value of an aggregate check); absent while the check fails.',
    labelNames: ['check'],
    fill: each((c) => (c.up ? c.rows : null)),
  });
  gaugeFamily(registers, {
    name: 'vigil_check_oldest_seconds',
    help: "Age of the check's oldest row, from its created_at column; 0 when it returned none.",
    labelNames: ['check'],
    fill: each((c) => (c.up ? c.oldestSeconds : null)),
  });
  gaugeFamily(registers, {
    name: 'vigil_check_duration_seconds',
    help: "Duration of the check's last run.",
    labelNames: ['check'],
    fill: each((c) => c.durationMs / 1000),
  });
  counterFamily(registers, {
    name: 'vigil_remediation_rows_total',
    help: 'Rows remediated since vigil started, by result (applied, skipped, failed, dry_run).',
    labelNames: ['check', 'result'],
    fill: (emit) => {
      for (const [check, counts] of Object.entries(runtime.remediation?.() ?? {})) {
        for (const [result, n] of Object.entries(counts)) emit({ check, result }, n);
      }
    },
  });
}
