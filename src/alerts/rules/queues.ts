/**
 * The Queue* alerts, over the queue source's data (`snapshot.queues`). Each queue uses its `queues.list`
 * entry, else `queues.defaults`. Held while Redis is down.
 */
import type { ListedQueue, QueueRules } from '../../config/types';
import type { QueueState, Snapshot } from '../../snapshot';
import type { Condition } from '../types';
import type { Rule, RuleContext } from './context';
import { formatDuration } from '../../config/units';
import { appStateText } from './pm2';

type Rules = QueueRules & { consumer: string | null };

function rulesFor(ctx: RuleContext, name: string): Rules {
  const listed: ListedQueue | undefined = ctx.config.queues.list[name];
  return listed ?? { ...ctx.config.queues.defaults, consumer: null };
}

const waitingOf = (q: QueueState) => q.counts.waiting + q.counts.prioritized;

function eachQueue(ctx: RuleContext, build: (q: QueueState, rules: Rules) => Condition): Condition[] {
  return Object.values(ctx.snapshot.queues?.queues ?? {}).map((q) => build(q, rulesFor(ctx, q.name)));
}

/** "avatar-generator-worker: not in PM2", from the snapshot's PM2 data. */
function consumerText(snapshot: Snapshot, consumer: string | null): string {
  if (consumer === null) return 'no consumer app configured';
  if (!snapshot.pm2) return `${consumer}: PM2 state unknown`;
  const app = snapshot.pm2.apps[consumer];
  const state = appStateText(app);
  return `${consumer}: ${state === 'online' ? 'online but not connected to Redis?' : state}`;
}

/**
 * QueueNoConsumer: jobs wait, the queue is not paused, and no worker is attached. When the worker count
 * is unknown (CLIENT LIST refused), the fallback of operations.md: jobs wait, none is active, and no job
 * has finished for `noConsumer.for`.
 */
export const queueNoConsumer: Rule = (ctx) =>
  eachQueue(ctx, (q, rules): Condition => {
    const waiting = waitingOf(q);
    const base = { alertname: 'QueueNoConsumer', subject: q.name, severity: 'critical' as const, source: 'redis' as const };
    const consumer = consumerText(ctx.snapshot, rules.consumer);
    if (q.workers !== null) {
      return {
        ...base,
        forMs: rules.noConsumer.for,
        active: waiting > 0 && !q.paused && q.workers === 0,
        summary: `${waiting} waiting, no worker; ${consumer}`,
      };
    }
    const idleFor = q.lastFinishedAt === null ? null : ctx.now - q.lastFinishedAt;
    return {
      ...base,
      // With a known last finish, "no job finished for `for`" is measured from it; otherwise from now on.
      forMs: idleFor === null ? rules.noConsumer.for : 0,
      active: waiting > 0 && !q.paused && q.counts.active === 0 && (idleFor === null || idleFor >= rules.noConsumer.for),
      summary: `${waiting} waiting, none active, no job finished ${idleFor === null ? 'since vigil started' : `for ${formatDuration(idleFor)}`} (worker count unknown); ${consumer}`,
    };
  });

/** QueueBacklog: more than `backlog.above` jobs wait (waiting + prioritized). */
export const queueBacklog: Rule = (ctx) =>
  eachQueue(ctx, (q, rules) => ({
    alertname: 'QueueBacklog',
    subject: q.name,
    severity: 'warning',
    forMs: rules.backlog.for,
    active: waitingOf(q) > rules.backlog.above,
    summary: `${waitingOf(q)} waiting (above ${rules.backlog.above}), ${q.counts.active} active`,
    source: 'redis',
  }));

/** QueueOldestWaiting: the oldest waiting job is older than `oldestWaiting.above`. */
export const queueOldestWaiting: Rule = (ctx) =>
  eachQueue(ctx, (q, rules) => ({
    alertname: 'QueueOldestWaiting',
    subject: q.name,
    severity: 'warning',
    forMs: 0,
    active: q.oldestWaitingSeconds * 1000 > rules.oldestWaiting.above,
    summary: `oldest waiting job is ${formatDuration(q.oldestWaitingSeconds * 1000)} old (above ${formatDuration(rules.oldestWaiting.above)}), ${waitingOf(q)} waiting`,
    source: 'redis',
  }));

/** QueueFailureRate: failed / finished over the window above `failureRate.above`, with at least `minJobs` finished. */
export const queueFailureRate: Rule = (ctx) =>
  eachQueue(ctx, (q, rules) => {
    const { completed, failed } = q.finishedInWindow;
    const finished = completed + failed;
    const ratio = q.failureRatio;
    return {
      alertname: 'QueueFailureRate',
      subject: q.name,
      severity: 'warning',
      forMs: 0,
      active: ratio !== null && finished >= rules.failureRate.minJobs && ratio > rules.failureRate.above,
      summary: `${ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}%`} failed (${failed} of ${finished} in ${formatDuration(rules.failureRate.window)}; above ${(rules.failureRate.above * 100).toFixed(1)}%)`,
      source: 'redis',
    };
  });
