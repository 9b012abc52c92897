/**
 * Runs remediations (operations.md "Remediation of stuck rows"). A run of one check:
 *
 *   dedicated connection → pg_try_advisory_lock(vigil, check) (busy → skip the run) → the check's SQL,
 *   at most maxRows rows not yet in the ledger → per row: applyRow (claim, ledger, statements, COMMIT)
 *   → unlock, disconnect.
 *
 * The lock is session-level and held for the whole run on that one connection, so runs of one check
 * never overlap across processes and hosts, and rows are applied one after another: a statement that
 * reads a running total (credits.balance) sees every earlier row's commit. If the holder dies, Postgres
 * releases the lock with the connection. Counters live here and are read by /metrics at scrape time.
 */
import type pg from 'pg';
import type { Config, RemediationMode } from '../config/types';
import type { Logger } from '../log';
import { beginReadOnly, describe, wrap } from '../postgres/check-query';
import { connectClient, isConnectionError, pgErrorText } from '../postgres/pg';
import type { Snapshot } from '../snapshot';
import { errorText, withDeadline } from '../util/deadline';
import { makeScrubber } from '../util/scrub';
import { ensureLedger, LEDGER_TABLE, ledgerState, LOCK_SPACE, lockKey } from './ledger';
import { buildPlan, columnProblems, type RemediationPlan } from './plan';
import { applyRow, ConnectionLostError, ROW_RESULTS, rowTimeouts, type RowOutcome, type RowResult } from './row';
import { summaryText } from './summary';

export type RunMode = Exclude<RemediationMode, 'off'>;

export interface RunReport {
  check: string;
  mode: RunMode;
  status: 'done' | 'busy' | 'failed';
  counts: Record<RowResult, number>;
  rows: RowOutcome[];
  error: string | null;
  summary: string;
}

/** Rows remediated since this vigil started, per check and result (vigil_remediation_rows_total). */
export type RemediationStats = Readonly<Record<string, Readonly<Record<RowResult, number>>>>;

/** The configured statements do not fit what the check's SQL returns: a config problem, not a broken connection. */
class PlanError extends Error {}

