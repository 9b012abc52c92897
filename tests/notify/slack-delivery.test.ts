/** The Slack channel through the outbox, against the local webhook stand-in, on the real clock. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { systemClock } from '../../src/notify/clock';
import { Outbox, type OutboxOptions } from '../../src/notify/outbox';
import { parseRetryAfter, slackSender } from '../../src/notify/slack-sender';
import type { Notification, SendContext, SendResult } from '../../src/notify/types';
import { captureLogger } from '../helpers/capture-logger';
import { notification } from '../helpers/notifications';
import { type RecordedRequest, type ScriptedResponse, type SlackStandin, startSlackStandin } from '../helpers/slack-standin';

// Arrival times are taken on the server, so the client's spacing can look a few ms shorter there
// (the first request also pays for the TCP connect).
const TRANSPORT_SLACK_MS = 50;

const open: { standin: SlackStandin; outbox?: Outbox }[] = [];
afterEach(async () => {
  for (const { standin, outbox } of open.splice(0)) {
    await outbox?.stop(0);
    await standin.close();
  }
});

async function setup(script: ScriptedResponse[], opts: { timeoutMs?: number; outbox?: Partial<OutboxOptions>; path?: string } = {}) {
  const standin = await startSlackStandin(script, opts.path);
  const { logger, lines } = captureLogger();
  const slack = slackSender({ webhookUrl: standin.url, timeoutMs: opts.timeoutMs ?? 5000, mention: '<!here>' });
  const results: SendResult[] = [];
  const send = async (n: Notification, ctx: SendContext): Promise<SendResult> => {
    const result = await slack(n, ctx);
    results.push(result);
    return result;
  };
  const outbox = new Outbox({ send, clock: systemClock, logger, ...opts.outbox });
  open.push({ standin, outbox });
  return { standin, outbox, lines, results };
}

/** The notification id a request carried (the tests put it in a note). */
function carried(r: RecordedRequest): string | undefined {
  return /\bmsg:([\w-]+)/.exec(JSON.stringify(r.body))?.[1];
}

function tagged(): Notification {
  const n = notification();
  n.notes = [`msg:${n.id}`];
  return n;
}

function gaps(requests: RecordedRequest[]): number[] {
  return requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0));
}

