// Benchmark of the queue source (issue 3). Starts a PRIVATE redis-server (tests/helpers/stack), fills
// 200 bullmq queues with jobs in every state (each with one live worker connection), then measures in
// the same run:
//   1. one poll of all queues by vigil's queue source (discovery included),
//   2. baseline: sequential getJobCounts() + getWorkersCount() per queue (Queues sharing one connection),
//   3. baseline: bullmq's exportPrometheusMetrics() per queue, sequentially,
//   4. GET /metrics under 20 concurrent scrapers (real listen on 127.0.0.1:0; the scrapers run in a child
//      process, bench/scrape-child.ts, so their CPU is not charged to vigil's event loop), with Redis
//      INFO commandstats before/after to show that scrapes run no Redis command.
// Usage: node --import tsx bench/queues-poll.ts [--queues 200] [--polls 50] [--baseline-polls 20] [--scrapes 50]   (npm run bench:queues)
import os from 'node:os';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { buildConfig } from '../src/config/load';
import { buildServer } from '../src/http/server';
import { createMetrics } from '../src/http/metrics';
import { createLogger } from '../src/log';
import { Poller } from '../src/poller';
import type { Runtime } from '../src/runtime';
import { queuesSource } from '../src/sources/queues';
import { StateStore } from '../src/state';
import { startRedis } from '../tests/helpers/stack';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const QUEUES = arg('queues', 200);
const POLLS = arg('polls', 50);
const BASELINE_POLLS = arg('baseline-polls', 20);
const SCRAPERS = 20;
const SCRAPES_EACH = arg('scrapes', 50);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
async function commandCalls(c: Redis): Promise<Map<string, number>> {
  const info = await c.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
  return calls;
}
function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) d[k] = v - (before.get(k) ?? 0);
  return d;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const connection = { host: '127.0.0.1', port: redis.port };
  const admin = new Redis(redis.url);
  const names = Array.from({ length: QUEUES }, (_, i) => `bench-${String(i).padStart(3, '0')}`);

  // --- fill: per queue 10 completed, 5 failed, 1 active, 20 waiting, 5 prioritized, 5 delayed, 2 waiting-children
  const t0 = performance.now();
  const flows = new FlowProducer({ connection });
  const producers: Queue[] = [];
  const workers: Worker[] = [];
  for (const name of names) {
    const q = new Queue(name, { connection });
    producers.push(q);
    await q.addBulk([
      ...Array.from({ length: 10 }, () => ({ name: 'ok', data: {} })),
      ...Array.from({ length: 5 }, () => ({ name: 'bad', data: {} })),
      { name: 'hold', data: {} },
    ]);
    const w = new Worker(name, null, { connection, autorun: false, name: 'bench' });
    w.on('error', () => undefined);
    workers.push(w);
    for (let i = 0; i < 16; i++) {
      const job = (await w.getNextJob('tok'))!;
      if (job.name === 'ok') await job.moveToCompleted('done', 'tok', false);
      else if (job.name === 'bad') await job.moveToFailed(new Error('boom'), 'tok', false);
    }
    await q.addBulk([
      ...Array.from({ length: 20 }, () => ({ name: 'wait', data: {} })),
      ...Array.from({ length: 5 }, (_, i) => ({ name: 'prio', data: {}, opts: { priority: i + 1 } })),
      ...Array.from({ length: 5 }, () => ({ name: 'later', data: {}, opts: { delay: 3_600_000 } })),
    ]);
    await flows.addBulk([0, 1].map(() => ({ name: 'parent', queueName: name, children: [{ name: 'child', queueName: name }] })));
  }
  const fillMs = performance.now() - t0;
  const sample = await producers[0]!.getJobCounts();
  const keys = await admin.dbsize();
  const clients = (String(await admin.call('CLIENT', 'LIST')).trim().split('\n')).length;

  // --- 1. vigil's queue source
  const logger = createLogger({ level: 'warn', secrets: [] });
  const built = buildConfig(
    { redis: { url: redis.url }, pm2: { enabled: false }, stateFile: `${os.tmpdir()}/vigil-bench-${process.pid}.json`, poll: { interval: '5s', timeout: '3s' } },
    { env: {}, baseDir: os.tmpdir(), file: null },
  );
  if (!built.ok) throw new Error(built.problems.join('\n'));
  const config = built.config;
  const state = StateStore.load(config.stateFile, logger);
  const source = queuesSource(config, { logger, state });
  const signal = new AbortController().signal;
  const first = await source.poll(signal);
  const q0 = first.queues[names[0]!]!;
  if (Object.keys(first.queues).length !== QUEUES || q0.workers !== 1) throw new Error(`unexpected poll: ${Object.keys(first.queues).length} queues, workers ${q0.workers}`);
  const beforeVigil = await commandCalls(admin);
  const vigilTimes = await timeEach(POLLS, () => source.poll(signal));
  const vigilCmds = delta(beforeVigil, await commandCalls(admin));
  delete vigilCmds.info;
  const perPoll = Object.fromEntries(Object.entries(vigilCmds).map(([k, v]) => [k, +(v / (POLLS + 3)).toFixed(1)]));

  // --- 1b. the same source on its fallback path (an ACL user without @scripting: plain pipelined commands)
  const plainUrl = await redis.addUser('noscript', 'noscript-pw', '~* &* +@all -@scripting');
  const plainSource = queuesSource({ ...config, redis: { ...config.redis, url: plainUrl } }, { logger: createLogger({ level: 'silent', secrets: [] }), state });
  const plainTimes = await timeEach(POLLS, () => plainSource.poll(signal));
  await plainSource.close();

  // --- 2. baseline: sequential getJobCounts + getWorkersCount per queue, one shared connection
  const shared = new Redis(redis.url, { maxRetriesPerRequest: null });
  const readers = names.map((n) => new Queue(n, { connection: shared, skipMetasUpdate: true }));
  const seqTimes = await timeEach(BASELINE_POLLS, async () => {
    for (const q of readers) {
      await q.getJobCounts();
      await q.getWorkersCount();
    }
  });

  // --- 3. baseline: exportPrometheusMetrics per queue
  const promTimes = await timeEach(BASELINE_POLLS, async () => {
    for (const q of readers) await q.exportPrometheusMetrics();
  });

  // --- 4. /metrics under 20 concurrent scrapers; Redis must see no command from the scrapes
  await Promise.all([...workers.map((w) => w.close(true)), ...producers.map((q) => q.close()), ...readers.map((q) => q.close()), flows.close()]);
  shared.disconnect();
  const poller = new Poller([source], { intervalMs: config.poll.interval, timeoutMs: config.poll.timeout, logger, scrub: (t) => t });
  const snapshot = await poller.pollOnce();
  const runtime: Runtime = { config, version: 'bench', now: () => Date.now(), snapshot: () => poller.current(), lastTick: () => snapshot.time, scrub: (t) => t };
  const app = buildServer({ runtime, metrics: createMetrics(runtime), logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`;
  const body = await (await fetch(url)).text();
  const series = body.split('\n').filter((l) => l.startsWith('vigil_queue_')).length;
  const beforeScrapes = await commandCalls(admin);
  const cpuBefore = process.cpuUsage();
  const load = await new Promise<{ latencies: number[]; wallMs: number }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(__dirname, 'scrape-child.ts'), url, String(SCRAPERS), String(SCRAPES_EACH)], { maxBuffer: 1 << 24 }, (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout) as { latencies: number[]; wallMs: number }),
    );
  });
  const cpu = process.cpuUsage(cpuBefore);
  const { latencies } = load;
  const scrapeWall = load.wallMs;
  const scrapeCmds = delta(beforeScrapes, await commandCalls(admin));
  delete scrapeCmds.info; // the measuring INFO call itself

  await app.close();
  await source.close();
  admin.disconnect();
  await redis.stop();

  const redisVersion = execFileSync('redis-server', ['--version']).toString().trim();
  const median = (xs: number[]) => pct(xs, 0.5);
  const lines = [
    `- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (nproc ${os.availableParallelism()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}, bullmq 6.7.0, ioredis 6.0.0; Redis is a private redis-server on the same machine`,
    `- data: ${QUEUES} queues, each with 10 completed, 5 failed, 1 active, 20 waiting, 5 prioritized, 5 delayed, 2 waiting-children (+2 children waiting) and one worker connection; ${keys} keys, ${clients} clients; fill took ${(fillMs / 1000).toFixed(1)} s; counts of queue 0: ${JSON.stringify(sample)}`,
    '',
    `| one poll of all ${QUEUES} queues | polls | median | p99 | vs vigil |`,
    '|---|---|---|---|---|',
    `| vigil queue source (SCAN discovery, then one pipeline: read-only script, one CLIENT LIST, one XREAD) | ${POLLS} | ${ms(median(vigilTimes))} | ${ms(pct(vigilTimes, 0.99))} | 1× |`,
    `| vigil queue source, fallback path without scripts (plain pipelined commands) | ${POLLS} | ${ms(median(plainTimes))} | ${ms(pct(plainTimes, 0.99))} | ${(median(plainTimes) / median(vigilTimes)).toFixed(1)}× |`,
    `| baseline: sequential \`getJobCounts\` + \`getWorkersCount\` per queue | ${BASELINE_POLLS} | ${ms(median(seqTimes))} | ${ms(pct(seqTimes, 0.99))} | ${(median(seqTimes) / median(vigilTimes)).toFixed(1)}× |`,
    `| baseline: \`exportPrometheusMetrics\` per queue, sequential | ${BASELINE_POLLS} | ${ms(median(promTimes))} | ${ms(pct(promTimes, 0.99))} | ${(median(promTimes) / median(vigilTimes)).toFixed(1)}× |`,
    '',
    `- Redis commands per vigil poll (INFO commandstats delta / polls): ${JSON.stringify(perPoll)}`,
    `- /metrics: ${series} vigil_queue_* series, ${SCRAPERS} concurrent scrapers × ${SCRAPES_EACH} requests: p50 ${ms(pct(latencies, 0.5))}, p99 ${ms(pct(latencies, 0.99))}, max ${ms(Math.max(...latencies))}, ${Math.round((latencies.length / scrapeWall) * 1000)} scrapes/s; vigil's own CPU ${((cpu.user + cpu.system) / 1000 / latencies.length).toFixed(2)} ms per scrape (the scrapers run in another process on the same ${os.availableParallelism()} cores)`,
    `- Redis commands run during the ${latencies.length} scrapes (INFO commandstats delta, the INFO itself excluded): ${JSON.stringify(scrapeCmds)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (Object.keys(scrapeCmds).length > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
