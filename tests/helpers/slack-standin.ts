/**
 * A local stand-in for a Slack incoming webhook: records every request and answers from a script
 * (then 200 "ok"). `{ hang: true }` never answers; close() still closes at once.
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedResponse = { status: number; retryAfter?: number | string; body?: string } | { hang: true };

export interface RecordedRequest {
  /** Date.now() when the request's body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text if it is not JSON. */
  body: unknown;
}

export interface SlackStandin {
  /** The webhook URL to post to: this server plus `path`. */
  url: string;
  requests: RecordedRequest[];
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

// What Slack itself answers in the body for each status.
const DEFAULT_BODY: Record<number, string> = { 200: 'ok', 429: 'rate_limited', 500: 'internal_error', 404: 'no_service' };

export async function startSlackStandin(
  script: ScriptedResponse[] = [],
  path = '/services/T00000000/B00000000/standin',
): Promise<SlackStandin> {
  const requests: RecordedRequest[] = [];
  const arrivals = new EventEmitter();
  const pending = [...script];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      requests.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      arrivals.emit('request');
      const answer = pending.shift() ?? { status: 200 };
      if ('hang' in answer) return;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
      res.writeHead(answer.status, headers).end(answer.body ?? DEFAULT_BODY[answer.status] ?? '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    waitForRequests(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          arrivals.off('request', check);
          resolve();
        };
        const timer = setTimeout(() => {
          arrivals.off('request', check);
          reject(new Error(`stand-in: ${requests.length} of ${count} requests after ${timeoutMs}ms`));
        }, timeoutMs);
        arrivals.on('request', check);
        check();
      });
    },
    async close() {
      // Hanging requests hold their sockets open; without this, close() would wait for them forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
