/**
 * What the HTTP layer and the CLI read from a running vigil. Everything is a function returning the
 * latest value: nothing here does I/O, so a scrape or a /health call never touches Redis, Postgres or PM2.
 */
import type { MaintenanceControl } from './alerts/maintenance';
import type { ActiveAlert } from './alerts/types';
import type { Config } from './config/types';
import type { NotifierStatus } from './notify/channel';
import type { RemediationStats } from './remediate/remediator';
import type { Snapshot } from './snapshot';
import type { WatchdogStats } from './watchdog';

export interface Runtime {
  config: Config;
  version: string;
  now(): number;
  /** The latest snapshot; null until the first poll has completed. */
  snapshot(): Snapshot | null;
  /** Epoch ms of the poll loop's last tick; null before the first. */
  lastTick(): number | null;
  /** Removes secrets from text that is about to leave the process. */
  scrub(text: string): string;
  /** Active (pending or firing) alerts; absent where no alert engine runs (`vigil check`). */
  alerts?: () => readonly ActiveAlert[];
  /** The maintenance window; absent where no alert engine runs. */
  maintenance?: MaintenanceControl;
  /** The notification channel and its outbox counters; absent where no notifier runs. */
  notifier?: () => NotifierStatus;
  /** Rows remediated since start, per check and result; absent when Postgres is off. */
  remediation?: () => RemediationStats;
  /** The watchdog's action totals and spent budgets; absent where no watchdog runs (`vigil check`, watchdog disabled). */
  watchdog?: () => WatchdogStats;
}
