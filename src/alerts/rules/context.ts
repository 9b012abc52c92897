/** What every rule reads: the snapshot, the config, the time, and the few inputs that are not in the snapshot. */
import type { Config } from '../../config/types';
import type { Snapshot } from '../../snapshot';
import type { Condition } from '../types';
import type { RestartHistory } from './restarts';

export interface RuleContext {
  snapshot: Snapshot;
  config: Config;
  /** Epoch ms; rules never read a clock. */
  now: number;
  /** PM2 restart counts over the last minutes, already advanced to `now`. */
  restarts: RestartHistory;
  /** Apps whose restart budget the watchdog has spent, with a one-line reason (the watchdog's hook). */
  gaveUp: Readonly<Record<string, string>>;
}

/** A rule: snapshot → the conditions of every alert it knows. A subject it no longer lists counts as inactive. */
export type Rule = (ctx: RuleContext) => Condition[];
