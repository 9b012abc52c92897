/**
 * The queue link (operations.md, Watchdog): a queue with jobs waiting, not paused and no worker attached
 * names its `consumer` app. When that app is not online, the watchdog's action on it is attributed to the
 * queue (the same action under the same guards: the PM2 rules decide). When it is online, a restart would
 * not help a worker that never connected: vigil says so and leaves it alone.
 */
import type { Config } from '../config/types';
import type { Snapshot } from '../snapshot';

export interface StarvedQueue {
  queue: string;
  consumer: string;
  waiting: number;
  /** The consumer app's PM2 verdict: online, missing, errored, ... ; null when PM2 is down. */
  consumerStatus: string | null;
}

/** Queues whose consumer should be working and is not: jobs waiting, not paused, 0 workers (known). */
export function starvedQueues(snapshot: Snapshot, config: Config): StarvedQueue[] {
  const out: StarvedQueue[] = [];
  for (const [name, listed] of Object.entries(config.queues.list)) {
    const q = snapshot.queues?.queues[name];
    if (!listed.consumer || !q || q.paused || q.workers !== 0) continue; // unknown (null) workers: no claim
    const waiting = q.counts.waiting + q.counts.prioritized;
    if (waiting === 0) continue;
    const app = snapshot.pm2?.apps[listed.consumer];
    out.push({ queue: name, consumer: listed.consumer, waiting, consumerStatus: snapshot.pm2 ? (app?.status ?? 'missing') : null });
  }
  return out;
}

/** The note for a starved queue whose consumer the watchdog will not touch; null when it may act. */
export function consumerNote(s: StarvedQueue, config: Config): string | null {
  if (s.consumerStatus === 'online') return `${s.consumer} is online but not connected to Redis?; not restarting it`;
  if (s.consumerStatus === null) return null;
  if (!config.pm2.expected[s.consumer]?.restart) return `${s.consumer} is ${s.consumerStatus === 'missing' ? 'not in PM2' : s.consumerStatus} and not on the restart allowlist (pm2.apps.${s.consumer}.restart)`;
  return null;
}

/** "queue avatar-generation: 20 waiting, no worker". */
export function queueReason(s: StarvedQueue): string {
  return `queue ${s.queue}: ${s.waiting} waiting, no worker`;
}
