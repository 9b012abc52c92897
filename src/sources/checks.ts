/**
 * The postgres source: runs the configured checks (contracts.md section 2) and returns their latest
 * results. A poll that cannot reach Postgres throws (the source is down); a check that fails — syntax,
 * timeout, permission, an attempted write — is only that check's `up: false`, never the others'.
 *
 * Checks with a `schedule` run when node-cron says they are due (and at the first poll); the cron task
 * only marks them due, so every query still runs inside a poll, under the poll's deadline, never two at
 * once. A check that is not due keeps its last result.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type pg from 'pg';
import type { Config } from '../config/types';
import type { Logger } from '../log';
import { runCheckQuery } from '../postgres/check-query';
import { createPool, pgErrorText, withPoolClient } from '../postgres/pg';
import { splitStatements } from '../postgres/sql-text';
import type { CheckState, ChecksData } from '../snapshot';
import { cronLogger } from '../util/cron-logger';
import { makeScrubber } from '../util/scrub';
import type { Source } from './source';

/** Left of poll.timeout for the poller's own books, so a slow check fails alone instead of the whole source. */
const POLL_MARGIN_MS = 250;
const MAX_POOL = 4;

export interface ChecksSource extends Source<'postgres'> {
  /** Checks that have never run or whose schedule fired since their last run. */
  due(): string[];
}

export function checksSource(config: Config, logger: Logger): ChecksSource {
  const scrub = makeScrubber(config.secrets);
  const checks = Object.entries(config.postgres.checks).map(([name, c]) => ({
    name,
    // Validated at load: exactly one statement. Without its `;` it can be wrapped as a subquery.
    body: splitStatements(c.sql)[0] ?? c.sql,
    scheduled: c.schedule !== undefined && c.schedule !== '',
  }));
  const pool: pg.Pool = createPool({
    url: config.postgres.url,
    connectTimeoutMs: config.poll.timeout,
    max: Math.min(MAX_POOL, Math.max(1, checks.length)),
    logger,
    scrub,
  });
  const results = new Map<string, CheckState>();
  const due = new Set(checks.map((c) => c.name));
  const taskLogger = cronLogger(logger);
  const tasks: ScheduledTask[] = checks
    .filter((c) => c.scheduled)
    .map((c) =>
      cron.schedule(config.postgres.checks[c.name]!.schedule!, () => void due.add(c.name), {
        name: `vigil-check-${c.name}`,
        noOverlap: true,
        logger: taskLogger,
      }),
    );

  async function runOne(name: string, body: string, deadline: number): Promise<void> {
    const started = Date.now();
    let state: CheckState;
    try {
      const r = await withPoolClient(pool, Math.max(1, deadline - started), `check ${name}`, (client) =>
        runCheckQuery(client, body, config.postgres.statementTimeout),
      );
      state = { name, up: true, error: null, ...r, durationMs: Date.now() - started, ranAt: Date.now() };
      if (results.get(name)?.up === false) logger.info({ check: name }, 'check back up');
    } catch (err) {
      const error = scrub(pgErrorText(err));
      state = { name, up: false, error, rows: 0, oldestSeconds: null, durationMs: Date.now() - started, sampleIds: [], ranAt: Date.now() };
      if (results.get(name)?.error !== error) logger.warn({ check: name, error }, 'check failed');
    }
    due.delete(name);
    results.set(name, state);
  }

  return {
    name: 'postgres',
    due: () => checks.filter((c) => !c.scheduled || due.has(c.name)).map((c) => c.name),
    async poll(): Promise<ChecksData> {
      const deadline = Date.now() + Math.max(1, config.poll.timeout - POLL_MARGIN_MS);
      // Liveness first: a source that cannot connect is down, even when no check is due.
      await withPoolClient(pool, Math.max(1, deadline - Date.now()), 'postgres ping', (client) => client.query('SELECT 1'));
      const toRun = checks.filter((c) => !c.scheduled || due.has(c.name));
      await Promise.all(toRun.map((c) => runOne(c.name, c.body, deadline)));
      const out: Record<string, CheckState> = {};
      for (const c of checks) {
        const r = results.get(c.name);
        if (r) out[c.name] = r;
      }
      return { checks: out };
    },
    async close() {
      for (const task of tasks) await task.destroy();
      await pool.end();
    },
  };
}
