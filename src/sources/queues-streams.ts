/**
 * The books kept on each queue's event stream (`<prefix>:<queue>:events`): the last id read (persisted
 * in the state file's `streams` section, so a restart neither re-counts nor skips events), completed and
 * failed totals since vigil started, and a small time series for the failure ratio over
 * `failureRate.window`. Counting from the stream keeps the totals true when `removeOnComplete` /
 * `removeOnFail` shrink the finished sets and when workers do not record metrics.
 */
import type { Logger } from '../log';
import type { StateStore } from '../state';

export const STATE_SECTION = 'streams';
/** Cursors of streams not seen for this long are forgotten (a queue deleted for good). */
const FORGET_AFTER_MS = 7 * 24 * 3600_000;
/** The failure-ratio window is kept in at most about this many buckets per queue. */
const BUCKETS_PER_WINDOW = 120;

export type FinishedStatus = 'completed' | 'failed';

export interface FinishedEvent {
  /** Epoch ms, from the stream entry's id. */
  at: number;
  status: FinishedStatus;
}

/** What one poll read from one stream. */
export interface StreamRead {
  stream: string;
  /** The new cursor: the last id read, or where reading starts when the stream was first seen. */
  cursor: string;
  events: readonly FinishedEvent[];
  windowMs: number;
}

export interface FinishedView {
  finished: { completed: number; failed: number };
  finishedInWindow: { completed: number; failed: number };
  failureRatio: number | null;
  lastFinishedAt: number | null;
}

interface StoredCursor {
  id: string;
  lastFinishedAt: number | null;
  seenAt: number;
}

interface Bucket {
  start: number;
  completed: number;
  failed: number;
}

interface Book {
  completed: number;
  failed: number;
  buckets: Bucket[];
}

/** Epoch ms of a stream id (`<ms>-<seq>`). */
export function streamIdTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Orders stream ids: negative when a < b. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}

export class StreamBook {
  private readonly cursors: Record<string, StoredCursor>;
  private readonly books = new Map<string, Book>();

  constructor(
    private readonly state: StateStore,
    logger: Logger,
  ) {
    this.cursors = loadCursors(state.get(STATE_SECTION), logger);
  }

  /** The last id read from this stream; null when vigil has never read it. */
  cursor(stream: string): string | null {
    return this.cursors[stream]?.id ?? null;
  }

  /** Applies one successful poll's reads, all at once, and hands the cursors to the state store. */
  commit(reads: readonly StreamRead[], now: number): void {
    for (const read of reads) {
      const stored = this.cursors[read.stream];
      let lastFinishedAt = stored?.lastFinishedAt ?? null;
      const book = this.book(read.stream);
      const width = Math.max(1000, Math.ceil(read.windowMs / BUCKETS_PER_WINDOW));
      for (const event of read.events) {
        book[event.status] += 1;
        lastFinishedAt = Math.max(lastFinishedAt ?? 0, event.at);
        if (event.at < now - read.windowMs) continue;
        const start = event.at - (event.at % width);
        let bucket = book.buckets.at(-1);
        if (!bucket || bucket.start !== start) book.buckets.push((bucket = { start, completed: 0, failed: 0 }));
        bucket[event.status] += 1;
      }
      while (book.buckets.length > 0 && book.buckets[0]!.start + width <= now - read.windowMs) book.buckets.shift();
      this.cursors[read.stream] = { id: read.cursor, lastFinishedAt, seenAt: now };
    }
    for (const [stream, c] of Object.entries(this.cursors)) if (now - c.seenAt > FORGET_AFTER_MS) delete this.cursors[stream];
    this.state.set(STATE_SECTION, { version: 1, cursors: this.cursors });
  }

  /** Totals, the window's counts and the failure ratio (null below `minJobs` finished in the window). */
  view(stream: string, windowMs: number, minJobs: number, now: number): FinishedView {
    const book = this.book(stream);
    const inWindow = { completed: 0, failed: 0 };
    for (const b of book.buckets) {
      if (b.start < now - windowMs) continue;
      inWindow.completed += b.completed;
      inWindow.failed += b.failed;
    }
    const total = inWindow.completed + inWindow.failed;
    return {
      finished: { completed: book.completed, failed: book.failed },
      finishedInWindow: inWindow,
      failureRatio: total > 0 && total >= minJobs ? inWindow.failed / total : null,
      lastFinishedAt: this.cursors[stream]?.lastFinishedAt ?? null,
    };
  }

  /** Forgets the in-memory counts of streams no longer watched, so their series disappear. */
  retain(streams: ReadonlySet<string>): void {
    for (const stream of this.books.keys()) if (!streams.has(stream)) this.books.delete(stream);
  }

  private book(stream: string): Book {
    let book = this.books.get(stream);
    if (!book) this.books.set(stream, (book = { completed: 0, failed: 0, buckets: [] }));
    return book;
  }
}

function loadCursors(raw: unknown, logger: Logger): Record<string, StoredCursor> {
  const cursors: Record<string, StoredCursor> = {};
  if (raw === undefined) return cursors;
  const stored = (raw as { cursors?: unknown } | null)?.cursors;
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    logger.warn({ section: STATE_SECTION }, 'stream cursors in the state file are unreadable; counting from the streams\' ends');
    return cursors;
  }
  for (const [stream, value] of Object.entries(stored as Record<string, unknown>)) {
    const v = value as Partial<StoredCursor> | null;
    if (typeof v?.id !== 'string' || !/^\d+-\d+$/.test(v.id)) continue;
    cursors[stream] = {
      id: v.id,
      lastFinishedAt: typeof v.lastFinishedAt === 'number' ? v.lastFinishedAt : null,
      seenAt: typeof v.seenAt === 'number' ? v.seenAt : Date.now(),
    };
  }
  return cursors;
}
