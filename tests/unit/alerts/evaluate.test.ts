// The pure state machine, table-driven: each case is a sequence of (seconds, input) steps and the phase
// expected after each. Time is an argument; nothing sleeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, advanceAll, type Input } from '../../../src/alerts/evaluate';
import { alertKey, type AlertState, type Condition } from '../../../src/alerts/types';
import { config, snapshot } from './support';

const T0 = 1_000_000;
const cond = (active: Condition['active'], forMs = 30_000): Condition => ({
  alertname: 'QueueNoConsumer',
  subject: 'q',
  severity: 'critical',
  forMs,
  active,
  summary: active === true ? '3 waiting, no worker' : 'ok',
  source: 'redis',
});

type Step = [seconds: number, input: Input, expected: AlertState['phase'] | null];

const cases: Array<{ name: string; steps: Step[] }> = [
  { name: 'inactive stays inactive', steps: [[0, cond(false), null], [5, cond(false), null]] },
  {
    name: 'pending until `for` has elapsed, then firing',
    steps: [[0, cond(true), 'pending'], [25, cond(true), 'pending'], [30, cond(true), 'firing'], [35, cond(true), 'firing']],
  },
  { name: 'for 0s fires at once', steps: [[0, cond(true, 0), 'firing']] },
  {
    name: 'a flap shorter than `for` leaves nothing behind',
    steps: [[0, cond(true), 'pending'], [20, cond(false), null], [25, cond(true), 'pending'], [50, cond(true), 'pending'], [55, cond(true), 'firing']],
  },
  { name: 'firing then false: resolved', steps: [[0, cond(true, 0), 'firing'], [5, cond(false), 'resolved'], [10, cond(false), 'resolved']] },
  {
    name: 'held (source down) neither fires nor resolves',
    steps: [[0, cond(true, 0), 'firing'], [5, 'held', 'firing'], [60, cond('unknown'), 'firing'], [65, cond(false), 'resolved']],
  },
  { name: 'held while pending does not fire', steps: [[0, cond(true), 'pending'], [40, 'held', 'pending'], [45, cond(true), 'firing']] },
  { name: 'held while inactive creates nothing', steps: [[0, 'held', null], [5, cond('unknown'), null]] },
  { name: 'a subject that disappeared resolves', steps: [[0, cond(true, 0), 'firing'], [5, 'inactive', 'resolved']] },
  {
    name: 'true again before the resolution went out: firing again, same incident',
    steps: [[0, cond(true, 0), 'firing'], [5, cond(false), 'resolved'], [6, cond(true), 'firing']],
  },
];

for (const c of cases) {
  test(`state machine: ${c.name}`, () => {
    let state: AlertState | null = null;
    for (const [s, input, expected] of c.steps) {
      state = advance(state, input, T0 + s * 1000);
      assert.equal(state?.phase ?? null, expected, `after t=${s}s`);
    }
  });
}

test('firingSince, activeSince and resolvedAt carry the times of their transitions', () => {
  let s = advance(null, cond(true), T0);
  s = advance(s, cond(true), T0 + 30_000);
  assert.equal(s?.activeSince, T0);
  assert.equal(s?.firingSince, T0 + 30_000);
  s = advance(s, cond(false), T0 + 90_000);
  assert.equal(s?.resolvedAt, T0 + 90_000);
  assert.equal(s?.firingSince, T0 + 30_000, 'how long it lasted is still known');
});

test('the summary follows the latest condition while active, not while held', () => {
  let s = advance(null, { ...cond(true, 0), summary: 'a' }, T0);
  s = advance(s, { ...cond(true, 0), summary: 'b' }, T0 + 1);
  assert.equal(s?.summary, 'b');
  s = advance(s, { ...cond('unknown'), summary: 'c' }, T0 + 2);
  assert.equal(s?.summary, 'b');
});

test('advanceAll: a missing condition whose source is down is held; whose source is up, resolves', () => {
  const cfg = config();
  const firing = (alertname: string, source: Condition['source']) => advance(null, { ...cond(true, 0), alertname, source }, T0)!;
  const a = alertKey('QueueBacklog', 'q');
  const b = alertKey('Pm2AppMemoryHigh', 'q');
  const previous = { [a]: firing('QueueBacklog', 'redis'), [b]: firing('Pm2AppMemoryHigh', 'pm2') };
  const snap = snapshot(cfg, { time: T0 + 5000, sources: ['pm2', 'redis'], down: ['redis'] });
  const next = advanceAll(previous, [], snap, T0 + 5000);
  assert.equal(next[a]?.phase, 'firing', 'redis is down: QueueBacklog held');
  assert.equal(next[b]?.phase, 'resolved', 'pm2 is up and no longer lists it');
});

test('advanceAll: a present condition of a source that is down is held even when it says false', () => {
  const cfg = config();
  const key = alertKey('QueueNoConsumer', 'q');
  const previous = { [key]: advance(null, cond(true, 0), T0)! };
  const snap = snapshot(cfg, { time: T0 + 5000, sources: ['redis'], down: ['redis'] });
  const next = advanceAll(previous, [cond(false)], snap, T0 + 5000);
  assert.equal(next[key]?.phase, 'firing');
  const up = snapshot(cfg, { time: T0 + 9000, sources: ['redis'] });
  assert.equal(advanceAll(next, [cond(false)], up, T0 + 9000)[key]?.phase, 'resolved', 'and resolves once redis answers again');
});
