/** The human report of `vigil check`: the verdict, then a table per area of the snapshot. */
import { formatDuration } from '../config/units';
import type { HealthVerdict } from '../health';
import type { Snapshot } from '../snapshot';
import { renderTable } from './table';

export function checkReport(snapshot: Snapshot, verdict: HealthVerdict): string {
  const out: string[] = [`vigil check: ${verdict.status}`];
  for (const reason of verdict.body.reasons) out.push(`  ✗ ${reason}`);
  for (const warning of verdict.body.warnings) out.push(`  ! ${warning}`);
  for (const note of verdict.body.notes) out.push(`  i ${note}`);

  out.push('', renderTable(
    ['SOURCE', 'UP', 'POLL', 'ERROR'],
    Object.entries(snapshot.sources).map(([name, s]) => [name, s.up ? 'yes' : 'NO', `${s.durationMs}ms`, s.error ?? '']),
  ));

  const apps = Object.values(snapshot.pm2?.apps ?? {});
  if (apps.length > 0) {
    out.push('', renderTable(
      ['APP', 'STATUS', 'ONLINE', 'EXPECTED', 'RESTARTS', 'MEMORY'],
      apps.map((app) => {
        const procs = snapshot.pm2!.processes.filter((p) => p.name === app.name);
        return [
          app.name,
          app.status,
          app.online,
          app.expected ?? '-',
          procs.reduce((n, p) => n + p.restarts, 0),
          `${Math.round(procs.reduce((n, p) => n + p.memoryBytes, 0) / 1e6)}MB`,
        ];
      }),
    ));
  }

  const queues = Object.values(snapshot.queues?.queues ?? {});
  if (queues.length > 0) {
    out.push('', renderTable(
      ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'WORKERS', 'OLDEST WAITING', 'PAUSED'],
      queues.map((q) => [
        q.name,
        q.counts.waiting + q.counts.prioritized,
        q.counts.active,
        q.counts.delayed,
        q.counts.failed,
        q.workers ?? 'unknown',
        q.oldestWaitingSeconds > 0 ? formatDuration(q.oldestWaitingSeconds * 1000) : '-',
        q.paused ? 'yes' : 'no',
      ]),
    ));
  }

  const checks = Object.values(snapshot.checks?.checks ?? {});
  if (checks.length > 0) {
    out.push('', renderTable(
      ['CHECK', 'UP', 'ROWS', 'OLDEST', 'SAMPLE', 'ERROR'],
      checks.map((c) => [
        c.name,
        c.up ? 'yes' : 'NO',
        c.rows,
        c.oldestSeconds === null ? '-' : formatDuration(c.oldestSeconds * 1000),
        c.sampleIds.slice(0, 3).join(', '),
        c.error ?? '',
      ]),
    ));
  }
  return `${out.join('\n')}\n`;
}
