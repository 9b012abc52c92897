// The postgres source against a private cluster: counts, oldest age and samples; isolation of failing
// checks (syntax, permission, attempted writes, statement_timeout); schedules; an outage and recovery.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createMetrics } from '../../src/http/metrics';
import { Poller } from '../../src/poller';
import type { Runtime } from '../../src/runtime';
import { checksSource } from '../../src/sources/checks';
import { makeScrubber } from '../../src/util/scrub';
import { startPostgres, type PrivatePostgres } from '../helpers/stack';
import { testConfig, testLogger } from '../helpers/vigil';

let pgc: PrivatePostgres;
before(async () => {
  pgc = await startPostgres();
});
after(async () => {
  await pgc?.destroy();
});

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** A database with `jobs`: 12 stuck rows aged 20..31 minutes, 3 fresh pending rows, 5 done rows. */
async function jobsDatabase(): Promise<string> {
  const url = await pgc.createDatabase();
  await sql(url, `
    CREATE TABLE jobs (id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL);
    INSERT INTO jobs SELECT 'stuck-' || lpad(i::text, 2, '0'), 'pending', now() - (19 + i) * interval '1 minute' FROM generate_series(1, 12) i;
    INSERT INTO jobs SELECT 'fresh-' || i, 'pending', now() - interval '1 minute' FROM generate_series(1, 3) i;
    INSERT INTO jobs SELECT 'done-' || i, 'done', now() - interval '2 hours' FROM generate_series(1, 5) i;`);
  return url;
}

const STUCK = `SELECT id, created_at FROM jobs WHERE status = 'pending' AND created_at < now() - interval '10 minutes' ORDER BY created_at;`;

function source(url: string, checks: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const config = testConfig({ postgres: { url, statementTimeout: '500ms', checks }, ...extra });
  const { logger, lines } = testLogger(config);
  return { config, lines, src: checksSource(config, logger) };
}

test('a check returns its count, the oldest age from created_at, and the first few ids', async () => {
  const url = await jobsDatabase();
  const { src } = source(url, {
    stuck: { sql: STUCK },
    aggregate: { sql: "SELECT count(*) AS value FROM jobs WHERE status = 'done'" },
    none: { sql: "SELECT id, created_at FROM jobs WHERE status = 'nope'" },
    no_id: { sql: "SELECT status FROM jobs WHERE status = 'pending'" },
  });
  try {
    const { checks } = await src.poll(new AbortController().signal);
    const stuck = checks.stuck!;
    assert.equal(stuck.up, true);
    assert.equal(stuck.error, null);
    assert.equal(stuck.rows, 12);
    assert.ok(stuck.oldestSeconds! >= 31 * 60 - 5 && stuck.oldestSeconds! <= 31 * 60 + 60, `oldest ${stuck.oldestSeconds}`);
    assert.deepEqual(stuck.sampleIds, ['stuck-12', 'stuck-11', 'stuck-10', 'stuck-09', 'stuck-08']);
    assert.ok(stuck.durationMs >= 0 && stuck.ranAt > 0);
    assert.deepEqual({ ...checks.aggregate!, durationMs: 0, ranAt: 0 }, { name: 'aggregate', up: true, error: null, rows: 5, oldestSeconds: null, sampleIds: [], durationMs: 0, ranAt: 0 });
    assert.deepEqual([checks.none!.rows, checks.none!.oldestSeconds, checks.none!.sampleIds], [0, 0, []]);
    assert.deepEqual([checks.no_id!.up, checks.no_id!.rows, checks.no_id!.oldestSeconds, checks.no_id!.sampleIds], [true, 15, null, []]);
  } finally {
    await src.close();
  }
});

test('failing checks report their own error and leave the others alone; a write attempt writes nothing', async () => {
  const url = await jobsDatabase();
  await sql(url, `
    CREATE TABLE secret (id int);
    CREATE TABLE audit (id int);
    CREATE FUNCTION sneaky_write() RETURNS int LANGUAGE sql AS 'INSERT INTO audit VALUES (1) RETURNING id';
    CREATE ROLE reader LOGIN;
    GRANT SELECT ON jobs TO reader;
    GRANT EXECUTE ON FUNCTION sneaky_write() TO reader;
    GRANT INSERT, SELECT ON audit TO reader;`);
  const readerUrl = url.replace('postgres@', 'reader@');
  const { src } = source(readerUrl, {
    good: { sql: STUCK },
    syntax: { sql: 'SELECT id FROM jobs WHERE' },
    missing: { sql: 'SELECT id FROM no_such_table' },
    permission: { sql: 'SELECT id FROM secret' },
    function_write: { sql: 'SELECT sneaky_write() AS id' },
    cte_write: { sql: "WITH gone AS (DELETE FROM jobs WHERE status = 'done' RETURNING id) SELECT id FROM gone" },
    slow: { sql: 'SELECT pg_sleep(5) AS value' },
  });
  try {
    const started = Date.now();
    const { checks } = await src.poll(new AbortController().signal);
    assert.ok(Date.now() - started < 2_900, 'the slow check was stopped by statement_timeout, not waited for');
    assert.equal(checks.good!.up, true);
    assert.equal(checks.good!.rows, 12);
    const errors = Object.fromEntries(Object.entries(checks).filter(([, c]) => !c.up).map(([name, c]) => [name, c.error]));
    assert.deepEqual(errors, {
      // The check's SQL is wrapped as a subquery, so an unfinished statement ends at vigil's closing parenthesis.
      syntax: 'syntax error at or near ")" (SQLSTATE 42601)',
      missing: 'relation "no_such_table" does not exist (SQLSTATE 42P01)',
      permission: 'permission denied for table secret (SQLSTATE 42501)',
      function_write: 'cannot execute INSERT in a read-only transaction (SQLSTATE 25006)',
      cte_write: 'WITH clause containing a data-modifying statement must be at the top level (SQLSTATE 0A000)',
      slow: 'canceling statement due to statement timeout (SQLSTATE 57014)',
    });
    for (const c of Object.values(checks)) if (!c.up) assert.deepEqual([c.rows, c.sampleIds, c.oldestSeconds], [0, [], null]);
    assert.equal((await sql(url, 'SELECT count(*)::int AS n FROM audit')).rows[0].n, 0);
    assert.equal((await sql(url, "SELECT count(*)::int AS n FROM jobs WHERE status = 'done'")).rows[0].n, 5);
    // The failures did not poison the pool: the next poll is just as good.
    const again = await src.poll(new AbortController().signal);
    assert.equal(again.checks.good!.up, true);
    assert.equal(again.checks.syntax!.up, false);
  } finally {
    await src.close();
  }
});

