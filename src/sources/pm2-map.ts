/** Maps PM2's process list to the snapshot's apps and processes. Picks fields from `pm2_env` (which holds
 * every environment variable of every app, secrets included) and never passes the object on. */
import type { ExpectedApp } from '../config/types';
import { PM2_STATUSES, type Pm2App, type Pm2AppStatus, type Pm2Data, type Pm2Process, type Pm2Status } from '../snapshot';
import type { RawPm2Process } from '../pm2/connection';

/** The non-online statuses, most telling first: the one an app's verdict names. */
const WORST_FIRST: readonly Pm2Status[] = ['errored', 'waiting_restart', 'stopped', 'stopping', 'launching', 'one_launch_status'];

export function mapProcess(raw: RawPm2Process | null, now: number): Pm2Process | null {
  if (raw === null || typeof raw !== 'object') return null;
  const env = raw.pm2_env !== null && typeof raw.pm2_env === 'object' ? raw.pm2_env : {};
  const name = typeof raw.name === 'string' ? raw.name : typeof env.name === 'string' ? env.name : null;
  const pmId = toNumber(raw.pm_id ?? env.pm_id);
  if (name === null || pmId === null) return null;
  const status = normaliseStatus(env.status);
  const startedAt = toNumber(env.pm_uptime);
  const pid = toNumber(raw.pid);
  return {
    name,
    pmId,
    pid: pid !== null && pid > 0 ? pid : null,
    status,
    restarts: Math.max(0, toNumber(env.restart_time) ?? 0),
    memoryBytes: Math.max(0, toNumber(raw.monit?.memory) ?? 0),
    cpuRatio: Math.max(0, (toNumber(raw.monit?.cpu) ?? 0) / 100),
    uptimeSeconds: status === 'online' && startedAt !== null ? Math.max(0, (now - startedAt) / 1000) : 0,
  };
}

/** PM2 says `waiting restart` (with a space) and `one-launch-status`; the metric labels use underscores. */
export function normaliseStatus(raw: unknown): Pm2Status {
  const s = String(raw ?? '').replace(/[ -]/g, '_');
  return (PM2_STATUSES as readonly string[]).includes(s) ? (s as Pm2Status) : 'errored';
}

export function buildPm2Data(raw: readonly RawPm2Process[], expected: Readonly<Record<string, ExpectedApp>>, now: number): Pm2Data {
  const processes = raw.map((r) => mapProcess(r, now)).filter((p): p is Pm2Process => p !== null);
  const names = new Set([...Object.keys(expected), ...processes.map((p) => p.name)]);
  const apps: Record<string, Pm2App> = {};
  for (const name of [...names].sort()) {
    apps[name] = appVerdict(name, expected[name]?.instances ?? null, processes.filter((p) => p.name === name));
  }
  return { processes, apps };
}

function appVerdict(name: string, expected: number | null, procs: readonly Pm2Process[]): Pm2App {
  const instances = Object.fromEntries(PM2_STATUSES.map((s) => [s, 0])) as Record<Pm2Status, number>;
  for (const p of procs) instances[p.status] += 1;
  const online = instances.online;
  const up = expected === null ? procs.length > 0 && online === procs.length : online >= expected;
  let status: Pm2AppStatus;
  if (up) status = 'online';
  else if (procs.length === 0) status = 'missing';
  else status = WORST_FIRST.find((s) => instances[s] > 0) ?? 'partial';
  return { name, expected, online, instances, status, up };
}

function toNumber(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}
