// A private Prometheus server (Debian package `prometheus`) that scrapes one target and loads rule files,
// for end-to-end tests of alerts/vigil.rules.yml against a live vigil. Loopback only, temp storage.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeStackDir, register, unregister, type Resource } from './cleanup';
import { signal } from './pids';
import { freePort, requireBinary, waitFor } from './proc';

export interface PrivatePrometheus {
  readonly url: string;
  /** GET an API path (e.g. `/api/v1/alerts`) and return its `data`. */
  api<T>(apiPath: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: { target: string; ruleFiles: string[]; intervalSeconds?: number }): Promise<PrivatePrometheus> {
  const bin = requireBinary('prometheus', 'prometheus');
  const dir = makeStackDir('prometheus');
  const port = await freePort();
  const every = `${opts.intervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${every}`,
    `  evaluation_interval: ${every}`,
    'rule_files:',
    ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(path.resolve(f))}`),
    'scrape_configs:',
    '  - job_name: vigil',
    `    static_configs: [{ targets: [${JSON.stringify(opts.target)}] }]`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
  const log = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { cwd: dir, stdio: ['ignore', log, log], detached: true },
  );
  const resource: Resource = {
    dir,
    killSync: () => child.pid && signal(child.pid, 'SIGKILL'),
  };
  register(resource);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('prometheus ready', async () => (await fetch(`${url}/-/ready`).catch(() => null))?.ok, 15_000, 100).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${fs.readFileSync(path.join(dir, 'prometheus.log'), 'utf8').slice(-2000)}`);
  });
  return {
    url,
    async api<T>(apiPath: string): Promise<T> {
      const res = await fetch(`${url}${apiPath}`, { signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus ${apiPath}: ${body.error ?? res.status}`);
      return body.data;
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      child.kill('SIGKILL');
      unregister(resource);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