test('a scheduled check runs at the first poll, then only when due, keeping its last result in between', async () => {
  const url = await jobsDatabase();
  const { src } = source(url, {
    every_poll: { sql: STUCK },
    yearly: { sql: STUCK, schedule: '0 0 1 1 *' },
    every_second: { sql: STUCK, schedule: '* * * * * *' },
  });
  try {
    const first = (await src.poll(new AbortController().signal)).checks;
    assert.deepEqual([first.every_poll!.rows, first.yearly!.rows, first.every_second!.rows], [12, 12, 12]);
    assert.deepEqual(src.due(), ['every_poll']);
    await sql(url, "INSERT INTO jobs VALUES ('late', 'pending', now() - interval '1 hour')");
    const second = (await src.poll(new AbortController().signal)).checks;
    assert.equal(second.every_poll!.rows, 13);
    assert.equal(second.yearly!.rows, 12);
    assert.equal(second.yearly!.ranAt, first.yearly!.ranAt, 'not due: the same result, not a re-run');
    // node-cron fires the every-second task within ~1 s; the next poll then runs it.
    const deadline = Date.now() + 5_000;
    while (!src.due().includes('every_second') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const third = (await src.poll(new AbortController().signal)).checks;
    assert.equal(third.every_second!.rows, 13);
    assert.equal(third.yearly!.rows, 12);
  } finally {
    await src.close();
  }
});

test('Postgres stopped and started again: vigil_source_up{source="postgres"} goes 0 then 1, polls never hang, no secret leaks', async () => {
  const base = await jobsDatabase();
  const canary = 'canary-pw-7d1c5e';
  const url = base.replace('postgres@', `postgres:${canary}@`); // trust auth: any password works
  const { config, lines, src } = source(url, { stuck: { sql: STUCK }, broken: { sql: 'SELECT nope FROM jobs' } }, { poll: { interval: '5s', timeout: '2s' } });
  const { logger } = testLogger(config);
  const poller = new Poller([src], { intervalMs: 5_000, timeoutMs: 2_000, logger, scrub: makeScrubber(config.secrets) });
  const runtime: Runtime = {
    config, version: 'test', now: () => Date.now(), snapshot: () => poller.current(), lastTick: () => null, scrub: makeScrubber(config.secrets),
  };
  const metrics = createMetrics(runtime);
  const scrape = async () => (await metrics.render(undefined)).body;
  const timed = async () => {
    const t0 = Date.now();
    const snap = await poller.pollOnce();
    assert.ok(Date.now() - t0 < 4_000, `poll took ${Date.now() - t0} ms`);
    return snap;
  };
  try {
    await timed();
    let body = await scrape();
    assert.match(body, /^vigil_source_up\{source="postgres"\} 1$/m);
    assert.match(body, /^vigil_check_up\{check="stuck"\} 1$/m);
    assert.match(body, /^vigil_check_rows\{check="stuck"\} 12$/m);
    assert.match(body, /^vigil_check_up\{check="broken"\} 0$/m);
    assert.doesNotMatch(body, /vigil_check_rows\{check="broken"\}/);

    await pgc.stop();
    const down = await timed();
    assert.equal(down.sources.postgres!.up, false);
    assert.equal(down.checks, null);
    body = await scrape();
    assert.match(body, /^vigil_source_up\{source="postgres"\} 0$/m);
    assert.doesNotMatch(body, /vigil_check_up\{/, 'while Postgres is down the checks are unknown, not 0');

    await pgc.start();
    const up = await timed();
    assert.equal(up.sources.postgres!.up, true, up.sources.postgres!.error ?? '');
    assert.equal(up.checks!.checks.stuck!.rows, 12);
    assert.match(await scrape(), /^vigil_source_up\{source="postgres"\} 1$/m);

    const everything = [lines.join(''), body, JSON.stringify(down), JSON.stringify(up)].join('\n');
    assert.ok(!everything.includes(canary), 'the database password leaked');
  } finally {
    await poller.stop();
    await src.close();
  }
});
