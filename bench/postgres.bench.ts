// Benchmarks for issue 4, on a private Postgres (tests/helpers/stack.ts):
//  1. remediating 10,000 stuck rows of the incident's schema (rows/s), in one run and in runs of 100;
//  2. the stuck-rows check over a 1,000,000-row avatar_generations with an index on (status, "createdAt"),
//     with 1,000 and with 100,000 stuck rows, against the default statement_timeout of 2s.
// Run: node --import tsx bench/postgres.bench.ts     (prints the lines for BENCHMARKS.md)
import os from 'node:os';
import { Remediator } from '../src/remediate/remediator';
import { checksSource } from '../src/sources/checks';
import { CHECK, incidentCheck, seedIncident, withClient } from '../tests/helpers/incident';
import { startPostgres } from '../tests/helpers/stack';
import { testConfig, testLogger } from '../tests/helpers/vigil';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function remediation(pgc: Awaited<ReturnType<typeof startPostgres>>, maxRows: number): Promise<string> {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 10_000, users: 500, fresh: 100 });
  const config = testConfig({ postgres: { url, checks: incidentCheck({ maxRows }) } });
  const r = new Remediator(config, testLogger(config, 'warn').logger);
  const t0 = performance.now();
  let runs = 0;
  for (;;) {
    const report = await r.run(CHECK, 'apply');
    runs += 1;
    if (report.status !== 'done') throw new Error(report.summary);
    if (report.counts.applied === 0) break;
  }
  const ms = performance.now() - t0;
  const applied = r.stats()[CHECK]!.applied;
  if (applied !== 10_000) throw new Error(`applied ${applied}`);
  return `| remediate 10,000 stuck rows, maxRows ${maxRows} (${runs} runs) | ${(ms / 1000).toFixed(2)} s | **${Math.round(applied / (ms / 1000))} rows/s** |`;
}

async function bigCheck(pgc: Awaited<ReturnType<typeof startPostgres>>, stuck: number): Promise<string> {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck, users: 1000 });
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO avatar_generations (id, "userId", status, "createdAt", "completedAt")
       SELECT 'old-' || i, 'user-' || (i % 1000), 'completed', now() - i * interval '1 second', now() - i * interval '1 second'
       FROM generate_series(1, $1) i`,
      [1_000_000 - stuck],
    );
    await c.query('ANALYZE avatar_generations');
  });
  const config = testConfig({ postgres: { url, statementTimeout: '2s', checks: incidentCheck({ mode: 'off' }) }, poll: { interval: '10s', timeout: '5s' } });
  const src = checksSource(config, testLogger(config, 'warn').logger);
  const times: number[] = [];
  try {
    for (let i = 0; i < 11; i++) {
      const { checks } = await src.poll(new AbortController().signal);
      const c = checks[CHECK]!;
      if (!c.up || c.rows !== stuck) throw new Error(`check: up=${c.up} rows=${c.rows} error=${c.error}`);
      if (i > 0) times.push(c.durationMs); // the first run warms the cache
    }
  } finally {
    await src.close();
  }
  return `| stuck check over 1,000,000 rows, ${stuck.toLocaleString('en-US')} stuck (10 runs) | median ${median(times)} ms, max ${Math.max(...times)} ms | within statement_timeout 2,000 ms: ${Math.max(...times) < 2000 ? 'yes' : 'NO'} |`;
}

async function main(): Promise<void> {
  const pgc = await startPostgres();
  try {
    const lines = [
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} (nproc ${os.availableParallelism()}), node ${process.version}, PostgreSQL ${(await withClient(pgc.adminUrl, (c) => c.query('SHOW server_version'))).rows[0].server_version} (private cluster, fsync off), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      '',
      '| what | time | result |',
      '|---|---|---|',
      await remediation(pgc, 10_000),
      await remediation(pgc, 100),
      await bigCheck(pgc, 1_000),
      await bigCheck(pgc, 100_000),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await pgc.destroy();
  }
}

void main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
