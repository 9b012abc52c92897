// A private redis-server per caller: loopback only, no persistence, in its own temp dir.
// Never point a test at 6379: a developer's real Redis may live there.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { makeStackDir, register, STACK_ENV, unregister, type Resource } from './cleanup';
import { freePort, pidAlive, requireBinary, signal, tail, waitFor } from './proc';

const START_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;
const TERMINATING = new Set<string>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']);

export interface StartRedisOptions {
  /** Sets `requirepass`; the default user then needs it, and `url` carries it. */
  requirepass?: string;
}

export interface PrivateRedis {
  readonly port: number;
  /** redis://[:pass@]127.0.0.1:port — the default user. */
  readonly url: string;
  /** Current server pid (changes on restart). */
  readonly pid: number;
  readonly dir: string;
  /** Send `sig` (default SIGKILL); for terminating signals, wait until the server is gone. */
  kill(sig?: NodeJS.Signals): Promise<void>;
  /** Start again on the same port (killing the old server first if it still runs); ACL users are re-added. */
  restart(): Promise<void>;
  /** Stop for good: kill, wait, remove the temp dir. */
  stop(): Promise<void>;
  /**
   * `ACL SETUSER name on >password <rules>`, e.g. rules `'~* &* +@all -client'` for a user refused
   * `CLIENT LIST` (NOPERM). Returns that user's URL. Re-applied after restart() (no ACL file is kept).
   */
  addUser(name: string, password: string, rules?: string): Promise<string>;
}

/** One PING over a raw socket: `+PONG`, or `-NOAUTH` when a password is set, both mean "serving". */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

class RedisServer implements PrivateRedis, Resource {
  readonly dir = makeStackDir('redis');
  private child: ChildProcess | undefined;
  private exited = true;
  private readonly users = new Map<string, { password: string; rules: string }>();
  private readonly log = path.join(this.dir, 'redis.log');

  constructor(
    private readonly bin: string,
    public port: number,
    private readonly opts: StartRedisOptions,
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get url(): string {
    const auth = this.opts.requirepass ? `:${encodeURIComponent(this.opts.requirepass)}@` : '';
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  userUrl(name: string, password: string): string {
    return `redis://${encodeURIComponent(name)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}`;
  }

  /** Spawn and wait for PING. Returns false if the server exited at once (port taken). */
  async spawn(): Promise<boolean> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--daemonize', 'no', '--logfile', '');
    if (this.opts.requirepass) args.push('--requirepass', this.opts.requirepass);
    const out = fs.openSync(this.log, 'a');
    const child = spawn(this.bin, args, {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [STACK_ENV]: this.dir },
      stdio: ['ignore', out, out],
      detached: true, // own process group: the terminal's Ctrl-C goes to us, and we clean up
    });
    fs.closeSync(out);
    child.unref(); // never keep the test process alive on our account
    this.child = child;
    this.exited = false;
    child.once('exit', () => {
      if (this.child === child) this.exited = true;
    });
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => this.exited || (await pingOnce(this.port)),
      START_TIMEOUT_MS,
    );
    if (this.exited) return false;
    for (const [name, u] of this.users) await this.setUser(name, u.password, u.rules);
    return true;
  }

  private async setUser(name: string, password: string, rules: string): Promise<void> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    try {
      await client.connect();
      await client.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, ...rules.split(/\s+/).filter(Boolean));
    } finally {
      client.disconnect();
    }
  }

  async addUser(name: string, password: string, rules = '~* &* +@all'): Promise<string> {
    await this.setUser(name, password, rules);
    this.users.set(name, { password, rules });
    return this.userUrl(name, password);
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    if (!pid || this.exited) return;
    signal(pid, sig);
    if (TERMINATING.has(sig)) await waitFor(`redis-server ${pid} to exit`, () => this.exited, EXIT_TIMEOUT_MS, 10);
  }

  async restart(): Promise<void> {
    if (this.pid && pidAlive(this.pid)) {
      signal(this.pid, 'SIGCONT'); // a SIGSTOPped server would never die of SIGTERM
      await this.kill('SIGKILL');
    }
    if (!(await this.spawn())) throw new Error(`redis-server could not restart on port ${this.port}:\n${tail(this.log)}`);
  }

  async stop(): Promise<void> {
    await this.kill('SIGKILL'); // nothing to save: --save '' and no AOF
    unregister(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  killSync(): void {
    if (this.pid) signal(this.pid, 'SIGKILL');
  }
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<PrivateRedis> {
  const bin = requireBinary('redis-server', 'redis-server');
  // freePort() is racy (another process may grab the port before redis binds it): retry a few times.
  for (let attempt = 1; ; attempt++) {
    const server = new RedisServer(bin, await freePort(), opts);
    register(server);
    if (await server.spawn()) return server;
    const why = tail(path.join(server.dir, 'redis.log'));
    await server.stop();
    if (attempt >= 3) throw new Error(`redis-server failed to start:\n${why}`);
  }
}
