/**
 * The Slack incoming-webhook channel: formats a notification and posts it once, classifying the answer
 * for the outbox. Retrying is the outbox's job, so @slack/webhook runs with its default of no retries.
 *
 * The webhook URL is a secret (anyone holding it can post to the channel): it is never put in a log
 * line, an error, a detail or a stat, and any text that might echo it is redacted.
 */
import {
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
  type FetchFunction,
  type IncomingWebhookSendArguments,
} from '@slack/webhook';
import { formatSlack } from './slack-format';
import type { SendFn, SendResult } from './types';

export interface SlackSenderOptions {
  webhookUrl: string;
  /** Per request, body included. */
  timeoutMs?: number;
  /** E.g. `<!here>`, added when a critical alert fires; '' for none. */
  mention: string;
}

// A garbled Retry-After must not stall the outbox for days; Slack's own values are seconds to minutes.
const MAX_RETRY_AFTER_MS = 60 * 60_000;
const MAX_DETAIL_CHARS = 200;

/** Builds the send function of a Slack webhook channel. Throws (without the URL) if the URL is invalid. */
export function slackSender(opts: SlackSenderOptions): SendFn {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const redact = redactor(opts.webhookUrl);

  return async (n, ctx) => {
    const { text, blocks } = formatSlack(n, { mention: opts.mention, droppedSinceLastDelivery: ctx.droppedSinceLastDelivery });
    // IncomingWebhook turns a 429 into an error without the response headers; this fetch keeps the
    // Retry-After, and adds the outbox's signal so that stop() can abandon a request past its deadline.
    let retryAfter: string | null = null;
    const recordingFetch: FetchFunction = async (input, init) => {
      const signal = init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal;
      const response = await fetch(input, { ...init, signal });
      retryAfter = response.headers.get('retry-after');
      return response;
    };
    const webhook = new IncomingWebhook(opts.webhookUrl, { fetch: recordingFetch, timeout: timeoutMs });
    try {
      await webhook.send({ text, blocks: blocks as IncomingWebhookSendArguments['blocks'] });
      return { ok: true };
    } catch (err) {
      return classify(err, retryAfter, timeoutMs, redact);
    }
  };
}

function classify(err: unknown, retryAfter: string | null, timeoutMs: number, redact: (s: string) => string): SendResult {
  if (err instanceof IncomingWebhookHTTPError) {
    const status = err.statusCode;
    const detail = redact(err.body.trim().slice(0, MAX_DETAIL_CHARS)) || `HTTP ${status}`;
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      return { ok: false, reason: 'rate_limited', status, detail, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    }
    if (status >= 500 || status === 408) return { ok: false, reason: 'server_error', status, detail };
    // 400 invalid_payload, 403 action_prohibited, 404 no_service, 410 channel_is_archived, other 4xx:
    // sending the same request again cannot succeed.
    return { ok: false, reason: 'rejected', status, detail };
  }
  if (err instanceof IncomingWebhookRequestError) {
    return { ok: false, reason: 'network', detail: redact(describeRequestError(err.original, timeoutMs)) };
  }
  return { ok: false, reason: 'network', detail: err instanceof Error ? err.name : 'unknown error' };
}

function describeRequestError(e: Error, timeoutMs: number): string {
  if (e.name === 'TimeoutError') return `timeout after ${timeoutMs}ms`;
  if (e.name === 'AbortError') return 'abandoned at shutdown';
  // undici reports "fetch failed" and puts what happened (ECONNREFUSED, a reset, a redirect) in cause.
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  return [e.message, code ?? cause?.message].filter(Boolean).join(': ').slice(0, MAX_DETAIL_CHARS);
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Replaces the webhook URL, and its path (the secret part), wherever it occurs in a text. */
function redactor(webhookUrl: string): (s: string) => string {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    // Node's URL error keeps the input in `.input`; this one must not carry it.
    throw new Error('slack webhookUrl is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('slack webhookUrl must be http(s)');
  const secrets = [webhookUrl, url.href, url.pathname + url.search, url.pathname]
    .filter((s) => s.length > 1)
    .sort((a, b) => b.length - a.length);
  return (s) => secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), s);
}
