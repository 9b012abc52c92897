/** Health rule for PM2: every expected app has at least its expected instances online. */
import type { Pm2App } from '../snapshot';
import type { HealthRule } from './types';

export function describeApp(app: Pm2App): string {
  const status = app.status === 'waiting_restart' ? 'waiting restart' : app.status;
  return `app ${app.name}: ${app.online}/${app.expected ?? app.online} online (${status})`;
}

export const pm2AppsDown: HealthRule = (snapshot) => ({
  failing: Object.values(snapshot.pm2?.apps ?? {})
    .filter((app) => app.expected !== null && !app.up)
    .map(describeApp),
  warnings: [],
});
