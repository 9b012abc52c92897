// A private, throwaway Postgres cluster: initdb in a temp dir, trust auth, loopback + a private
// unix socket, fsync off. initdb + first start take a few seconds, so a test file should start ONE
// cluster (in before()) and call createDatabase() once per test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { makeStackDir, register, STACK_ENV, unregister, type Resource } from './cleanup';
import { freePort, findPids, pidAlive, requireBinary, run, signal, signalGroup, sleepSync, tail, waitFor } from './proc';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

export interface PrivatePostgres {
  readonly port: number;
  /** Postmaster pid (changes on start()). */
  readonly pid: number;
  readonly dir: string;
  /** postgres://postgres@127.0.0.1:port/postgres (superuser, trust auth). */
  readonly adminUrl: string;
  /** CREATE DATABASE (default: a random name); returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** `pg_ctl stop -m fast`: the "Postgres is down" fault. The data dir stays for start(). */
  stop(): Promise<void>;
  /** Start again on the same data dir and port. */
  start(): Promise<void>;
  /**
   * Signal the postmaster. SIGKILL (the default) kills the whole cluster (postmaster and backends)
   * and waits; any other signal (SIGSTOP, SIGCONT, ...) goes to the postmaster only, so a
   * SIGSTOPped postmaster keeps existing connections working while new ones hang.
   */
  kill(sig?: NodeJS.Signals): Promise<void>;
  /** Stop for good and remove the temp dir. Call it in after(). */
  destroy(): Promise<void>;
}

/** Highest installed /usr/lib/postgresql/<v>/bin, where Debian puts initdb/postgres/pg_ctl. */
function pgBinDir(): string[] {
  const root = '/usr/lib/postgresql';
  try {
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return versions.map((v) => path.join(root, v, 'bin'));
  } catch {
    return [];
  }
}

