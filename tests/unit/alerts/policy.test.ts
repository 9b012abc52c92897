// The notification policy over hand-built states: each inhibition of contracts.md section 5 (and what it
// must not silence), repeat, resolved-only-if-notified, maintenance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan, type Book, type PolicyOptions } from '../../../src/alerts/policy';
import { alertKey, type AlertState } from '../../../src/alerts/types';

const NOW = 10_000_000;
const opts: PolicyOptions = { groupWait: 0, repeatInterval: 3_600_000, sendResolved: true, minSeverity: 'warning', maintenance: false };

function alert(alertname: string, subject: string, over: Partial<AlertState> = {}): AlertState {
  const source = alertname === 'VigilSourceDown' ? null : alertname.startsWith('Queue') ? 'redis' : alertname.startsWith('Pm2') ? 'pm2' : 'postgres';
  return {
    alertname, subject, severity: 'warning', source, summary: '', phase: 'firing', activeSince: NOW - 60_000, firingSince: NOW - 60_000,
    resolvedAt: null, lastNotifiedAt: null, notifiedSummary: null, dueSince: null, actions: [], ...over,
  };
}

function book(...alerts: AlertState[]): Book {
  return { alerts: Object.fromEntries(alerts.map((a) => [alertKey(a.alertname, a.subject), a])), notes: [] };
}

function sent(b: Book, o: Partial<PolicyOptions> = {}): string[] {
  return (plan(b, { ...opts, ...o }, NOW).batch?.alerts ?? []).map((e) => `${e.status} ${e.alertname}/${e.subject}`).sort();
}

const inhibitions: Array<[string, AlertState[], string[]]> = [
  ['VigilSourceDown{redis} silences Queue*', [alert('VigilSourceDown', 'redis'), alert('QueueBacklog', 'q'), alert('QueueFailureRate', 'q')], ['firing VigilSourceDown/redis']],
  ['VigilSourceDown{pm2} silences Pm2*', [alert('VigilSourceDown', 'pm2'), alert('Pm2AppDown', 'w'), alert('Pm2AppMemoryHigh', 'w')], ['firing VigilSourceDown/pm2']],
  ['VigilSourceDown{postgres} silences Check*', [alert('VigilSourceDown', 'postgres'), alert('CheckRowsAbove', 'c'), alert('CheckFailing', 'c')], ['firing VigilSourceDown/postgres']],
  ['VigilSourceDown{redis} does not silence Pm2* or Check*', [alert('VigilSourceDown', 'redis'), alert('Pm2AppDown', 'w'), alert('CheckRowsAbove', 'c')], ['firing CheckRowsAbove/c', 'firing Pm2AppDown/w', 'firing VigilSourceDown/redis']],
  ['QueueNoConsumer silences QueueBacklog and QueueOldestWaiting of the same queue', [alert('QueueNoConsumer', 'q'), alert('QueueBacklog', 'q'), alert('QueueOldestWaiting', 'q')], ['firing QueueNoConsumer/q']],
  ['QueueNoConsumer does not silence another queue, nor QueueFailureRate', [alert('QueueNoConsumer', 'q'), alert('QueueBacklog', 'other'), alert('QueueFailureRate', 'q')], ['firing QueueBacklog/other', 'firing QueueFailureRate/q', 'firing QueueNoConsumer/q']],
  ['a pending inhibitor already silences (QueueNoConsumer pends 30 s, OldestWaiting fires at once)', [alert('QueueNoConsumer', 'q', { phase: 'pending', firingSince: null }), alert('QueueOldestWaiting', 'q')], []],
  ['a resolved inhibitor no longer silences', [alert('QueueNoConsumer', 'q', { phase: 'resolved', resolvedAt: NOW, lastNotifiedAt: NOW - 1000 }), alert('QueueBacklog', 'q')], ['firing QueueBacklog/q', 'resolved QueueNoConsumer/q']],
];

for (const [name, alerts, expected] of inhibitions) {
  test(`inhibition: ${name}`, () => assert.deepEqual(sent(book(...alerts)), expected));
}

test('an inhibited alert is notified once its inhibitor ends, if it still fires', () => {
  let b = book(alert('QueueNoConsumer', 'q', { lastNotifiedAt: NOW - 1000 }), alert('QueueBacklog', 'q'));
  assert.deepEqual(sent(b), []);
  b = book(alert('QueueBacklog', 'q'));
  assert.deepEqual(sent(b), ['firing QueueBacklog/q']);
});

