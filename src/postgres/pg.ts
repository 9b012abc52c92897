/**
 * Postgres connections for vigil: a small pool for the checks, dedicated clients for remediation runs,
 * and the two rules that keep them honest — every wait has a client-side deadline, and a client whose
 * query missed it is destroyed, never returned to the pool (pg's `query_timeout` would leave the query
 * running on the server and the client unusable; the server-side `statement_timeout` does the stopping).
 */
import pg from 'pg';
import type { Logger } from '../log';
import { DeadlineError, errorText, withDeadline } from '../util/deadline';

export const APPLICATION_NAME = 'vigil';

export interface ConnectOptions {
  url: string;
  /** `connectionTimeoutMillis`: connecting, and waiting for a pool slot. */
  connectTimeoutMs: number;
}

function clientConfig(o: ConnectOptions): pg.ClientConfig {
  return { connectionString: o.url, application_name: APPLICATION_NAME, connectionTimeoutMillis: o.connectTimeoutMs, keepAlive: true };
}

/** A small pool. Errors of idle clients (server restarted, network cut) are logged, never thrown. */
export function createPool(o: ConnectOptions & { max: number; logger: Logger; scrub: (t: string) => string }): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(o), max: o.max, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
  pool.on('error', (err) => o.logger.debug({ error: o.scrub(errorText(err)) }, 'idle postgres connection lost'));
  return pool;
}

/** A dedicated connection (remediation runs hold a session-level advisory lock on it). */
export async function connectClient(o: ConnectOptions, onError: (err: Error) => void): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(o));
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/** Server error codes mean the statement failed; anything else (no code, class 08, shutdown 57P0x) means the connection did. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof DeadlineError) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** One line for a pg error: the message, and the SQLSTATE when the server sent one. */
export function pgErrorText(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const text = errorText(err) || 'unknown error';
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `${text} (SQLSTATE ${code})` : text;
}

/**
 * Borrows a pool client for `fn`, all under one deadline. When `fn` fails with a statement error the
 * transaction is rolled back and the client goes back to the pool; when it misses the deadline or the
 * connection failed, the client is destroyed.
 */
export async function withPoolClient<T>(pool: pg.Pool, ms: number, what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  const pending = pool.connect();
  let client: pg.PoolClient;
  try {
    client = await withDeadline(pending, ms, `${what}: connect`);
  } catch (err) {
    pending.then((late) => late.release(), () => undefined); // arrived after the deadline: hand it back
    throw err;
  }
  let broken: Error | undefined;
  try {
    return await withDeadline(fn(client), Math.max(1, deadline - Date.now()), what);
  } catch (err) {
    if (isConnectionError(err)) broken = err instanceof Error ? err : new Error(String(err));
    else {
      try {
        await withDeadline(client.query('ROLLBACK'), Math.max(250, deadline - Date.now()), `${what}: rollback`);
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
