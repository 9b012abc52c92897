/**
 * Health rule for queues: a queue whose `consumer` is configured, with jobs waiting, not paused and no
 * worker attached, fails /health. The reason names the consumer app and its PM2 state. When worker counts
 * are unknown (CLIENT LIST refused or disabled) it falls back to "jobs wait, none is active and none has
 * finished for `noConsumer.for`", and says in a note that the counts are unknown.
 */
import { formatDuration } from '../config/units';
import type { QueueState, Snapshot } from '../snapshot';
import type { HealthRule } from './types';

export const queuesWithoutConsumer: HealthRule = (snapshot, runtime) => {
  const data = snapshot.queues;
  const failing: string[] = [];
  const notes: string[] = [];
  if (!data) return { failing, warnings: [] }; // Redis down: sourcesDown says so
  if (data.workersUnknownReason !== null) {
    notes.push(`queue workers unknown (${data.workersUnknownReason}): a queue counts as without consumer when jobs wait, none is active and none finished for its noConsumer.for`);
  }
  const now = runtime.now();
  for (const [name, listed] of Object.entries(runtime.config.queues.list)) {
    const q = data.queues[name];
    if (!q || listed.consumer === null || q.paused) continue;
    const waiting = q.counts.waiting + q.counts.prioritized;
    if (waiting === 0) continue;
    if (q.workers === 0) {
      failing.push(`queue ${name}: ${waiting} waiting, no worker; consumer ${consumerState(snapshot, listed.consumer)}`);
    } else if (q.workers === null && stalledWithoutWorkers(q, listed.noConsumer.for, now)) {
      failing.push(
        `queue ${name}: ${waiting} waiting, none active, none finished for ${formatDuration(listed.noConsumer.for)} (workers unknown); ` +
          `consumer ${consumerState(snapshot, listed.consumer)}`,
      );
    }
  }
  return { failing, warnings: [], notes };
};

/** The fallback verdict when worker counts are unknown. */
function stalledWithoutWorkers(q: QueueState, forMs: number, now: number): boolean {
  if (q.counts.active > 0) return false;
  if (q.oldestWaitingSeconds * 1000 < forMs) return false;
  return q.lastFinishedAt === null || now - q.lastFinishedAt >= forMs;
}

/** "avatar-generator-worker: not in PM2", "...: stopped", "...: online but not connected to Redis?". */
export function consumerState(snapshot: Snapshot, consumer: string): string {
  if (!snapshot.pm2) return `${consumer}: PM2 state unknown`;
  const app = snapshot.pm2.apps[consumer];
  if (!app || app.status === 'missing') return `${consumer}: not in PM2`;
  const status = app.status === 'waiting_restart' ? 'waiting restart' : app.status;
  return app.status === 'online' ? `${consumer}: online but not connected to Redis?` : `${consumer}: ${status}`;
}
