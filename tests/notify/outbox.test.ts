/** The outbox's policy, against a fake clock and a scripted channel: no sleeps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from '../../src/notify/outbox';
import { formatSlack } from '../../src/notify/slack-format';
import type { Notification, SendContext, SendResult } from '../../src/notify/types';
import { captureLogger } from '../helpers/capture-logger';
import { FakeClock, settle } from '../helpers/fake-clock';
import { notification } from '../helpers/notifications';

interface Call {
  at: number;
  id: string;
  dropped: number;
}

/** A channel that answers with `answer(callIndex)` and records when it was called with what. */
function scriptedChannel(clock: FakeClock, answer: (call: number) => SendResult) {
  const calls: Call[] = [];
  const send = async (n: Notification, ctx: SendContext): Promise<SendResult> => {
    calls.push({ at: clock.now(), id: n.id, dropped: ctx.droppedSinceLastDelivery });
    return answer(calls.length - 1);
  };
  return { calls, send };
}

function gaps(calls: Call[]): number[] {
  return calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
}

describe('Outbox (fake clock)', () => {
  it('keeps at most `capacity` through 10 minutes of 429, and the first message through announces the drops', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const TEN_MINUTES = 10 * 60_000;
    const delivered: string[] = [];
    const calls: Call[] = [];
    const send = async (n: Notification, ctx: SendContext): Promise<SendResult> => {
      calls.push({ at: clock.now(), id: n.id, dropped: ctx.droppedSinceLastDelivery });
      if (clock.now() - start <= TEN_MINUTES) return { ok: false, reason: 'rate_limited', status: 429, retryAfterMs: 30_000 };
      delivered.push(formatSlack(n, { mention: '', droppedSinceLastDelivery: ctx.droppedSinceLastDelivery }).text);
      return { ok: true };
    };
    const { logger, lines } = captureLogger();
    const outbox = new Outbox({ send, clock, logger, capacity: 50 });

    for (let second = 0; second < 600; second++) {
      outbox.enqueue(notification());
      assert.ok(outbox.stats().queueLength <= 50, `queue ${outbox.stats().queueLength} at ${second}s`);
      await clock.advance(1000);
    }
    assert.equal(delivered.length, 0);
    assert.ok(gaps(calls).every((g) => g >= 30_000), `a request inside Retry-After: ${gaps(calls)}`);
    assert.equal(outbox.stats().dropped, 550);
    assert.equal(outbox.stats().failed.rate_limited, calls.length);

    await clock.advance(120_000);
    const stats = outbox.stats();
    assert.deepEqual({ sent: stats.sent, queueLength: stats.queueLength, dropped: stats.dropped }, { sent: 50, queueLength: 0, dropped: 550 });
    assert.match(delivered[0] ?? '', /550 earlier messages were dropped \(outbox full\)/);
    assert.ok(delivered.slice(1).every((t) => !t.includes('dropped')), 'drops announced more than once');
    assert.ok(gaps(calls).every((g) => g >= 1000), 'two requests within 1 s');
    // One log line for the overflow burst, not one per dropped message.
    assert.equal(lines.filter((l) => l.includes('outbox full')).length, 1);
  });

  it('backs off exponentially on server and network errors, up to 60 s, then resets after a success', async () => {
    const clock = new FakeClock();
    const { calls, send } = scriptedChannel(clock, (i) =>
      i < 9 ? { ok: false, reason: i % 2 ? 'network' : 'server_error', status: 500 } : { ok: true },
    );
    const outbox = new Outbox({ send, clock, logger: captureLogger().logger });
    outbox.enqueue(notification());
    outbox.enqueue(notification());
    await clock.advance(10 * 60_000);
    assert.deepEqual(gaps(calls), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 1000]);
    assert.deepEqual(outbox.stats().failed, { rate_limited: 0, server_error: 5, network: 4, rejected: 0 });
    assert.equal(outbox.stats().sent, 2);
  });

  it('drops a rejected message without retrying and remembers why', async () => {
    const clock = new FakeClock();
    const { calls, send } = scriptedChannel(clock, (i) =>
      i === 0 ? { ok: false, reason: 'rejected', status: 404, detail: 'no_service' } : { ok: true },
    );
    const { logger, lines } = captureLogger();
    const outbox = new Outbox({ send, clock, logger });
    const [first, second] = [notification(), notification()];
    outbox.enqueue(first);
    outbox.enqueue(second);
    await clock.advance(5000);
    assert.deepEqual(calls.map((c) => c.id), [first.id, second.id]);
    const stats = outbox.stats();
    assert.deepEqual(stats.lastRejection, { status: 404, detail: 'no_service', at: calls[0]?.at });
    assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, rejected: stats.failed.rejected }, { sent: 1, dropped: 1, rejected: 1 });
    assert.equal(calls[1]?.dropped, 0, 'a rejection is not an overflow');
    assert.equal(lines.filter((l) => l.includes('notification rejected')).length, 1);
  });

  it('treats a send that throws as a network error and keeps going', async () => {
    const clock = new FakeClock();
    const { calls, send } = scriptedChannel(clock, (i) => {
      if (i === 0) throw new Error('boom https://hooks.example/secret');
      return { ok: true };
    });
    const { logger, lines } = captureLogger();
    const outbox = new Outbox({ send, clock, logger });
    outbox.enqueue(notification());
    await clock.advance(5000);
    assert.equal(calls.length, 2);
    assert.equal(outbox.stats().failed.network, 1);
    assert.equal(outbox.stats().sent, 1);
    assert.ok(lines.every((l) => !l.includes('secret')));
  });

  it('restores a persisted queue ahead of new messages, without duplicates', async () => {
    const clock = new FakeClock();
    const { calls, send } = scriptedChannel(clock, () => ({ ok: false, reason: 'server_error', status: 503 }));
    const [a, b, c] = [notification(), notification(), notification()];
    const outbox = new Outbox({ send, clock, logger: captureLogger().logger });
    outbox.enqueue(c);
    outbox.restore([a, b, c, a]);
    outbox.enqueue(b);
    assert.deepEqual(outbox.snapshot().map((n) => n.id), [a.id, b.id, c.id]);
    await clock.advance(60_000);
    // c was already in flight when the restore came; after that the oldest (a) is retried, in place.
    assert.equal(calls[0]?.id, c.id);
    assert.ok(calls.length > 3 && calls.slice(1).every((call) => call.id === a.id));

    const restarted = new Outbox({ send: async () => ({ ok: true }), clock, logger: captureLogger().logger });
    restarted.restore(JSON.parse(JSON.stringify(outbox.snapshot())) as Notification[]);
    await clock.advance(10_000);
    assert.deepEqual(restarted.stats().sent, 3);
    assert.deepEqual(restarted.snapshot(), []);
  });

  it('restoring more than capacity keeps the newest and counts the rest as dropped', () => {
    const clock = new FakeClock();
    const outbox = new Outbox({ send: async () => ({ ok: true }), clock, logger: captureLogger().logger, capacity: 2 });
    const ns = [notification(), notification(), notification()];
    outbox.restore(ns);
    assert.deepEqual(outbox.snapshot().map((n) => n.id), [ns[1]?.id, ns[2]?.id]);
    assert.equal(outbox.stats().dropped, 1);
  });

  it('stop() ends a Retry-After wait at once and keeps the message', async () => {
    const clock = new FakeClock();
    const { calls, send } = scriptedChannel(clock, () => ({ ok: false, reason: 'rate_limited', retryAfterMs: 3_600_000 }));
    const outbox = new Outbox({ send, clock, logger: captureLogger().logger });
    const n = notification();
    outbox.enqueue(n);
    await settle();
    assert.equal(calls.length, 1);
    await outbox.stop(5000); // resolves without the fake clock moving
    assert.deepEqual(outbox.snapshot(), [n]);
    assert.equal(clock.pending, 0, 'a sleep left behind');
    outbox.enqueue(notification());
    await clock.advance(2 * 3_600_000);
    assert.equal(calls.length, 1, 'delivered after stop');
    assert.equal(outbox.snapshot().length, 2);
  });

  it('stop() waits for the request in flight up to its deadline, then abandons it', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const outbox = new Outbox({
      send: (_n, ctx) => {
        signal = ctx.signal;
        return new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve({ ok: false, reason: 'network', detail: 'abandoned' })),
        );
      },
      clock,
      logger: captureLogger().logger,
    });
    outbox.enqueue(notification());
    await settle();
    let stopped = false;
    void outbox.stop(3000).then(() => (stopped = true));
    await clock.advance(2999);
    assert.equal(stopped, false);
    assert.equal(signal?.aborted, false);
    await clock.advance(1);
    assert.equal(stopped, true);
    assert.equal(signal?.aborted, true);
    assert.equal(outbox.snapshot().length, 1);
  });

  it('on overflow drops the oldest waiting message, never the one in flight', async () => {
    const clock = new FakeClock();
    const calls: Call[] = [];
    let finishFirst: (r: SendResult) => void = () => undefined;
    const send = (n: Notification, ctx: SendContext): Promise<SendResult> => {
      calls.push({ at: clock.now(), id: n.id, dropped: ctx.droppedSinceLastDelivery });
      if (calls.length === 1) return new Promise((resolve) => (finishFirst = resolve));
      return Promise.resolve({ ok: true });
    };
    const outbox = new Outbox({ send, clock, logger: captureLogger().logger, capacity: 2 });
    const ns = [notification(), notification(), notification(), notification()];
    for (const n of ns) outbox.enqueue(n);
    assert.deepEqual(outbox.snapshot().map((n) => n.id), [ns[0]?.id, ns[3]?.id]);
    finishFirst({ ok: true });
    await clock.advance(5000);
    assert.deepEqual(calls.map((c) => [c.id, c.dropped]), [[ns[0]?.id, 0], [ns[3]?.id, 2]]);
    assert.deepEqual({ sent: outbox.stats().sent, dropped: outbox.stats().dropped }, { sent: 2, dropped: 2 });
  });

  it('ignores a notification whose id is already queued', () => {
    const outbox = new Outbox({ send: async () => ({ ok: true }), clock: new FakeClock(), logger: captureLogger().logger });
    const n = notification();
    outbox.enqueue(n);
    outbox.enqueue({ ...n });
    assert.equal(outbox.stats().queueLength, 1);
  });
});
