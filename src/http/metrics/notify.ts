/** The vigil_notifications_* families, from the notification channel's outbox counters. */
import type { Registry } from 'prom-client';
import type { Runtime } from '../../runtime';
import type { FailureReason } from '../../notify/types';
import { counterFamily, gaugeFamily, perItem } from './family';

const REASONS: readonly FailureReason[] = ['rate_limited', 'server_error', 'network', 'rejected'];

export function registerNotifyMetrics(registers: Registry[], runtime: Runtime): void {
  const status = () => runtime.notifier?.() ?? null;
  const perChannel = perItem(
    () => (runtime.notifier ? [runtime.notifier()] : []),
    (s) => ({ channel: s.channel }),
  );
  counterFamily(registers, {
    name: 'vigil_notifications_sent_total',
    help: 'Messages delivered.',
    labelNames: ['channel'],
    fill: perChannel((s) => s.stats.sent),
  });
  counterFamily(registers, {
    name: 'vigil_notifications_failed_total',
    help: 'Failed delivery attempts, by reason.',
    labelNames: ['channel', 'reason'],
    fill: (emit) => {
      const s = status();
      if (s) for (const reason of REASONS) emit({ channel: s.channel, reason }, s.stats.failed[reason]);
    },
  });
  counterFamily(registers, {
    name: 'vigil_notifications_dropped_total',
    help: 'Messages given up on (outbox full, or rejected by the channel).',
    labelNames: ['channel'],
    fill: perChannel((s) => s.stats.dropped),
  });
  gaugeFamily(registers, {
    name: 'vigil_notification_queue_length',
    help: 'Messages waiting to be sent.',
    labelNames: ['channel'],
    fill: perChannel((s) => s.stats.queueLength),
  });
}