const zero = (): Record<RowResult, number> => ({ applied: 0, skipped: 0, failed: 0, dry_run: 0 });
/** Raw text for every column: values are bound back exactly as Postgres printed them. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export class Remediator {
  private readonly scrub: (text: string) => string;
  private readonly counts = new Map<string, Record<RowResult, number>>();
  private readonly running = new Map<string, Promise<RunReport>>();
  private readonly lastRanAt = new Map<string, number>();
  private readonly lastDryRun = new Map<string, number>();
  private readonly stopping = new AbortController();
  /** Where run summaries go (the notifier, later); the daemon sets it. Called for runs that did something. */
  onSummary: (text: string, report: RunReport) => void = () => undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.scrub = makeScrubber(config.secrets);
    for (const [name, c] of Object.entries(config.postgres.checks)) if (c.remediate.mode !== 'off') this.counts.set(name, zero());
  }

  stats(): RemediationStats {
    return Object.fromEntries([...this.counts].map(([check, c]) => [check, { ...c }]));
  }

  /** After each poll: every check with a mode other than off that ran and found rows gets a run (in the background). */
  afterSnapshot(snapshot: Snapshot): void {
    for (const [name, c] of Object.entries(this.config.postgres.checks)) {
      const state = snapshot.checks?.checks[name];
      if (c.remediate.mode === 'off' || !state || state.ranAt === this.lastRanAt.get(name)) continue;
      this.lastRanAt.set(name, state.ranAt);
      if (!state.up || state.rows <= 0 || this.running.has(name)) continue;
      void this.run(name, c.remediate.mode).then((report) => {
        const did = report.counts.applied + report.counts.failed > 0 || report.status === 'failed';
        const dryChanged = report.mode === 'dry-run' && report.status === 'done' && this.lastDryRun.get(name) !== report.counts.dry_run;
        if (report.mode === 'dry-run' && report.status === 'done') this.lastDryRun.set(name, report.counts.dry_run);
        if (did || dryChanged) this.onSummary(report.summary, report);
      });
    }
  }

  /** One run of one check's remediation. Never throws: failures are in the report. */
  run(check: string, mode: RunMode): Promise<RunReport> {
    const active = this.running.get(check);
    if (active) return Promise.resolve(this.finish(check, mode, 'busy', [], null, []));
    const work = this.runLocked(check, mode).finally(() => this.running.delete(check));
    this.running.set(check, work);
    return work;
  }

  /** Stops starting new rows and waits for runs in progress (each finishes its current row). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.running.values()]);
  }

  private async runLocked(check: string, mode: RunMode): Promise<RunReport> {
    const checkConfig = this.config.postgres.checks[check];
    if (!checkConfig) return this.finish(check, mode, 'failed', [], `unknown check "${check}"`, []);
    const plan = buildPlan(check, checkConfig);
    const timeouts = rowTimeouts(this.config.postgres.statementTimeout);
    // A row's transaction: a few statements, each bounded by statement_timeout; past this the connection is suspect.
    const rowDeadlineMs = (plan.statements.length + 3) * timeouts.statementMs + 2_000;
    const outcomes: RowOutcome[] = [];
    let client: pg.Client | null = null;
    let locked = false;
    let broken = false;
    try {
      const url = this.config.postgres.remediationUrl || this.config.postgres.url;
      client = await connectClient({ url, connectTimeoutMs: this.config.poll.timeout }, (err) =>
        this.logger.debug({ check, error: this.scrub(errorText(err)) }, 'remediation connection error'),
      );
      const c = client;
      const bounded = <T>(p: Promise<T>, what: string) => withDeadline(p, rowDeadlineMs, `remediation ${check}: ${what}`);
      const lock = await bounded(c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_SPACE, lockKey(check)]), 'lock');
      locked = lock.rows[0]?.ok === true;
      if (!locked) return this.finish(check, mode, 'busy', [], null, []);

      if (mode === 'apply') await bounded(ensureLedger(c), 'ledger');
      const rows = await bounded(this.candidates(c, plan, mode), 'select rows');
      if (mode === 'dry-run') {
        for (const row of rows) outcomes.push(this.logRow(check, { id: row.id ?? '', result: 'dry_run' }));
        return this.finish(check, mode, 'done', outcomes, null, rows.map((r) => r.id ?? ''));
      }
      for (const row of rows) {
        if (this.stopping.signal.aborted) return this.finish(check, mode, 'failed', outcomes, 'vigil is shutting down', []);
        outcomes.push(this.logRow(check, await bounded(applyRow(c, plan, row, timeouts), `row ${row.id}`)));
      }
      return this.finish(check, mode, 'done', outcomes, null, []);
    } catch (err) {
      broken = !(err instanceof PlanError) && (err instanceof ConnectionLostError || isConnectionError(err));
      return this.finish(check, mode, 'failed', outcomes, this.scrub(pgErrorText(err)), []);
    } finally {
      if (client) await this.release(client, broken, locked ? check : null);
    }
  }

  /** Unlocks and disconnects; a connection that failed or hung is destroyed instead (Postgres then frees the lock). */
  private async release(client: pg.Client, broken: boolean, lockedCheck: string | null): Promise<void> {
    if (!broken && lockedCheck !== null) {
      await withDeadline(client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, lockKey(lockedCheck)]), 2_000, 'unlock').catch(() => {
        broken = true;
      });
    }
    if (broken) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    await withDeadline(client.end(), 2_000, 'disconnect').catch(() => undefined);
  }

  /** At most maxRows rows of the check, all columns as text, leaving out rows already in the ledger. */
  private async candidates(client: pg.Client, plan: RemediationPlan, mode: RunMode): Promise<Record<string, string | null>[]> {
    await beginReadOnly(client, this.config.postgres.statementTimeout);
    try {
      const columns = (await describe(client, plan.body)).map((f) => f.name);
      const problems = columnProblems(plan, columns);
      if (problems.length > 0) throw new PlanError(problems.join('; '));
      // A dry run by a role that cannot read the ledger (or before it exists) lists rows done before too.
      const excludeLedger = mode === 'apply' || (await ledgerState(client)).readable;
      const text = excludeLedger
        ? `SELECT vigil_q.* FROM ${wrap(plan.body)} WHERE NOT EXISTS (SELECT 1 FROM ${LEDGER_TABLE} l WHERE l.check_name = $2 AND l.row_id = vigil_q.id::text) LIMIT $1`
        : `SELECT vigil_q.* FROM ${wrap(plan.body)} LIMIT $1`;
      const result = await client.query<Record<string, string | null>>({ text, values: excludeLedger ? [plan.maxRows, plan.check] : [plan.maxRows], types: RAW_TEXT });
      await client.query('COMMIT');
      return result.rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private logRow(check: string, outcome: RowOutcome): RowOutcome {
    const bucket = this.counts.get(check) ?? zero();
    bucket[outcome.result] += 1;
    this.counts.set(check, bucket);
    const fields = { check, id: outcome.id, result: outcome.result, ...(outcome.reason ? { reason: this.scrub(outcome.reason) } : {}) };
    if (outcome.result === 'failed') this.logger.warn(fields, 'remediation row');
    else this.logger.info(fields, 'remediation row');
    return outcome;
  }

  private finish(check: string, mode: RunMode, status: RunReport['status'], rows: RowOutcome[], error: string | null, ids: string[]): RunReport {
    const counts = zero();
    for (const r of rows) counts[r.result] += 1;
    const report: RunReport = { check, mode, status, counts, rows, error, summary: '' };
    report.summary = summaryText({ check, mode, status, counts, ids, error });
    const level = status === 'failed' ? 'error' : status === 'busy' ? 'debug' : 'info';
    this.logger[level]({ check, mode, status, ...counts, ...(error ? { error } : {}) }, report.summary);
    return report;
  }
}

export { ROW_RESULTS };
