// The watchdog's decision, table-driven, with time as an argument (no sleeps, no PM2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExpectedApp } from '../../../src/config/types';
import { buildPm2Data } from '../../../src/sources/pm2-map';
import type { RawPm2Process } from '../../../src/pm2/connection';
import { decide, FRESH, PM2_BACKOFF_CAP_MS, type AppMemory, type Decision, type WatchdogRules } from '../../../src/watchdog/decide';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const S = 1000;
const RULES: WatchdogRules = { grace: 15 * S, budget: { restarts: 3, within: 600 * S }, cooldown: 1800 * S, restartStopped: false };
const APP: ExpectedApp = { name: 'w', instances: 1, restart: true, memoryLimit: null, definition: { name: 'w', script: 'w.js' } };

/** PM2 list entries for app `w`: one per status, pm_id in order, started `upFor` seconds before `now`. */
function procs(statuses: string[], now: number, upFor = 60): RawPm2Process[] {
  return statuses.map((status, i) => ({ name: 'w', pm_id: i, pid: 100 + i, pm2_env: { status, pm_uptime: now - upFor * S, restart_time: 0 } }));
}

function run(statuses: string[], opts: { now?: number; memory?: Partial<AppMemory>; expected?: Partial<ExpectedApp>; rules?: Partial<WatchdogRules>; maintenance?: boolean; upFor?: number } = {}): Decision {
  const now = opts.now ?? T0;
  const expected = { ...APP, ...opts.expected };
  const data = buildPm2Data(procs(statuses, now, opts.upFor), { w: expected }, now);
  return decide({
    expected,
    app: data.apps.w,
    processes: data.processes,
    rules: { ...RULES, ...opts.rules },
    memory: { ...FRESH, ...opts.memory },
    now,
    maintenance: opts.maintenance ?? false,
  });
}

const summary = (d: Decision) => (d.kind === 'act' ? `${d.action} ${JSON.stringify(d.steps)}` : d.kind === 'gave_up' ? 'gave_up' : `none: ${d.why}`);

describe('what the watchdog does with a bad state that has lasted long enough', () => {
  const cases: Array<[string, string[], Partial<ExpectedApp>, string]> = [
    ['missing → start from the ecosystem definition', [], {}, 'start [{"op":"start"}]'],
    ['missing without a definition → nothing to start it from', [], { definition: null }, 'none: not in PM2 and not in the ecosystem file: nothing to start it from'],
    ['errored → restart that instance', ['errored'], {}, 'restart [{"op":"restart","pmId":0,"waiting":false}]'],
    ['stopped → left alone (someone stopped it)', ['stopped'], {}, 'none: stopped (by an operator?); restartStopped is off'],
    ['launching → left alone', ['launching'], {}, 'none: PM2 is starting or stopping it'],
    ['stopping → left alone', ['stopping'], {}, 'none: PM2 is starting or stopping it'],
    ['one-launch-status → left alone', ['one-launch-status'], {}, 'none: PM2 is starting or stopping it'],
    ['online → nothing', ['online'], {}, 'none: null'],
    ['1 of 2 instances listed → scale up by one', ['online'], { instances: 2 }, 'start [{"op":"scale","fromPmId":0,"count":1}]'],
    ['1 errored + 1 online of 2 → restart only the errored one', ['online', 'errored'], { instances: 2 }, 'restart [{"op":"restart","pmId":1,"waiting":false}]'],
    ['1 errored of 3 → restart it and scale up by two', ['errored'], { instances: 3 }, 'restart [{"op":"restart","pmId":0,"waiting":false},{"op":"scale","fromPmId":0,"count":2}]'],
    ['not on the allowlist → never', ['errored'], { restart: false }, 'none: null'],
    ['not on the allowlist, missing → never', [], { restart: false }, 'none: null'],
  ];
  for (const [name, statuses, expected, want] of cases) {
    test(name, () => {
      assert.equal(summary(run(statuses, { expected, memory: { badSince: T0 - RULES.grace } })), want);
    });
  }

  test('stopped is restarted when restartStopped is on', () => {
    assert.equal(summary(run(['stopped'], { rules: { restartStopped: true }, memory: { badSince: T0 - RULES.grace } })), 'restart [{"op":"restart","pmId":0,"waiting":false}]');
  });
});

