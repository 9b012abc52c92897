/**
 * The notification channel the daemon runs: Slack when `alerts.slack.webhookUrl` is set, else the log;
 * behind the bounded outbox. The outbox's queue is written into the state file (section `outbox`) every
 * time a notification is handed over, so the alert engine's "notified" mark and the message itself reach
 * the disk in the same write: a crash can repeat a message (at-least-once), never lose one.
 */
import type { Config } from '../config/types';
import type { Logger } from '../log';
import type { SectionStore } from '../state';
import { logSender } from './log-sender';
import { Outbox } from './outbox';
import { slackSender } from './slack-sender';
import type { Clock, Notification, OutboxStats, SendFn } from './types';

export const OUTBOX_SECTION = 'outbox';
/** Per Slack request; the outbox retries what can succeed. */
export const SLACK_TIMEOUT_MS = 10_000;

export type ChannelName = 'slack' | 'log';

export interface NotifierStatus {
  channel: ChannelName;
  stats: OutboxStats;
}

export interface Notifier {
  /** The alert engine's sink: never blocks. */
  enqueue(n: Notification): void;
  status(): NotifierStatus;
  /** Writes the outbox's queue into the state (the daemon does this before each state flush). */
  persist(): void;
  /** Lets a request in flight finish for up to `deadlineMs`, then writes what is left into the state. */
  stop(deadlineMs: number): Promise<void>;
}

/** The configured channel's send function and name. */
export function channelSender(config: Config, logger: Logger): { channel: ChannelName; send: SendFn } {
  const { webhookUrl, mention } = config.alerts.slack;
  if (webhookUrl === '') return { channel: 'log', send: logSender(logger) };
  return { channel: 'slack', send: slackSender({ webhookUrl, mention, timeoutMs: SLACK_TIMEOUT_MS }) };
}

export function createNotifier(config: Config, deps: { logger: Logger; clock: Clock; store: Pick<SectionStore, 'get' | 'set'> }): Notifier {
  const { channel, send } = channelSender(config, deps.logger);
  const outbox = new Outbox({ send, clock: deps.clock, logger: deps.logger });
  const persist = () => deps.store.set(OUTBOX_SECTION, outbox.snapshot());
  const restored = parseQueue(deps.store.get(OUTBOX_SECTION));
  if (restored.length > 0) {
    deps.logger.info({ count: restored.length }, 'notifications restored from the state file');
    outbox.restore(restored);
  }
  return {
    enqueue(n) {
      outbox.enqueue(n);
      persist();
    },
    status: () => ({ channel, stats: outbox.stats() }),
    persist,
    async stop(deadlineMs) {
      await outbox.stop(deadlineMs);
      persist();
    },
  };
}

/** The persisted queue, keeping only entries shaped like notifications. */
function parseQueue(raw: unknown): Notification[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (n): n is Notification =>
      n !== null && typeof n === 'object' && typeof n.id === 'string' && typeof n.createdAt === 'number' && Array.isArray(n.alerts) && Array.isArray(n.notes),
  );
}