describe('Slack delivery through the outbox', () => {
  it('waits out Retry-After on 429 and delivers exactly once', async () => {
    const { standin, outbox } = await setup([
      { status: 429, retryAfter: 2 },
      { status: 429, retryAfter: 2 },
    ]);
    const [first, sentinel] = [tagged(), tagged()];
    outbox.enqueue(first);
    outbox.enqueue(sentinel);
    await standin.waitForRequests(4);
    await outbox.stop(5000);

    assert.deepEqual(standin.requests.map(carried), [first.id, first.id, first.id, sentinel.id]);
    const [afterFirst429, afterSecond429, beforeSentinel] = gaps(standin.requests);
    assert.ok((afterFirst429 ?? 0) >= 2000 - TRANSPORT_SLACK_MS, `retried ${afterFirst429}ms after a 429 with Retry-After: 2`);
    assert.ok((afterSecond429 ?? 0) >= 2000 - TRANSPORT_SLACK_MS, `retried ${afterSecond429}ms after a 429 with Retry-After: 2`);
    assert.ok((beforeSentinel ?? 0) >= 1000 - TRANSPORT_SLACK_MS, `two requests ${beforeSentinel}ms apart`);
    const stats = outbox.stats();
    assert.deepEqual({ sent: stats.sent, rateLimited: stats.failed.rate_limited, queue: stats.queueLength }, { sent: 2, rateLimited: 2, queue: 0 });
  });

  it('retries 5xx with backoff, never two requests within 1 s, and delivers once, in order', async () => {
    const { standin, outbox } = await setup([{ status: 500 }, { status: 500 }, { status: 500 }], {
      outbox: { backoff: { initialMs: 200, maxMs: 60_000 } },
    });
    const ns = [tagged(), tagged(), tagged()];
    for (const n of ns) outbox.enqueue(n);
    await standin.waitForRequests(6);
    await outbox.stop(5000);

    assert.deepEqual(standin.requests.map(carried), [ns[0]?.id, ns[0]?.id, ns[0]?.id, ns[0]?.id, ns[1]?.id, ns[2]?.id]);
    for (const gap of gaps(standin.requests)) assert.ok(gap >= 1000 - TRANSPORT_SLACK_MS, `two requests ${gap}ms apart`);
    assert.deepEqual(outbox.stats().failed, { rate_limited: 0, server_error: 3, network: 0, rejected: 0 });
    assert.equal(outbox.stats().sent, 3);
  });

  it('does not retry 404 no_service: one attempt, counted as rejected, shown as lastRejection', async () => {
    const { standin, outbox } = await setup([{ status: 404, body: 'no_service' }]);
    const [first, sentinel] = [tagged(), tagged()];
    const before = Date.now();
    outbox.enqueue(first);
    outbox.enqueue(sentinel);
    await standin.waitForRequests(2);
    await outbox.stop(5000);

    assert.deepEqual(standin.requests.map(carried), [first.id, sentinel.id]);
    const stats = outbox.stats();
    assert.deepEqual({ sent: stats.sent, dropped: stats.dropped, rejected: stats.failed.rejected }, { sent: 1, dropped: 1, rejected: 1 });
    assert.equal(stats.lastRejection?.status, 404);
    assert.equal(stats.lastRejection?.detail, 'no_service');
    assert.ok((stats.lastRejection?.at ?? 0) >= before);
  });

  it('times out a hanging webhook, retries, and never blocks enqueue', async () => {
    const { standin, outbox, lines } = await setup([{ hang: true }], { timeoutMs: 300, outbox: { backoff: { initialMs: 100, maxMs: 1000 } } });
    const [first, second] = [tagged(), tagged()];
    outbox.enqueue(first);
    await standin.waitForRequests(1);
    // The request hangs now; enqueue is synchronous and must still return at once.
    const t0 = performance.now();
    assert.equal(outbox.enqueue(second) as unknown, undefined);
    assert.ok(performance.now() - t0 < 50);
    assert.equal(outbox.stats().queueLength, 2);

    await standin.waitForRequests(3);
    await outbox.stop(5000);
    assert.deepEqual(standin.requests.map(carried), [first.id, first.id, second.id]);
    assert.equal(outbox.stats().failed.network, 1);
    assert.equal(outbox.stats().sent, 2);
    assert.ok(lines.some((l) => l.includes('timeout after 300ms')), 'the timeout is logged');
  });

  it('stop() abandons a hanging request after its deadline and keeps the message for the state file', async () => {
    const { standin, outbox } = await setup([{ hang: true }], { timeoutMs: 60_000 });
    const n = tagged();
    outbox.enqueue(n);
    await standin.waitForRequests(1);
    const t0 = Date.now();
    await outbox.stop(300);
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 5000, `stop took ${took}ms`);
    assert.deepEqual(outbox.snapshot(), [n]);
  });

  it('secrets canary: the webhook URL appears in no log line, stat, result or payload', async () => {
    const token = `canary${randomUUID().replace(/-/g, '')}`;
    const path = `/services/T0CANARY/B0CANARY/${token}`;
    const { standin, outbox, lines, results } = await setup(
      [{ status: 429, retryAfter: 1 }, { status: 500 }, { hang: true }, { status: 404, body: 'no_service' }, { status: 410, body: 'channel_is_archived' }],
      { path, timeoutMs: 300, outbox: { backoff: { initialMs: 100, maxMs: 1000 } } },
    );
    for (let i = 0; i < 3; i++) outbox.enqueue(tagged());
    await standin.waitForRequests(6);
    await outbox.stop(5000);

    // A refused connection, through the same redaction.
    const closed = await startSlackStandin([], path);
    await closed.close();
    const refused = slackSender({ webhookUrl: closed.url, timeoutMs: 1000, mention: '' });
    results.push(await refused(tagged(), { droppedSinceLastDelivery: 0, signal: new AbortController().signal }));

    const reasons = new Set(results.map((r) => (r.ok ? 'ok' : r.reason)));
    assert.deepEqual([...reasons].sort(), ['network', 'ok', 'rate_limited', 'rejected', 'server_error']);
    assert.ok(standin.requests.every((r) => r.path === path), 'the stand-in saw the secret path');

    const invalid = (() => {
      try {
        slackSender({ webhookUrl: `not a url ${token}`, mention: '' });
        return undefined;
      } catch (err) {
        return err as Error;
      }
    })();
    assert.ok(invalid instanceof Error);

    const exposed = {
      logs: lines.join('\n'),
      stats: JSON.stringify(outbox.stats()),
      results: JSON.stringify(results),
      payloads: JSON.stringify(standin.requests.map((r) => r.body)),
      snapshot: JSON.stringify(outbox.snapshot()),
      error: `${invalid.message} ${invalid.stack} ${JSON.stringify(invalid)} ${String(invalid.cause)}`,
    };
    assert.ok(exposed.logs.includes('notification rejected'), 'the failures were logged');
    for (const [where, text] of Object.entries(exposed)) assert.ok(!text.includes(token), `webhook token in ${where}`);
  });
});

describe('the Slack stand-in', () => {
  it('closes while a request hangs', async () => {
    const standin = await startSlackStandin([{ hang: true }]);
    const request = fetch(standin.url, { method: 'POST', body: '{}' });
    await standin.waitForRequests(1);
    const t0 = Date.now();
    await standin.close();
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(request);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and caps absurd values', () => {
    const now = Date.UTC(2026, 10, 1, 9, 0, 0);
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
    assert.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0);
    assert.equal(parseRetryAfter('99999999', now), 3_600_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});
