/**
 * The queue source (`redis`): BullMQ counts per state, paused flag, workers, oldest waiting job and
 * finished counters for every listed and discovered queue, in a handful of pipelined round trips on one
 * connection. It only reads: no `meta` key is created, no job is touched.
 */
import type { Config, QueueRules } from '../config/types';
import type { Logger } from '../log';
import type { QueueState, QueuesData } from '../snapshot';
import type { StateStore } from '../state';
import {
  discoverQueues, EVENTS_PER_POLL, key, readFirstRound, readLowestBandHeads, readMoreEvents, readWaitingSince, streamGap,
  type QueueRead, type StreamPage,
} from './queues-read';
import { StreamBook, type StreamRead } from './queues-streams';
import { countWorkers, workersUnknownReason } from './queues-workers';
import { RedisLink } from './redis-link';
import type { Source } from './source';

export interface QueuesSourceDeps {
  logger: Logger;
  state: StateStore;
  now?: () => number;
}

export function queuesSource(config: Config, deps: QueuesSourceDeps): Source<'redis'> {
  const link = new RedisLink({ url: config.redis.url, timeoutMs: config.poll.timeout });
  const book = new StreamBook(deps.state, deps.logger);
  const prefix = config.redis.prefix;
  const now = deps.now ?? Date.now;
  const warned = new Set<string>();
  const rulesOf = (queue: string): QueueRules => config.queues.list[queue] ?? config.queues.defaults;
  const stream = (queue: string) => key(prefix, queue, 'events');

  async function poll(): Promise<QueuesData> {
    const client = await link.ready();
    const names = new Set(Object.keys(config.queues.list));
    if (config.queues.discover) for (const name of await discoverQueues(client, prefix)) names.add(name);
    const cursors = new Map([...names].map((n) => [n, book.cursor(stream(n))]));
    const first = await readFirstRound(client, prefix, [...names], cursors);

    const queues = first.queues.filter((q) => {
      if (!q.wrongType) return true;
      if (!warned.has(q.name)) deps.logger.warn({ queue: q.name, error: q.wrongType }, 'not a bullmq queue (a key has another type); skipped');
      warned.add(q.name);
      return false;
    });
    const [since, pages] = await Promise.all([oldestWaitingSince(client, queues), readAllEvents(client, first.events)]);

    const reads: StreamRead[] = [];
    for (const q of queues) {
      const cursor = cursors.get(q.name) ?? null;
      const windowMs = rulesOf(q.name).failureRate.window;
      if (cursor === null) {
        // First sight: count from the stream's end ("since vigil started"); '0-0' when it has no entry yet.
        reads.push({ stream: stream(q.name), cursor: q.streamEdge ?? '0-0', events: [], windowMs });
        continue;
      }
      if (streamGap(cursor, q.streamEdge)) {
        deps.logger.warn({ queue: q.name, cursor, firstId: q.streamEdge }, 'event stream trimmed past the stored cursor: finished jobs in the gap are not counted');
      }
      const page = pages.get(stream(q.name));
      reads.push({ stream: stream(q.name), cursor: page?.lastId ?? cursor, events: page?.events ?? [], windowMs });
    }
    const at = now();
    book.commit(reads, at);
    book.retain(new Set(queues.map((q) => stream(q.name))));

    const workers = 'list' in first.clientList ? countWorkers(first.clientList.list, prefix) : null;
    const unknown = 'error' in first.clientList ? workersUnknownReason(first.clientList.error) : null;
    if ('error' in first.clientList && unknown === null) throw first.clientList.error;

    const result: Record<string, QueueState> = {};
    for (const q of queues) {
      const rules = rulesOf(q.name);
      const oldest = since.get(q.name) ?? null;
      result[q.name] = {
        name: q.name,
        counts: q.counts,
        paused: q.paused,
        workers: workers ? (workers.get(q.name) ?? 0) : null,
        oldestWaitingSeconds: oldest === null || q.counts.waiting + q.counts.prioritized === 0 ? 0 : Math.max(0, (at - oldest) / 1000),
        ...book.view(stream(q.name), rules.failureRate.window, rules.failureRate.minJobs, at),
      };
    }
    return { queues: result, workersUnknownReason: unknown };
  }

  /** Epoch ms since when each queue's oldest waiting job has waited (absent when none waits). */
  async function oldestWaitingSince(client: Awaited<ReturnType<RedisLink['ready']>>, queues: readonly QueueRead[]): Promise<Map<string, number>> {
    const banded = queues.filter((q) => q.lowestBand !== null);
    const heads = banded.length > 0 ? await readLowestBandHeads(client, prefix, banded) : [];
    const jobs = queues.flatMap((q) => q.candidates.map((id) => ({ queue: q.name, id })));
    heads.forEach((id, i) => id !== null && jobs.push({ queue: banded[i]!.name, id }));
    const times = await readWaitingSince(client, prefix, jobs);
    const oldest = new Map<string, number>();
    jobs.forEach((j, i) => {
      const t = times[i];
      if (t !== null && t !== undefined) oldest.set(j.queue, Math.min(oldest.get(j.queue) ?? Infinity, t));
    });
    return oldest;
  }

  /** Follows full pages until every stream is read to its end or the per-poll budget is spent. */
  async function readAllEvents(client: Awaited<ReturnType<RedisLink['ready']>>, firstPages: Map<string, StreamPage>): Promise<Map<string, StreamPage>> {
    const all = new Map(firstPages);
    let budget = EVENTS_PER_POLL - [...firstPages.values()].reduce((n, p) => n + p.entries, 0);
    let more = new Map([...firstPages].filter(([, p]) => p.full).map(([s, p]) => [s, p.lastId]));
    while (more.size > 0 && budget > 0) {
      const next = await readMoreEvents(client, more);
      more = new Map();
      for (const [s, page] of next) {
        const before = all.get(s)!;
        all.set(s, { events: [...before.events, ...page.events], lastId: page.lastId, entries: before.entries + page.entries, full: page.full });
        budget -= page.entries;
        if (page.full) more.set(s, page.lastId);
      }
    }
    return all;
  }

  return {
    name: 'redis',
    async poll(signal) {
      let done = false;
      // Abandoned at the deadline: drop the connection so nothing stale is left in flight for the next poll.
      signal.addEventListener('abort', () => done || link.reset(), { once: true });
      try {
        return await poll();
      } finally {
        done = true;
      }
    },
    close: () => link.close(),
  };
}
