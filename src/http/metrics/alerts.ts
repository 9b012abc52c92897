/** vigil_alert_active (one series per pending or firing alert) and vigil_maintenance, from the alert engine. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import { gaugeFamily } from './family';

export function registerAlertMetrics(registers: Registry[], runtime: Runtime): void {
  gaugeFamily(registers, {
    name: 'vigil_alert_active',
    help: 'One series per active alert, with its state (pending or firing).',
    labelNames: ['alertname', 'subject', 'severity', 'state'],
    fill: (emit) => {
      for (const a of runtime.alerts?.() ?? []) emit({ alertname: a.alertname, subject: a.subject, severity: a.severity, state: a.state }, 1);
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_maintenance',
    help: '1 while a maintenance window is open.',
    fill: (emit) => {
      if (runtime.maintenance) emit({}, runtime.maintenance.current() ? 1 : 0);
    },
  });
}
