/** `vigil wait-healthy`: the deploy gate. Polls a running vigil's /health until it answers 200, or gives up. */
import { parseDuration } from '../config/units';
import { EXIT, ExitError } from './common';
import { localTarget, parseUrlOption } from './target';

export interface WaitOptions {
  url?: string | undefined;
  timeout?: string | undefined;
  token?: string | undefined;
  configFile?: string | undefined;
}

const ATTEMPT_EVERY_MS = 1_000;
const REQUEST_TIMEOUT_MS = 3_000;

export async function waitHealthyCommand(options: WaitOptions): Promise<number> {
  const timeoutMs = parseDuration(options.timeout ?? '120s');
  if (timeoutMs === null) throw new ExitError(EXIT.config, `vigil: invalid --timeout "${options.timeout}" (use 30s, 2m)`);
  const { url, token } = target(options);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    const result = await probe(url, token);
    if (result.healthy) {
      process.stdout.write(`healthy: ${url}\n`);
      return EXIT.ok;
    }
    last = result.detail;
    if (Date.now() + ATTEMPT_EVERY_MS > deadline) break;
    await new Promise((r) => setTimeout(r, ATTEMPT_EVERY_MS));
  }
  process.stdout.write(`not healthy after ${options.timeout ?? '120s'}: ${url}\n${last}\n`);
  return EXIT.failing;
}

function target(options: WaitOptions): { url: string; token: string } {
  if (options.url) {
    parseUrlOption(options.url);
    return { url: options.url, token: options.token ?? process.env.VIGIL_TOKEN ?? '' };
  }
  const { base, token } = localTarget(options);
  return { url: `${base}/health`, token };
}

async function probe(url: string, token: string): Promise<{ healthy: boolean; detail: string }> {
  try {
    const res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status === 200) return { healthy: true, detail: '' };
    let detail = `HTTP ${res.status}`;
    try {
      const body = JSON.parse(text) as { status?: string; reasons?: string[] };
      detail = `status ${body.status ?? res.status}${body.reasons?.length ? `:\n  - ${body.reasons.join('\n  - ')}` : ''}`;
    } catch {
      /* not JSON: keep the status line */
    }
    return { healthy: false, detail };
  } catch (err) {
    return { healthy: false, detail: `unreachable: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}` };
  }
}
