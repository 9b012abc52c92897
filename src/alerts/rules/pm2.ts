/** The Pm2* alerts: an expected app down, crash-looping, given up on by the watchdog, or over its memory limit. */
import type { Pm2App } from '../../snapshot';
import type { Condition } from '../types';
import type { Rule } from './context';
import { formatBytes } from './format';
import { CRASH_LOOP_RESTARTS, restartsWithin } from './restarts';

export const MEMORY_HIGH_FOR_MS = 5 * 60_000;

/** "not in PM2", "online", "errored (0/1 online)": the words a message uses for an app's state. */
export function appStateText(app: Pm2App | undefined): string {
  if (!app || app.status === 'missing') return 'not in PM2';
  if (app.up) return 'online';
  const status = app.status === 'waiting_restart' ? 'waiting restart' : app.status;
  return `${status} (${app.online}/${app.expected ?? app.online} online)`;
}

/** Pm2AppDown: an expected app has fewer online instances than expected. Held while PM2 is down. */
export const pm2AppDown: Rule = ({ snapshot, config }) =>
  Object.values(config.pm2.expected).map((expected): Condition => {
    const app = snapshot.pm2?.apps[expected.name];
    return {
      alertname: 'Pm2AppDown',
      subject: expected.name,
      severity: 'critical',
      forMs: config.pm2.watchdog.grace,
      active: snapshot.pm2 ? !(app?.up ?? false) : 'unknown',
      summary: `${expected.name}: ${appStateText(app)}`,
      source: 'pm2',
    };
  });

/** Pm2AppCrashLooping: PM2 restarted the app 5 or more times in 10 minutes (any app PM2 lists). */
export const pm2AppCrashLooping: Rule = ({ snapshot, restarts, now }) =>
  Object.keys(snapshot.pm2?.apps ?? {}).map((name): Condition => {
    const n = restartsWithin(restarts, name, now);
    return {
      alertname: 'Pm2AppCrashLooping',
      subject: name,
      severity: 'warning',
      forMs: 0,
      active: n >= CRASH_LOOP_RESTARTS,
      summary: `${name}: restarted ${n} times in the last 10m`,
      source: 'pm2',
    };
  });

/** Pm2AppRestartGaveUp: the watchdog spent its restart budget on the app (its hook fills `gaveUp`). */
export const pm2AppRestartGaveUp: Rule = ({ gaveUp }) =>
  Object.entries(gaveUp).map(([name, why]): Condition => ({
    alertname: 'Pm2AppRestartGaveUp',
    subject: name,
    severity: 'critical',
    forMs: 0,
    active: true,
    summary: `${name}: ${why}`,
    source: 'pm2',
  }));

/** Pm2AppMemoryHigh: an instance of an expected app with a memoryLimit uses more than it. */
export const pm2AppMemoryHigh: Rule = ({ snapshot, config }) =>
  Object.values(config.pm2.expected)
    .filter((e) => e.memoryLimit !== null)
    .map((expected): Condition => {
      const limit = expected.memoryLimit ?? 0;
      const over = (snapshot.pm2?.processes ?? []).filter((p) => p.name === expected.name && p.memoryBytes > limit);
      const worst = over.reduce<(typeof over)[number] | null>((a, p) => (a === null || p.memoryBytes > a.memoryBytes ? p : a), null);
      return {
        alertname: 'Pm2AppMemoryHigh',
        subject: expected.name,
        severity: 'warning',
        forMs: MEMORY_HIGH_FOR_MS,
        active: snapshot.pm2 ? over.length > 0 : 'unknown',
        summary: worst
          ? `${expected.name}: pm_id ${worst.pmId} uses ${formatBytes(worst.memoryBytes)} (limit ${formatBytes(limit)})${over.length > 1 ? `, ${over.length} instances over` : ''}`
          : `${expected.name}: every instance under ${formatBytes(limit)}`,
        source: 'pm2',
      };
    });