test('repeat: not before repeatInterval since the last send, then once', () => {
  assert.deepEqual(sent(book(alert('Pm2AppDown', 'w', { lastNotifiedAt: NOW - 3_599_999 }))), []);
  assert.deepEqual(sent(book(alert('Pm2AppDown', 'w', { lastNotifiedAt: NOW - 3_600_000 }))), ['firing Pm2AppDown/w']);
});

test('resolved: sent once only when its firing was sent and sendResolved; otherwise dropped', () => {
  const notified = alert('Pm2AppDown', 'w', { phase: 'resolved', resolvedAt: NOW, lastNotifiedAt: NOW - 5000 });
  const r = plan(book(notified), opts, NOW);
  assert.deepEqual(r.batch?.alerts.map((e) => e.status), ['resolved']);
  assert.deepEqual(r.book.alerts, {}, 'sent, then forgotten');
  for (const [b, o] of [
    [book(alert('Pm2AppDown', 'w', { phase: 'resolved', resolvedAt: NOW })), {}],
    [book(notified), { sendResolved: false }],
  ] as const) {
    const out = plan(b, { ...opts, ...o }, NOW);
    assert.equal(out.batch, null);
    assert.deepEqual(out.book.alerts, {});
  }
});

test('maintenance: nothing goes out, a resolution of a notified alert waits for the window to close', () => {
  const b = book(alert('Pm2AppDown', 'a'), alert('CheckRowsAbove', 'c', { phase: 'resolved', resolvedAt: NOW, lastNotifiedAt: NOW - 1 }));
  const during = plan(b, { ...opts, maintenance: true }, NOW);
  assert.equal(during.batch, null);
  assert.equal(during.nextAt, null);
  assert.equal(Object.keys(during.book.alerts).length, 2);
  assert.deepEqual(sent(during.book), ['firing Pm2AppDown/a', 'resolved CheckRowsAbove/c']);
});

test('groupWait: the batch waits for the oldest due item, then takes everything due', () => {
  const b = book(alert('Pm2AppDown', 'a', { dueSince: NOW - 9_000 }), alert('Pm2AppDown', 'b'));
  const early = plan(b, { ...opts, groupWait: 10_000 }, NOW);
  assert.equal(early.batch, null);
  assert.equal(early.nextAt, NOW + 1_000);
  assert.equal(early.book.alerts[alertKey('Pm2AppDown', 'b')]?.dueSince, NOW);
  const due = plan(early.book, { ...opts, groupWait: 10_000 }, NOW + 1_000);
  assert.equal(due.batch?.alerts.length, 2);
  assert.equal(due.book.alerts[alertKey('Pm2AppDown', 'a')]?.lastNotifiedAt, NOW + 1_000);
  assert.equal(due.book.alerts[alertKey('Pm2AppDown', 'a')]?.dueSince, null);
});

test('a message lists firing before resolved, critical first', () => {
  const b = book(
    alert('CheckRowsAbove', 'x', { phase: 'resolved', resolvedAt: NOW, lastNotifiedAt: 1 }),
    alert('QueueBacklog', 'q'),
    alert('Pm2AppDown', 'w', { severity: 'critical' }),
  );
  assert.deepEqual(plan(b, opts, NOW).batch?.alerts.map((e) => e.alertname), ['Pm2AppDown', 'QueueBacklog', 'CheckRowsAbove']);
});

test('a resolved message repeats what its firing message said, not the last passing summary', () => {
  const fired = plan(book(alert('QueueNoConsumer', 'q', { summary: '8 waiting, no worker; w: not in PM2' })), opts, NOW);
  const state = fired.book.alerts[alertKey('QueueNoConsumer', 'q')]!;
  assert.equal(state.notifiedSummary, '8 waiting, no worker; w: not in PM2');
  // The worker was started and is still connecting when the condition clears: that last summary is a passing moment.
  const cleared = { ...state, summary: '8 waiting, no worker; w: online but not connected to Redis?', phase: 'resolved' as const, resolvedAt: NOW + 5_000 };
  const resolved = plan(book(cleared), opts, NOW + 5_000).batch?.alerts ?? [];
  assert.deepEqual(resolved.map((e) => [e.status, e.summary]), [['resolved', '8 waiting, no worker; w: not in PM2']]);
});