describe('grace', () => {
  test('the first sighting of a bad state starts its clock; nothing happens before grace', () => {
    const first = run(['errored']);
    assert.equal(summary(first), 'none: within grace');
    assert.equal(first.memory.badSince, T0);
    assert.equal(summary(run(['errored'], { now: T0 + RULES.grace - 1, memory: first.memory })), 'none: within grace');
    assert.equal(run(['errored'], { now: T0 + RULES.grace, memory: first.memory }).kind, 'act');
  });

  test('waiting restart is given grace + PM2 backoff cap (15 s)', () => {
    const memory = { badSince: T0 };
    assert.equal(summary(run(['waiting restart'], { now: T0 + RULES.grace + PM2_BACKOFF_CAP_MS - 1, memory })), 'none: within grace');
    assert.equal(summary(run(['waiting restart'], { now: T0 + RULES.grace + PM2_BACKOFF_CAP_MS, memory })), 'restart [{"op":"restart","pmId":0,"waiting":true}]');
  });

  test('an app that is up and settled clears the clock; one online for a few ms between crashes does not', () => {
    const memory = { badSince: T0 - 10 * S };
    assert.equal(run(['online'], { memory, upFor: 5 }).memory.badSince, null);
    assert.equal(run(['online'], { memory, upFor: 0.05 }).memory.badSince, T0 - 10 * S);
  });

  test('after an action, the bad state must last grace again', () => {
    const acted = run(['errored'], { memory: { badSince: T0 - RULES.grace } });
    assert.equal(acted.kind, 'act');
    assert.equal(acted.memory.badSince, T0);
    assert.equal(summary(run(['errored'], { now: T0 + RULES.grace - 1, memory: acted.memory })), 'none: within grace');
  });

  test('maintenance: the clock runs, nothing is done', () => {
    const d = run(['errored'], { memory: { badSince: T0 - 60 * S }, maintenance: true });
    assert.equal(summary(d), 'none: maintenance window');
    assert.deepEqual(d.memory.actions, []);
  });
});

describe('budget and cooldown', () => {
  /** Drives an app that stays errored through `polls` decisions, `every` ms apart; returns the kinds. */
  function drive(polls: number, every: number, rules: Partial<WatchdogRules> = {}, start: AppMemory = FRESH): { kinds: string[]; memory: AppMemory } {
    let memory = start;
    const kinds: string[] = [];
    for (let i = 0; i < polls; i++) {
      const d = run(['errored'], { now: T0 + i * every, memory, rules });
      memory = d.memory;
      kinds.push(d.kind === 'act' ? `act#${d.attempt}` : d.kind);
    }
    return { kinds, memory };
  }

  test('at most budget.restarts actions, then gave up exactly once, then nothing until the cooldown, then a fresh budget', () => {
    const rules = { grace: 2 * S, budget: { restarts: 3, within: 60 * S }, cooldown: 30 * S };
    const { kinds } = drive(40, S, rules);
    const acted = kinds.map((k, i) => `${i}:${k}`).filter((k) => !k.endsWith(':none'));
    // t=0 first sighting; acts at 2, 4, 6; at 8 the budget is spent; cooldown until 38; then acts again at 38.
    assert.deepEqual(acted, ['2:act#1', '4:act#2', '6:act#3', '8:gave_up', '38:act#1']);
  });

  test('actions older than budget.within no longer count', () => {
    const memory = { ...FRESH, badSince: T0 - 20 * S, actions: [T0 - 700 * S, T0 - 650 * S, T0 - 30 * S] };
    const d = run(['errored'], { memory });
    assert.equal(d.kind, 'act');
    assert.deepEqual(d.kind === 'act' && [d.attempt, d.memory.actions], [2, [T0 - 30 * S, T0]]);
  });

  test('a persisted give-up is honoured (vigil restarted mid-cooldown)', () => {
    const memory = { ...FRESH, actions: [T0 - 60 * S, T0 - 40 * S, T0 - 20 * S], gaveUpAt: T0 - 10 * S };
    assert.equal(summary(run(['errored'], { now: T0 + 60 * S, memory: { ...memory, badSince: T0 } })), 'none: gave up; cooling down');
  });

  test('an app that recovers by itself is no longer given up on; its recent actions still count', () => {
    const memory = { ...FRESH, actions: [T0 - 60 * S], gaveUpAt: T0 - 10 * S, badSince: T0 - 100 * S };
    const d = run(['online'], { memory, upFor: 30 });
    assert.deepEqual(d.memory, { badSince: null, actions: [T0 - 60 * S], gaveUpAt: null });
  });
});
