/** The vigil_pm2_* families, from the snapshot's PM2 data. Expected apps are exported even when PM2 does not list them. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import { PM2_STATUSES, type Pm2Process } from '../../snapshot';
import { counterFamily, gaugeFamily, perItem } from './family';

export function registerPm2Metrics(registers: Registry[], runtime: Runtime): void {
  const pm2 = () => runtime.snapshot()?.pm2 ?? null;
  const perProcess = perItem(() => pm2()?.processes ?? [], (p: Pm2Process) => ({ app: p.name, pm_id: p.pmId }));

  gaugeFamily(registers, {
    name: 'vigil_pm2_app_expected_instances',
    help: 'Instances the config expects of the app.',
    labelNames: ['app'],
    fill: (emit) => {
      for (const app of Object.values(runtime.config.pm2.expected)) emit({ app: app.name }, app.instances);
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_pm2_app_up',
    help: 'Whether at least the expected instances of the app are online (1) or not (0); exported for every expected app.',
    labelNames: ['app'],
    fill: (emit) => {
      const apps = pm2()?.apps;
      if (!apps) return; // PM2 is down: the truth is unknown, vigil_source_up says so
      for (const app of Object.values(apps)) emit({ app: app.name }, app.up ? 1 : 0);
    },
  });
  gaugeFamily(registers, {
    name: 'vigil_pm2_app_instances',
    help: 'Instances of the app per PM2 status.',
    labelNames: ['app', 'status'],
    fill: (emit) => {
      for (const app of Object.values(pm2()?.apps ?? {})) {
        for (const status of PM2_STATUSES) emit({ app: app.name, status }, app.instances[status]);
      }
    },
  });
  counterFamily(registers, {
    name: 'vigil_pm2_process_restarts_total',
    help: "PM2's restart count (restart_time) of the process.",
    labelNames: ['app', 'pm_id'],
    fill: perProcess((p) => p.restarts),
  });
  gaugeFamily(registers, {
    name: 'vigil_pm2_process_memory_bytes',
    help: 'Resident memory of the process.',
    labelNames: ['app', 'pm_id'],
    fill: perProcess((p) => p.memoryBytes),
  });
  gaugeFamily(registers, {
    name: 'vigil_pm2_process_cpu_ratio',
    help: "PM2's cpu percent of the process / 100.",
    labelNames: ['app', 'pm_id'],
    fill: perProcess((p) => p.cpuRatio),
  });
  gaugeFamily(registers, {
    name: 'vigil_pm2_process_uptime_seconds',
    help: 'Seconds since the process last started; 0 when not online.',
    labelNames: ['app', 'pm_id'],
    fill: perProcess((p) => p.uptimeSeconds),
  });
}
