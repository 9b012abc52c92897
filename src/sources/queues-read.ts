/**
 * The Redis reads of one queue poll, all read-only: after discovery, one pipeline with every
 * queue's counts, paused flag, oldest waiting job and stream position (one read-only script per chunk of
 * queues, queues-script.ts), one `CLIENT LIST` and one `XREAD` over every stream; further pipelines only
 * for more pages of events. Where scripts are refused, the per-queue reads are plain pipelined commands
 * and the job timestamps take one or two more pipelines. Key layout of bullmq 6
 * (`<prefix>:<queue>:<type>`); see field-notes.md.
 */
import { ReplyError, type ChainableCommander, type Redis } from 'ioredis';
import type { QueueJobState } from '../snapshot';
import { addScriptReads, parseScriptRead } from './queues-script';
import { compareStreamIds, streamIdTime, type FinishedEvent } from './queues-streams';

/** Events read per stream per request, and in total per poll (the rest is read by the next poll). */
export const EVENTS_PAGE = 1000;
export const EVENTS_PER_POLL = 20_000; // ioredis parses ~70,000 stream entries per second of CPU
const PRIORITY_BAND = 0x100000000; // bullmq: score = priority * 2^32 + counter

type Reply = [Error | null, unknown];

export const key = (prefix: string, queue: string, type: string) => `${prefix}:${queue}:${type}`;

export interface QueueRead {
  name: string;
  counts: Record<QueueJobState, number>;
  paused: boolean;
  /** Commands path only — candidates for the oldest waiting job: the tail of `wait`, the head of `prioritized`. */
  candidates: string[];
  /** Commands path only — the lowest priority band when `prioritized` holds more than one (its head is another candidate). */
  lowestBand: number | null;
  /** Epoch ms since when the oldest waiting job waits (script path; the commands path fills it later). */
  waitingSince: number | null;
  /** First id in the stream (gap check), or the last id when the stream is first seen; null when empty. */
  streamEdge: string | null;
  /** Set when one of the queue's keys has another type (not a bullmq queue): the queue is skipped. */
  wrongType: string | null;
}

/** A queue with nothing read yet; both read paths fill one in. */
export function emptyRead(name: string, wrongType: string | null = null): QueueRead {
  return {
    name,
    counts: { waiting: 0, active: 0, delayed: 0, prioritized: 0, waiting_children: 0, completed: 0, failed: 0 },
    paused: false,
    candidates: [],
    lowestBand: null,
    waitingSince: null,
    streamEdge: null,
    wrongType,
  };
}

export interface FirstRound {
  queues: QueueRead[];
  clientList: { list: string } | { error: Error };
  /** XREAD results: finished events and the last id read, per stream with new entries. */
  events: Map<string, StreamPage>;
}

export interface StreamPage {
  events: FinishedEvent[];
  lastId: string;
  /** Stream entries read (all kinds of event). */
  entries: number;
  full: boolean;
}

const PER_QUEUE = 12;

/**
 * One pipeline: every queue's reads (script, or plain commands when `useScript` is false), one CLIENT
 * LIST, one XREAD over every known cursor. With the script refused by the server (Redis < 7, ACL), returns
 * `scriptRefused` instead, and the caller reads again with plain commands.
 */
export async function readFirstRound(
  client: Redis, prefix: string, names: readonly string[], cursors: ReadonlyMap<string, string | null>, useScript: boolean,
): Promise<FirstRound | { scriptRefused: Error }> {
  const p = client.pipeline();
  const edge = (name: string) => (cursors.get(name) ? 'first' : 'last');
  const perQueueReplies = useScript ? addScriptReads(p, prefix, names, edge) : addCommandReads(p, prefix, names, edge);
  p.call('CLIENT', 'LIST');
  const reading = names.filter((n) => cursors.get(n));
  if (reading.length > 0) addXread(p, reading.map((n) => [key(prefix, n, 'events'), cursors.get(n)!]));
  const replies = await exec(p);

  let queues: QueueRead[];
  if (useScript) {
    const refused: Error | null | undefined = replies.slice(0, perQueueReplies).find(([err]) => err)?.[0];
    // A reply from the server (not a dead connection or a timeout) that is not a passing server state.
    if (refused && refused instanceof ReplyError && !/^(BUSY|LOADING|OOM|MASTERDOWN|TRYAGAIN)\b/.test(refused.message)) {
      return { scriptRefused: refused };
    }
    const results = replies.slice(0, perQueueReplies).flatMap((r) => value(r) as unknown[]);
    queues = names.map((name, i) => parseScriptRead(name, results[i]));
  } else {
    queues = names.map((name, i) => parseQueue(name, replies.slice(i * PER_QUEUE, (i + 1) * PER_QUEUE)));
  }
  const clientReply = replies[perQueueReplies]!;
  const clientList = clientReply[0] ? { error: clientReply[0] } : { list: String(clientReply[1]) };
  const events = reading.length > 0 ? parseXread(value(replies[perQueueReplies + 1]!)) : new Map<string, StreamPage>();
  return { queues, clientList, events };
}

