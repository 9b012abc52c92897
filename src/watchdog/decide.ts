/**
 * The watchdog's decision, pure: one expected app, its PM2 processes, what the watchdog remembers of it
 * and the time → what to do now, and what to remember next. Time is an argument; nothing here does I/O.
 *
 * Rules (operations.md, Watchdog; anchors monit and systemd):
 * - only apps on the allowlist (`restart: true`);
 * - missing → start from the ecosystem definition; errored → restart; `waiting restart` for longer than
 *   grace + PM2's 15 s backoff cap → restart; fewer instances listed than expected → scale up;
 * - never while any instance is launching/stopping/one-launch (PM2 is busy), never on a stopped instance
 *   unless `restartStopped` (someone stopped it), never during maintenance;
 * - the bad state must last `grace` (PM2's own restart gets the first chance), and after an action it
 *   must last `grace` again before the next one;
 * - at most `budget.restarts` actions per `budget.within`; when spent: give up once, leave the app alone
 *   for `cooldown`, then start over with a fresh budget (never a permanent give-up).
 */
import type { ExpectedApp } from '../config/types';
import type { Pm2App, Pm2Process } from '../snapshot';

/** PM2's exponential backoff never waits longer than this between restarts (God.handleExit). */
export const PM2_BACKOFF_CAP_MS = 15_000;
/** An app counts as recovered (its bad-state clock stops) once every online instance has lived this long:
 * a crash-at-boot loop that is `online` for a few milliseconds between crashes is not a recovery. */
export const RECOVERED_UPTIME_S = 1;

export interface WatchdogRules {
  grace: number;
  budget: { restarts: number; within: number };
  cooldown: number;
  restartStopped: boolean;
}

/** What the watchdog remembers of one app. `actions` and `gaveUpAt` are persisted; `badSince` is not. */
export interface AppMemory {
  /** Epoch ms since when the app has been continuously not up (or since the last action); null when fine. */
  badSince: number | null;
  /** Epoch ms of each action within the budget window, oldest first. */
  actions: number[];
  /** Epoch ms the budget was spent; null unless cooling down. */
  gaveUpAt: number | null;
}

export const FRESH: AppMemory = Object.freeze({ badSince: null, actions: [], gaveUpAt: null }) as AppMemory;

/** One PM2 call. `waiting` marks an instance in `waiting restart` (it must be stopped before it is started). */
export type Step =
  | { op: 'start' }
  | { op: 'restart'; pmId: number; waiting: boolean }
  | { op: 'scale'; fromPmId: number; count: number };

export type Decision =
  | { kind: 'none'; memory: AppMemory; why: string | null }
  | { kind: 'act'; memory: AppMemory; action: 'start' | 'restart'; steps: Step[]; why: string; attempt: number }
  | { kind: 'gave_up'; memory: AppMemory; why: string };

export interface DecideInput {
  expected: ExpectedApp;
  /** The app's verdict; undefined when PM2 lists nothing by that name. */
  app: Pm2App | undefined;
  /** The app's processes, as PM2 lists them. */
  processes: readonly Pm2Process[];
  rules: WatchdogRules;
  memory: AppMemory;
  now: number;
  maintenance: boolean;
}

const BUSY = new Set(['launching', 'stopping', 'one_launch_status']);

export function decide(input: DecideInput): Decision {
  const { expected, app, processes, rules, now } = input;
  let memory = input.memory;
  const none = (why: string | null): Decision => ({ kind: 'none', memory, why });
  if (!expected.restart) return { kind: 'none', memory: FRESH, why: null };

  if (app?.up) {
    const settled = processes.filter((p) => p.status === 'online').every((p) => p.uptimeSeconds >= RECOVERED_UPTIME_S);
    // A recovered app is fine again: no bad state, no give-up. Its recent actions still count (flapping).
    if (settled) memory = { ...memory, badSince: null, gaveUpAt: null };
    return none(null);
  }
  memory = { ...memory, badSince: memory.badSince ?? now };

  if (memory.gaveUpAt !== null) {
    if (now - memory.gaveUpAt < rules.cooldown) return none('gave up; cooling down');
    memory = { ...memory, gaveUpAt: null, actions: [] };
  }

  const planned = plan(expected, processes, rules);
  if ('why' in planned) return none(planned.why);
  const badFor = now - memory.badSince!;
  const due = planned.steps.filter((s) => badFor >= s.after);
  if (due.length === 0) return none('within grace');
  if (input.maintenance) return none('maintenance window');

  const actions = memory.actions.filter((t) => now - t < rules.budget.within);
  const why = describe(app, processes, expected, badFor);
  if (actions.length >= rules.budget.restarts) {
    memory = { ...memory, actions, gaveUpAt: now };
    return { kind: 'gave_up', memory, why };
  }
  memory = { ...memory, actions: [...actions, now], badSince: now };
  const steps = due.map((s) => s.step);
  const action = steps.some((s) => s.op === 'restart') ? 'restart' : 'start';
  return { kind: 'act', memory, action, steps, why, attempt: memory.actions.length };
}

type Planned = { steps: { step: Step; after: number }[] } | { why: string };

function plan(expected: ExpectedApp, processes: readonly Pm2Process[], rules: WatchdogRules): Planned {
  if (processes.length === 0) {
    if (expected.definition === null) return { why: 'not in PM2 and not in the ecosystem file: nothing to start it from' };
    return { steps: [{ step: { op: 'start' }, after: rules.grace }] };
  }
  if (processes.some((p) => BUSY.has(p.status))) return { why: 'PM2 is starting or stopping it' };
  if (!rules.restartStopped && processes.some((p) => p.status === 'stopped')) return { why: 'stopped (by an operator?); restartStopped is off' };

  const steps: { step: Step; after: number }[] = [];
  for (const p of processes) {
    if (p.status === 'errored' || p.status === 'stopped') steps.push({ step: { op: 'restart', pmId: p.pmId, waiting: false }, after: rules.grace });
    if (p.status === 'waiting_restart') steps.push({ step: { op: 'restart', pmId: p.pmId, waiting: true }, after: rules.grace + PM2_BACKOFF_CAP_MS });
  }
  const missing = expected.instances - processes.length;
  if (missing > 0) steps.push({ step: { op: 'scale', fromPmId: processes[0]!.pmId, count: missing }, after: rules.grace });
  return steps.length > 0 ? { steps } : { why: 'nothing PM2 can be asked to do' };
}

/** "missing from PM2", "errored for 20s", "1/2 online, waiting restart for 31s". */
function describe(app: Pm2App | undefined, processes: readonly Pm2Process[], expected: ExpectedApp, badForMs: number): string {
  const secs = `${Math.round(badForMs / 1000)}s`;
  if (processes.length === 0) return `missing from PM2 for ${secs}`;
  const state = (app?.status ?? 'partial').replace('_', ' ');
  return `${app?.online ?? 0}/${expected.instances} online (${state}) for ${secs}`;
}
