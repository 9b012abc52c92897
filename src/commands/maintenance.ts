/**
 * `vigil maintenance on --for 15m [--reason TEXT] | off | status`: asks a running vigil, over HTTP, to
 * open, close or show its maintenance window. Exit 0 done, 1 refused or unreachable, 2 usage error.
 */
import { parseDuration } from '../config/units';
import { EXIT, ExitError } from './common';
import { localTarget, parseUrlOption } from './target';

export interface MaintenanceOptions {
  action: string | undefined;
  for?: string | undefined;
  reason?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  configFile?: string | undefined;
  /** Where the report goes; stdout by default (tests collect it). */
  write?: (text: string) => void;
}

const USAGE = 'usage: vigil maintenance on --for 15m [--reason TEXT] | off | status [--url URL] [--token T]';
const REQUEST_TIMEOUT_MS = 5_000;

type Window = { since: string; until: string; reason: string } | null;

export async function maintenanceCommand(options: MaintenanceOptions): Promise<number> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const { action } = options;
  if (action !== 'on' && action !== 'off' && action !== 'status') throw new ExitError(EXIT.config, `vigil: maintenance: expected on, off or status\n${USAGE}`);
  if (action === 'on') {
    if (options.for === undefined) throw new ExitError(EXIT.config, `vigil: maintenance on: --for is required\n${USAGE}`);
    if (parseDuration(options.for) === null) throw new ExitError(EXIT.config, `vigil: maintenance on: invalid --for "${options.for}" (use 5m, 1h)`);
  } else if (options.for !== undefined || options.reason !== undefined) {
    throw new ExitError(EXIT.config, `vigil: maintenance ${action}: --for and --reason go with "on"\n${USAGE}`);
  }
  const { url, token } = target(options);
  const method = action === 'on' ? 'POST' : action === 'off' ? 'DELETE' : 'GET';
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (action === 'on') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ for: options.for, ...(options.reason !== undefined ? { reason: options.reason } : {}) });
  }
  let status: number;
  let answer: { maintenance?: Window; closed?: Window; error?: string };
  try {
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    status = res.status;
    answer = (await res.json().catch(() => ({}))) as typeof answer;
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    write(`vigil not reachable at ${url}: ${cause}\n`);
    return EXIT.failing;
  }
  if (status !== 200) {
    write(`refused (HTTP ${status}): ${answer.error ?? 'no detail'}\n`);
    return EXIT.failing;
  }
  if (action === 'on') write(`maintenance on until ${answer.maintenance?.until ?? '?'}${answer.maintenance?.reason ? ` (${answer.maintenance.reason})` : ''}\n`);
  else if (action === 'off') write(answer.closed ? `maintenance off (was on until ${answer.closed.until})\n` : 'maintenance was not on\n');
  else write(answer.maintenance ? `maintenance on until ${answer.maintenance.until}${answer.maintenance.reason ? ` (${answer.maintenance.reason})` : ''}\n` : 'maintenance off\n');
  return EXIT.ok;
}

function target(options: MaintenanceOptions): { url: string; token: string } {
  if (options.url) {
    const u = parseUrlOption(options.url);
    // Accept the base (http://host:9477), or a URL of one of its endpoints.
    return { url: `${u.origin}/maintenance`, token: options.token ?? process.env.VIGIL_TOKEN ?? '' };
  }
  const { base, token } = localTarget(options);
  return { url: `${base}/maintenance`, token };
}