function addCommandReads(p: ChainableCommander, prefix: string, names: readonly string[], edge: (name: string) => 'first' | 'last'): number {
  for (const name of names) {
    const k = (type: string) => key(prefix, name, type);
    p.llen(k('wait')).llen(k('active')).zcard(k('delayed')).zcard(k('prioritized')).zcard(k('waiting-children'));
    p.zcard(k('completed')).zcard(k('failed')).hexists(k('meta'), 'paused').lindex(k('wait'), -1);
    p.zrange(k('prioritized'), '0', '0', 'WITHSCORES').zrange(k('prioritized'), '-1', '-1', 'WITHSCORES');
    if (edge(name) === 'first') p.xrange(k('events'), '-', '+', 'COUNT', 1);
    else p.xrevrange(k('events'), '+', '-', 'COUNT', 1);
  }
  return names.length * PER_QUEUE;
}

function parseQueue(name: string, r: Reply[]): QueueRead {
  const wrong = r.find(([err]) => err?.message.startsWith('WRONGTYPE'));
  const read = emptyRead(name, wrong?.[0]?.message ?? null);
  if (read.wrongType) return read;
  const v = r.map(value);
  const n = (i: number) => Number(v[i] ?? 0);
  read.counts = { waiting: n(0), active: n(1), delayed: n(2), prioritized: n(3), waiting_children: n(4), completed: n(5), failed: n(6) };
  read.paused = n(7) === 1;
  if (typeof v[8] === 'string') read.candidates.push(v[8]);
  const head = v[9] as string[];
  const tail = v[10] as string[];
  if (head[0] !== undefined) read.candidates.push(head[0]);
  if (head[1] !== undefined && tail[1] !== undefined) {
    const [hb, tb] = [Math.floor(Number(head[1]) / PRIORITY_BAND), Math.floor(Number(tail[1]) / PRIORITY_BAND)];
    if (tb !== hb) read.lowestBand = tb;
  }
  const edge = v[11] as [string, unknown][];
  read.streamEdge = edge[0]?.[0] ?? null;
  return read;
}

/** Job ids of the head of each queue's lowest priority band (third candidate), in `queues` order. */
export async function readLowestBandHeads(client: Redis, prefix: string, queues: readonly QueueRead[]): Promise<(string | null)[]> {
  const p = client.pipeline();
  for (const q of queues) p.zrangebyscore(key(prefix, q.name, 'prioritized'), q.lowestBand! * PRIORITY_BAND, '+inf', 'LIMIT', 0, 1);
  return (await exec(p)).map((r) => (value(r) as string[])[0] ?? null);
}

/**
 * Epoch ms since when each job has waited: `timestamp + delay` for a job never processed (a delayed job
 * waits from its due time), `processedOn` for a job back in the queue (retried or stalled). Null when
 * the job hash is gone.
 */
export async function readWaitingSince(client: Redis, prefix: string, jobs: readonly { queue: string; id: string }[]): Promise<(number | null)[]> {
  if (jobs.length === 0) return [];
  const p = client.pipeline();
  for (const j of jobs) p.hmget(key(prefix, j.queue, j.id), 'timestamp', 'delay', 'processedOn');
  return (await exec(p)).map((r) => {
    const [timestamp, delay, processedOn] = (value(r) as (string | null)[]).map((x) => (x === null ? null : Number(x)));
    if (processedOn) return processedOn;
    if (!timestamp) return null;
    return timestamp + (delay ?? 0);
  });
}

/** Further XREAD pages for the streams whose last page was full. */
export async function readMoreEvents(client: Redis, from: ReadonlyMap<string, string>): Promise<Map<string, StreamPage>> {
  const p = client.pipeline();
  addXread(p, [...from]);
  return parseXread(value((await exec(p))[0]!));
}

/** True when `cursor` was trimmed away: the stream now starts after it, so events may have been lost. */
export function streamGap(cursor: string, firstId: string | null): boolean {
  return cursor !== '0-0' && firstId !== null && compareStreamIds(firstId, cursor) > 0;
}

function addXread(p: ChainableCommander, streams: readonly (readonly [string, string])[]): void {
  p.xread('COUNT', EVENTS_PAGE, 'STREAMS', ...streams.map(([s]) => s), ...streams.map(([, id]) => id));
}

function parseXread(reply: unknown): Map<string, StreamPage> {
  const pages = new Map<string, StreamPage>();
  for (const [stream, entries] of (reply ?? []) as [string, [string, string[]][]][]) {
    const events: FinishedEvent[] = [];
    for (const [id, fields] of entries) {
      const event = fields[0] === 'event' ? fields[1] : fieldValue(fields, 'event');
      if (event === 'completed' || event === 'failed') events.push({ at: streamIdTime(id), status: event });
    }
    pages.set(stream, { events, lastId: entries.at(-1)![0], entries: entries.length, full: entries.length >= EVENTS_PAGE });
  }
  return pages;
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

async function exec(p: ChainableCommander): Promise<Reply[]> {
  const replies = await p.exec();
  if (!replies) throw new Error('redis pipeline returned nothing');
  return replies as Reply[];
}

/** The reply's value; any error other than WRONGTYPE (handled per queue) fails the poll. */
function value(reply: Reply): unknown {
  const [err, v] = reply;
  if (err && !err.message.startsWith('WRONGTYPE')) throw err;
  return v;
}
