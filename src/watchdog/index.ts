/**
 * The watchdog: on every snapshot, decides per allowlisted app (decide.ts) and performs the PM2 calls in
 * the background — one action in flight per app, so a slow start never holds up the poll loop. Every
 * action gives one log line, a count for `vigil_watchdog_actions_total` and a line for the next Slack
 * message; a spent budget is exposed for `Pm2AppRestartGaveUp` and `vigil_watchdog_gave_up`.
 *
 * Wiring (the daemon): `poller.onSnapshot((s) => watchdog.onSnapshot(s))`, `runtime.watchdog = () =>
 * watchdog.stats()`. For the alert engine: `gaveUp: () => watchdog.gaveUp()`, `onAction: (a) =>
 * engine.addAction(a.alertname, a.subject, a.line)`, `inMaintenance: () => engine.current() !== null`.
 */
import type { Config } from '../config/types';
import type { Logger } from '../log';
import type { Pm2Actions } from '../pm2/actions';
import type { Snapshot } from '../snapshot';
import { errorText } from '../util/deadline';
import { formatDuration } from '../config/units';
import { restoreBook, storeBook, WATCHDOG_SECTION } from './book';
import { decide, FRESH, type AppMemory, type Step } from './decide';
import { consumerNote, queueReason, starvedQueues, type StarvedQueue } from './queue-link';
import type { SectionStore } from '../state';

export type WatchdogActionKind = 'start' | 'restart';
export type WatchdogResult = 'ok' | 'error' | 'dry_run';

/** One action, reported once its result is known. */
export interface WatchdogAction {
  app: string;
  action: WatchdogActionKind;
  result: WatchdogResult;
  /** This action's number within the budget window, and the budget. */
  attempt: number;
  budget: number;
  /** The alert the line belongs to: QueueNoConsumer{queue} when a starved queue names the app, else Pm2AppDown{app}. */
  alertname: 'Pm2AppDown' | 'QueueNoConsumer';
  subject: string;
  /** For the next Slack message: "started avatar-generator-worker (attempt 1/3)". */
  line: string;
  /** Why it acted: "missing from PM2 for 16s; queue avatar-generation: 20 waiting, no worker". */
  why: string;
  error: string | null;
  /** Epoch ms the action was decided. */
  at: number;
}

/** What /metrics reads: running totals per (app, action, result), and the apps whose budget is spent. */
export interface WatchdogStats {
  actions: ReadonlyArray<{ app: string; action: WatchdogActionKind; result: WatchdogResult; count: number }>;
  /** Every allowlisted app → epoch ms its budget was spent, or null. Empty in dry run. */
  gaveUp: Readonly<Record<string, number | null>>;
}

export interface WatchdogOptions {
  actions: Pm2Actions;
  store: SectionStore;
  logger: Logger;
  /** True while a maintenance window is open: the watchdog does not act (it keeps watching). */
  inMaintenance?: () => boolean;
  /** Called once per action with its result (e.g. to put the line in the next Slack message). */
  onAction?: (action: WatchdogAction) => void;
  /** Removes secrets from error text. */
  scrub?: (text: string) => string;
}

const VERB: Record<WatchdogActionKind, [done: string, doing: string]> = { start: ['started', 'start'], restart: ['restarted', 'restart'] };

export class Watchdog {
  private readonly book: Map<string, AppMemory>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly counts = new Map<string, number>();
  private readonly said = new Map<string, string>();
  private readonly mode: 'live' | 'dry_run';
  private stopped = false;

  constructor(
    private readonly config: Config,
    private readonly options: WatchdogOptions,
  ) {
    this.mode = config.pm2.watchdog.dryRun ? 'dry_run' : 'live';
    this.book = restoreBook(options.store.get(WATCHDOG_SECTION), this.mode);
  }

  /** The poll loop's listener. Decides for every allowlisted app; actions run in the background. */
  onSnapshot(snapshot: Snapshot): void {
    if (this.stopped || !this.config.pm2.watchdog.enabled || !snapshot.pm2) return; // PM2 down: the truth is unknown
    const now = snapshot.time;
    const { grace, budget, cooldown, restartStopped } = this.config.pm2.watchdog;
    const maintenance = this.options.inMaintenance?.() ?? false;
    const starved = starvedQueues(snapshot, this.config);
    for (const s of starved) this.say(`queue:${s.queue}`, consumerNote(s, this.config), { queue: s.queue, app: s.consumer });
    for (const key of this.said.keys()) if (key.startsWith('queue:') && !starved.some((s) => `queue:${s.queue}` === key)) this.said.delete(key);
    const before = JSON.stringify(storeBook(this.book, this.mode, now, budget.within));

    for (const expected of Object.values(this.config.pm2.expected)) {
      if (!expected.restart || this.inFlight.has(expected.name)) continue;
      const d = decide({
        expected,
        app: snapshot.pm2.apps[expected.name],
        processes: snapshot.pm2.processes.filter((p) => p.name === expected.name),
        rules: { grace, budget, cooldown, restartStopped },
        memory: this.book.get(expected.name) ?? FRESH,
        now,
        maintenance,
      });
      this.book.set(expected.name, d.memory);
      const queue = starved.find((s) => s.consumer === expected.name);
      if (d.kind === 'none') this.say(`app:${expected.name}`, d.why, { app: expected.name });
      else if (d.kind === 'gave_up') this.giveUp(expected.name, d.why, now);
      else this.launch(expected.name, d.action, d.steps, d.attempt, queue ? `${d.why}; ${queueReason(queue)}` : d.why, queue, now);
    }
    if (JSON.stringify(storeBook(this.book, this.mode, now, budget.within)) !== before) {
      this.options.store.set(WATCHDOG_SECTION, storeBook(this.book, this.mode, now, budget.within));
      void this.options.store.flush();
    }
  }