/** initdb and the postmaster refuse to run as root: run them as the `postgres` user then. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root but there is no `postgres` user: apt-get install postgresql');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

class PostgresCluster implements PrivatePostgres, Resource {
  readonly dir = makeStackDir('pg');
  private readonly data = path.join(this.dir, 'data');
  private readonly log = path.join(this.dir, 'postgres.log');
  private readonly user = runAs();
  private child: ChildProcess | undefined;
  private exited = true;
  port = 0;

  constructor(private readonly bins: { initdb: string; postgres: string; pgCtl: string }) {
    if (this.user.uid !== undefined) fs.chownSync(this.dir, this.user.uid, this.user.gid ?? 0);
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', [STACK_ENV]: this.dir };
  }

  async init(port: number): Promise<void> {
    this.port = port;
    const args = ['-D', this.data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'];
    const r = await run(this.bins.initdb, args, { ...this.user, env: this.env(), cwd: this.dir, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`initdb failed (${r.code}):\n${r.stderr || r.stdout}`);
    // In postgresql.conf rather than on the command line, so start() needs nothing but the data dir.
    const conf = [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${this.dir}'`,
      'fsync = off', // throwaway data: durability only costs time
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 100',
    ];
    fs.appendFileSync(path.join(this.data, 'postgresql.conf'), `\n# vigil test stack\n${conf.join('\n')}\n`);
  }

  /** Run the postmaster directly (not via pg_ctl) so that child.pid IS the postmaster. */
  async start(): Promise<void> {
    if (this.pid && !this.exited) throw new Error('postgres is already running');
    const out = fs.openSync(this.log, 'a');
    const child = spawn(this.bins.postgres, ['-D', this.data], {
      ...this.user,
      cwd: this.dir,
      env: this.env(),
      stdio: ['ignore', out, out],
      detached: true, // own process group = postmaster + backends, killable as one
    });
    fs.closeSync(out);
    child.unref();
    this.child = child;
    this.exited = false;
    child.once('exit', () => {
      if (this.child === child) this.exited = true;
    });
    await waitFor(`postgres on port ${this.port}`, async () => this.exited || (await this.answers()), START_TIMEOUT_MS, 100);
    if (this.exited) throw new Error(`postgres failed to start on port ${this.port}:\n${tail(this.log)}`);
  }

  private async answers(): Promise<boolean> {
    const c = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
    c.on('error', () => {}); // a late socket error must not crash the test process
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch {
      return false; // "the database system is starting up", ECONNREFUSED...
    } finally {
      await c.end().catch(() => {});
    }
  }

  async createDatabase(name = `t_${crypto.randomBytes(6).toString('hex')}`): Promise<string> {
    const c = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 5000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } finally {
      await c.end().catch(() => {});
    }
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(name)}`;
  }

  async stop(): Promise<void> {
    const pid = this.pid;
    if (!pid || this.exited) return;
    signal(pid, 'SIGCONT'); // a SIGSTOPped postmaster cannot shut down
    const r = await run(this.bins.pgCtl, ['stop', '-D', this.data, '-m', 'fast', '-w', '-t', '30'], {
      ...this.user,
      env: this.env(),
      cwd: this.dir,
      timeoutMs: STOP_TIMEOUT_MS + 5_000,
    });
    if (r.code !== 0 && pidAlive(pid)) throw new Error(`pg_ctl stop failed (${r.code}):\n${r.stderr || r.stdout}`);
    await waitFor('postmaster to exit', () => this.exited, STOP_TIMEOUT_MS, 25);
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    if (!pid || this.exited) return;
    if (sig !== 'SIGKILL') return signal(pid, sig);
    signal(pid, 'SIGCONT');
    signalGroup(pid, 'SIGKILL'); // postmaster and backends share its process group
    // Wait for every process of this cluster, not just the postmaster: leftover backends would
    // hold the shared memory and make the next start() fail.
    await waitFor('postgres processes to exit', () => this.exited && this.processes().length === 0, STOP_TIMEOUT_MS, 25);
  }

  /**
   * A SIGKILLed cluster leaves its SysV shared memory segment behind (start() on the same dir would
   * reuse it, but destroy() removes the dir): free it. Its id is on line 7 of postmaster.pid.
   */
  private freeSharedMemory(): void {
    try {
      const line = fs.readFileSync(path.join(this.data, 'postmaster.pid'), 'utf8').split('\n')[6] ?? '';
      const shmid = line.trim().split(/\s+/)[1];
      if (shmid && /^\d+$/.test(shmid)) spawnSync('ipcrm', ['-m', shmid], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // no pid file: clean shutdown, nothing to free
    }
  }

  /** Live processes of this cluster (every postgres process runs in the data dir), zombies excluded. */
  processes(): number[] {
    return findPids([], this.dir);
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } catch {
      await this.kill('SIGKILL');
    }
    this.freeSharedMemory();
    unregister(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Exit hook: an immediate shutdown (SIGQUIT) lets the postmaster free its SysV shared memory. */
  killSync(): void {
    const pid = this.pid;
    if (!pid || this.exited || !pidAlive(pid)) return;
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGQUIT');
    for (let i = 0; i < 60 && pidAlive(pid); i++) sleepSync(50);
    if (!pidAlive(pid)) return;
    signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 20 && pidAlive(pid); i++) sleepSync(50);
    this.freeSharedMemory();
  }
}

export async function startPostgres(): Promise<PrivatePostgres> {
  const dirs = pgBinDir();
  const bins = {
    initdb: requireBinary('initdb', 'postgresql', dirs),
    postgres: requireBinary('postgres', 'postgresql', dirs),
    pgCtl: requireBinary('pg_ctl', 'postgresql', dirs),
  };
  const cluster = new PostgresCluster(bins);
  register(cluster);
  try {
    await cluster.init(await freePort());
    await cluster.start();
    return cluster;
  } catch (err) {
    await cluster.destroy().catch(() => {});
    throw err;
  }
}
