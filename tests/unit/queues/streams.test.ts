import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../../src/log';
import { compareStreamIds, STATE_SECTION, StreamBook, streamIdTime, type FinishedEvent } from '../../../src/sources/queues-streams';
import { StateStore } from '../../../src/state';

const logger = createLogger({ level: 'silent', secrets: [] });
const MIN = 60_000;
const store = () => StateStore.load(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-streams-')), 'state.json'), logger);
const events = (at: number, completed: number, failed: number): FinishedEvent[] => [
  ...Array.from({ length: completed }, () => ({ at, status: 'completed' as const })),
  ...Array.from({ length: failed }, () => ({ at, status: 'failed' as const })),
];

test('stream ids: time and order', () => {
  assert.equal(streamIdTime('1795967308833-12'), 1795967308833);
  assert.ok(compareStreamIds('1-9', '1-10') < 0);
  assert.ok(compareStreamIds('2-0', '1-99') > 0);
  assert.equal(compareStreamIds('5-5', '5-5'), 0);
});

test('totals since start, counts in the window, ratio only from minJobs on', () => {
  const book = new StreamBook(store(), logger);
  const t0 = 1_000_000_000_000;
  book.commit([{ stream: 's', cursor: '1-0', events: [], windowMs: 15 * MIN }], t0);
  assert.deepEqual(book.view('s', 15 * MIN, 20, t0), {
    finished: { completed: 0, failed: 0 }, finishedInWindow: { completed: 0, failed: 0 }, failureRatio: null, lastFinishedAt: null,
  });
  book.commit([{ stream: 's', cursor: '2-0', events: events(t0 + MIN, 15, 3), windowMs: 15 * MIN }], t0 + MIN);
  let v = book.view('s', 15 * MIN, 20, t0 + MIN);
  assert.deepEqual(v.finishedInWindow, { completed: 15, failed: 3 });
  assert.equal(v.failureRatio, null, '18 < minJobs 20');
  book.commit([{ stream: 's', cursor: '3-0', events: events(t0 + 10 * MIN, 1, 1), windowMs: 15 * MIN }], t0 + 10 * MIN);
  v = book.view('s', 15 * MIN, 20, t0 + 10 * MIN);
  assert.equal(v.failureRatio, 4 / 20);
  assert.equal(v.lastFinishedAt, t0 + 10 * MIN);
  // 20 minutes later the first burst has left the window; the totals stay.
  book.commit([{ stream: 's', cursor: '3-0', events: [], windowMs: 15 * MIN }], t0 + 20 * MIN);
  v = book.view('s', 15 * MIN, 1, t0 + 20 * MIN);
  assert.deepEqual(v.finished, { completed: 16, failed: 4 });
  assert.deepEqual(v.finishedInWindow, { completed: 1, failed: 1 });
  assert.equal(v.failureRatio, 0.5);
});

test('events older than the window (read after a restart) count in the totals, not in the ratio', () => {
  const book = new StreamBook(store(), logger);
  const now = 2_000_000_000_000;
  book.commit([{ stream: 's', cursor: '9-0', events: [...events(now - 60 * MIN, 5, 5), ...events(now - MIN, 4, 0)], windowMs: 15 * MIN }], now);
  const v = book.view('s', 15 * MIN, 0, now);
  assert.deepEqual(v.finished, { completed: 9, failed: 5 });
  assert.deepEqual(v.finishedInWindow, { completed: 4, failed: 0 });
  assert.equal(v.failureRatio, 0);
});

test('cursors and lastFinishedAt persist in the "streams" section and survive a restart; totals restart at 0', async () => {
  const state = store();
  const book = new StreamBook(state, logger);
  book.commit([{ stream: 'bull:q:events', cursor: '1700000000000-3', events: events(1700000000000, 2, 0), windowMs: MIN }], 1700000000001);
  await state.flush();
  const reloaded = StateStore.load(state.file, logger);
  assert.deepEqual((reloaded.get(STATE_SECTION) as { cursors: unknown }).cursors, {
    'bull:q:events': { id: '1700000000000-3', lastFinishedAt: 1700000000000, seenAt: 1700000000001 },
  });
  const again = new StreamBook(reloaded, logger);
  assert.equal(again.cursor('bull:q:events'), '1700000000000-3');
  assert.equal(again.cursor('bull:other:events'), null);
  assert.deepEqual(again.view('bull:q:events', MIN, 0, 1700000000001).finished, { completed: 0, failed: 0 });
});

test('a corrupt section is ignored (with a warning), bad entries are dropped', () => {
  const lines: string[] = [];
  const warnLogger = createLogger({ level: 'warn', secrets: [], write: (l) => lines.push(l) });
  const state = store();
  state.set(STATE_SECTION, { version: 1, cursors: { ok: { id: '5-1', lastFinishedAt: null, seenAt: 1 }, bad: { id: 'nope' }, worse: null } });
  const book = new StreamBook(state, warnLogger);
  assert.equal(book.cursor('ok'), '5-1');
  assert.equal(book.cursor('bad'), null);
  state.set(STATE_SECTION, 'garbage');
  assert.equal(new StreamBook(state, warnLogger).cursor('ok'), null);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /stream cursors in the state file are unreadable/);
});
