/** Builders for test notifications: the incident's alert, overridable field by field. */
import type { AlertEvent, Notification } from '../../src/notify/types';

export const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);

export function alert(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    alertname: 'QueueNoConsumer',
    subject: 'avatar-generation',
    severity: 'critical',
    status: 'firing',
    summary: '12 waiting, no worker; avatar-generator-worker: not in PM2',
    since: T0,
    actions: ['started avatar-generator-worker (attempt 1/3)'],
    ...overrides,
  };
}

let seq = 0;
export function notification(overrides: Partial<Notification> = {}): Notification {
  seq += 1;
  return { id: `n-${seq}`, createdAt: T0 + 60_000, alerts: [alert()], notes: [], ...overrides };
}
