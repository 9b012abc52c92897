/** The vigil_watchdog_* families, from the watchdog's running totals. Absent where no watchdog runs (`vigil check`). */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import { counterFamily, gaugeFamily } from './family';

export function registerWatchdogMetrics(registers: Registry[], runtime: Runtime): void {
  counterFamily(registers, {
    name: 'vigil_watchdog_actions_total',
    help: 'Starts and restarts the watchdog performed (or, in dry run, would have), by result.',
    labelNames: ['app', 'action', 'result'],
    fill: (emit) => {
      for (const a of runtime.watchdog?.().actions ?? []) emit({ app: a.app, action: a.action, result: a.result }, a.count);
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_watchdog_gave_up',
    help: "1 while the app's restart budget is spent and the watchdog leaves it alone (cooldown); 0 otherwise.",
    labelNames: ['app'],
    fill: (emit) => {
      for (const [app, since] of Object.entries(runtime.watchdog?.().gaveUp ?? {})) emit({ app }, since === null ? 0 : 1);
    },
  });
}
