/**
 * One row's remediation: one transaction, bounded by `statement_timeout`, `lock_timeout` and
 * `idle_in_transaction_session_timeout`. The claim runs first (0 rows changed → skipped); then the ledger
 * entry (already there → skipped); then the other statements; COMMIT. Any error rolls the row back.
 */
import type pg from 'pg';
import { recordInLedger } from './ledger';
import { paramsFor, type RemediationPlan } from './plan';

export type RowResult = 'applied' | 'skipped' | 'failed' | 'dry_run';
export const ROW_RESULTS: readonly RowResult[] = ['applied', 'skipped', 'failed', 'dry_run'];

export interface RowOutcome {
  id: string;
  result: RowResult;
  /** Why it was skipped or failed. */
  reason?: string;
}

export interface RowTimeouts {
  statementMs: number;
  lockMs: number;
  idleInTransactionMs: number;
}

export function rowTimeouts(statementTimeoutMs: number): RowTimeouts {
  return {
    statementMs: statementTimeoutMs,
    // Shorter than the statement's, so waiting on a row lock says so ("lock timeout") instead of a generic timeout.
    lockMs: Math.max(100, Math.floor(statementTimeoutMs / 2)),
    // Kills the session (and so frees its row locks and advisory lock) when vigil freezes mid-transaction.
    idleInTransactionMs: Math.max(5_000, 2 * statementTimeoutMs),
  };
}

/** Thrown when the row's transaction could not even be rolled back: the connection is gone, the run must stop. */
export class ConnectionLostError extends Error {}

export async function applyRow(client: pg.ClientBase, plan: RemediationPlan, row: Readonly<Record<string, string | null>>, t: RowTimeouts): Promise<RowOutcome> {
  const id = row.id ?? '';
  await client.query(
    `BEGIN; SET LOCAL statement_timeout = ${t.statementMs}; SET LOCAL lock_timeout = ${t.lockMs}; ` +
      `SET LOCAL idle_in_transaction_session_timeout = ${t.idleInTransactionMs}`,
  );
  try {
    const [claim, ...rest] = plan.statements;
    const claimed = await client.query(claim!.text, paramsFor(claim!, row));
    if (!claimed.rowCount) return await rollback(client, { id, result: 'skipped', reason: 'claim matched no row (already handled)' });
    if (!(await recordInLedger(client, plan.check, id))) {
      return await rollback(client, { id, result: 'skipped', reason: 'already in the ledger (remediated before)' });
    }
    for (const s of rest) await client.query(s.text, paramsFor(s, row));
    await client.query('COMMIT');
    return { id, result: 'applied' };
  } catch (err) {
    if (err instanceof ConnectionLostError) throw err;
    return rollback(client, { id, result: 'failed', reason: (err as Error).message });
  }
}

async function rollback(client: pg.ClientBase, outcome: RowOutcome): Promise<RowOutcome> {
  try {
    await client.query('ROLLBACK');
  } catch (err) {
    throw new ConnectionLostError(`row ${outcome.id}: ${outcome.reason ?? outcome.result}; then the rollback failed: ${(err as Error).message}`, { cause: err });
  }
  return outcome;
}
