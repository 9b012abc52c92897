/**
 * Inhibition (contracts.md section 5): while an inhibiting alert is active (pending or firing), the alerts
 * it covers are still computed and shown, but not notified. Pending counts too, so that an alert with a
 * shorter `for` (QueueOldestWaiting) does not page just before the one that explains it (QueueNoConsumer).
 */
import { alertKey, type AlertState } from './types';

interface Inhibition {
  /** Does this alert inhibit others? */
  inhibitor: (a: AlertState) => boolean;
  /** Does `inhibitor` silence `target`? */
  silences: (target: AlertState, inhibitor: AlertState) => boolean;
}

const sourceDown = (source: string, prefix: string): Inhibition => ({
  inhibitor: (a) => a.alertname === 'VigilSourceDown' && a.subject === source,
  silences: (t) => t.alertname.startsWith(prefix),
});

export const INHIBITIONS: readonly Inhibition[] = [
  sourceDown('redis', 'Queue'),
  sourceDown('pm2', 'Pm2'),
  sourceDown('postgres', 'Check'),
  {
    inhibitor: (a) => a.alertname === 'QueueNoConsumer',
    silences: (t, i) => (t.alertname === 'QueueBacklog' || t.alertname === 'QueueOldestWaiting') && t.subject === i.subject,
  },
];

/** Keys of the alerts that some active alert inhibits. */
export function inhibitedKeys(alerts: Readonly<Record<string, AlertState>>): Set<string> {
  const all = Object.values(alerts);
  const active = all.filter((a) => a.phase === 'pending' || a.phase === 'firing');
  const out = new Set<string>();
  for (const rule of INHIBITIONS) {
    for (const inhibitor of active.filter(rule.inhibitor)) {
      for (const target of all) if (target !== inhibitor && rule.silences(target, inhibitor)) out.add(alertKey(target.alertname, target.subject));
    }
  }
  return out;
}