  /** For the alert engine (Pm2AppRestartGaveUp): app → one-line reason, while its budget is spent. Empty in dry run. */
  gaveUp(): Record<string, string> {
    const { budget, cooldown } = this.config.pm2.watchdog;
    const out: Record<string, string> = {};
    for (const [app, since] of Object.entries(this.stats().gaveUp)) {
      if (since === null) continue;
      out[app] = `${budget.restarts} watchdog actions within ${formatDuration(budget.within)} did not bring it up; left alone until ${new Date(since + cooldown).toISOString()}`;
    }
    return out;
  }

  stats(): WatchdogStats {
    const actions = [...this.counts].map(([key, count]) => {
      const [app, action, result] = key.split('\u0000') as [string, WatchdogActionKind, WatchdogResult];
      return { app, action, result, count };
    });
    const gaveUp: Record<string, number | null> = {};
    for (const app of Object.values(this.config.pm2.expected)) {
      if (app.restart) gaveUp[app.name] = this.mode === 'live' ? (this.book.get(app.name)?.gaveUpAt ?? null) : null;
    }
    return { actions, gaveUp };
  }

  /** Resolves when no action is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Stops acting, waits for actions in flight (each bounded by its deadline), closes the PM2 connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
    this.options.actions.close();
  }

  private launch(app: string, action: WatchdogActionKind, steps: Step[], attempt: number, why: string, queue: StarvedQueue | undefined, at: number): void {
    const run = async (): Promise<void> => {
      let result: WatchdogResult = 'dry_run';
      let error: string | null = null;
      if (this.mode === 'live') {
        try {
          await this.perform(app, steps);
          result = 'ok';
        } catch (err) {
          result = 'error';
          error = (this.options.scrub ?? ((t: string) => t))(errorText(err));
        }
      }
      this.record({ app, action, result, attempt, budget: this.config.pm2.watchdog.budget.restarts, alertname: queue ? 'QueueNoConsumer' : 'Pm2AppDown', subject: queue?.queue ?? app, line: '', why, error, at });
    };
    const p = run().finally(() => this.inFlight.delete(app));
    this.inFlight.set(app, p);
  }

  private async perform(app: string, steps: Step[]): Promise<void> {
    for (const step of steps) {
      if (step.op === 'start') await this.options.actions.start(this.config.pm2.expected[app]!);
      else if (step.op === 'restart') await this.options.actions.restart(step.pmId, step.waiting);
      else await this.options.actions.scale(step.fromPmId, step.count);
    }
  }

  private record(a: WatchdogAction): void {
    const [done, doing] = VERB[a.action];
    const tries = `attempt ${a.attempt}/${a.budget}`;
    a.line =
      a.result === 'ok' ? `${done} ${a.app} (${tries})` : a.result === 'dry_run' ? `would ${doing} ${a.app} (dry run, ${tries})` : `failed to ${doing} ${a.app} (${tries}): ${a.error}`;
    const key = [a.app, a.action, a.result].join('\u0000');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const fields = { app: a.app, action: a.action, result: a.result, attempt: a.attempt, budget: a.budget, why: a.why, error: a.error ?? undefined };
    if (a.result === 'error') this.options.logger.error(fields, `watchdog: ${a.line}`);
    else this.options.logger.warn(fields, `watchdog: ${a.line}`);
    try {
      this.options.onAction?.(a);
    } catch (err) {
      this.options.logger.error({ error: errorText(err) }, 'watchdog action listener failed');
    }
  }

  private giveUp(app: string, why: string, now: number): void {
    const { budget, cooldown } = this.config.pm2.watchdog;
    this.options.logger.error(
      { app, why, budget: budget.restarts, within: budget.within, until: new Date(now + cooldown).toISOString(), dryRun: this.mode === 'dry_run' || undefined },
      `watchdog: ${this.mode === 'dry_run' ? 'would give up (dry run)' : 'gave up'} on ${app} after ${budget.restarts} actions within ${formatDuration(budget.within)}; leaving it alone for ${formatDuration(cooldown)}`,
    );
  }

  /** Logs why it does not act, once per change (not once per poll). */
  private say(key: string, note: string | null, fields: Record<string, string>): void {
    const last = this.said.get(key) ?? null;
    if (note === last) return;
    if (note === null) this.said.delete(key);
    else this.said.set(key, note);
    if (note === null) return;
    const level = note === 'within grace' ? 'debug' : 'info';
    this.options.logger[level](fields, `watchdog: not acting on ${fields.app}: ${note}`);
  }
}
