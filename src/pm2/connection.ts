/**
 * A connection to an existing PM2 daemon that can never start one.
 *
 * pm2's high-level API (`pm2.connect`, and `executeRemote` whenever the RPC socket is gone) spawns a
 * daemon when none answers, and its calls hang while the daemon is down. So this talks to pm2's low-level
 * Client: ping, then open the RPC socket only — and calls the RPC client directly, each under a deadline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { withDeadline } from '../util/deadline';

/** The raw shape of one `getMonitorData` entry, as far as vigil reads it. */
export interface RawPm2Process {
  name?: unknown;
  pm_id?: unknown;
  pid?: unknown;
  monit?: { memory?: unknown; cpu?: unknown };
  pm2_env?: Record<string, unknown>;
}

/** What the bus reports: `process:event` payloads. */
export interface Pm2ProcessEvent {
  event: string;
  name: string | null;
  manually: boolean;
}

interface AxonSocket {
  close(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface LowLevelClient {
  pingDaemon(cb: (alive: boolean) => void): void;
  launchRPC(cb: (err?: Error | null) => void): void;
  launchBus(cb: (err: Error | null, bus: AxonSocket) => void): void;
  client: { call(method: string, args: unknown, cb: (err: Error | null, result: unknown) => void): void } | null;
  client_sock?: AxonSocket & { destroy?: () => void };
  sub_sock?: AxonSocket;
}

export class Pm2Connection {
  private client: LowLevelClient | null = null;
  private bus: AxonSocket | null = null;

  constructor(
    readonly home: string,
    private readonly onEvent?: (e: Pm2ProcessEvent) => void,
  ) {}

  /** True when the RPC socket is open (it may still be dead; a failing call resets it). */
  get connected(): boolean {
    return this.client?.client != null;
  }

  /** Connects when needed, then calls one daemon method; on any failure the connection is dropped. */
  async call<T>(method: string, args: unknown, ms: number): Promise<T> {
    try {
      const client = await this.ensureConnected(ms);
      return await withDeadline(
        new Promise<T>((resolve, reject) => client.client!.call(method, args, (err, res) => (err ? reject(err) : resolve(res as T)))),
        ms,
        `pm2 ${method}`,
      );
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Closes the sockets. pm2's own disconnect waits and retries; closing them directly returns at once. */
  close(): void {
    for (const sock of [this.client?.client_sock, this.client?.sub_sock]) {
      try {
        sock?.close();
      } catch {
        /* already closed */
      }
    }
    this.client = null;
    this.bus = null;
  }

  private async ensureConnected(ms: number): Promise<LowLevelClient> {
    if (this.client?.client) return this.client;
    const client = makeClient(this.home);
    const alive = await withDeadline(new Promise<boolean>((resolve) => client.pingDaemon(resolve)), ms, 'pm2 ping');
    if (!alive) throw new Error(`no PM2 daemon answers at ${this.home}`);
    this.client = client;
    await withDeadline(
      new Promise<void>((resolve, reject) => client.launchRPC((err) => (err ? reject(err) : resolve()))),
      ms,
      'pm2 connect',
    );
    if (this.onEvent) this.subscribe(client);
    return client;
  }

  /** The bus is (re)opened with each new connection, so a daemon that comes back is subscribed again. */
  private subscribe(client: LowLevelClient): void {
    client.launchBus((err, bus) => {
      if (err || this.client !== client) return;
      this.bus = bus;
      bus.on('process:event', (data: unknown) => {
        const d = data as { event?: unknown; process?: { name?: unknown }; manually?: unknown };
        this.onEvent?.({
          event: String(d.event ?? ''),
          name: typeof d.process?.name === 'string' ? d.process.name : null,
          manually: d.manually === true,
        });
      });
    });
  }
}

/**
 * pm2's Client with the paths of `home`. It is checked first: pm2 calls `process.exit(1)` inside the caller
 * when the socket belongs to another user, and creates folders under a home that does not exist.
 */
function makeClient(home: string): LowLevelClient {
  const rpcSocket = path.join(home, 'rpc.sock');
  if (!fs.existsSync(rpcSocket)) throw new Error(`no PM2 daemon at ${home} (no rpc.sock)`);
  try {
    fs.accessSync(rpcSocket, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw new Error(`permission denied on ${rpcSocket}: run vigil as the user that runs PM2`);
  }
  process.env.PM2_PROGRAMMATIC = 'true'; // no banner, no version check on the network
  /* eslint-disable @typescript-eslint/no-require-imports */
  const constants = require('pm2/constants.js') as Record<string, unknown>;
  const paths = require('pm2/paths.js') as (home: string) => Record<string, unknown>;
  const Client = require('pm2/lib/Client.js') as new (opts: { conf: Record<string, unknown> }) => LowLevelClient;
  return new Client({ conf: { ...constants, ...paths(home) } });
}
