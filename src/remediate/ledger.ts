/**
 * vigil's ledger of remediated rows, in a schema of its own: one row per (check, row id), written in the
 * same transaction as the remediation. Its primary key is what makes a row remediated exactly once even
 * when the claim would match again (a row reset to `pending` by hand).
 */
import os from 'node:os';
import type pg from 'pg';

export const LEDGER_SCHEMA = 'vigil';
export const LEDGER_TABLE = `${LEDGER_SCHEMA}.vigil_remediations`;

/** Advisory lock space of vigil ("vig1"); the second key is the check's hash, or 0 for creating the ledger. */
export const LOCK_SPACE = 0x76696731;

/** A stable signed 32-bit key for a check name (FNV-1a), for `pg_try_advisory_lock(int, int)`. */
export function lockKey(check: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(check, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  return h | 0;
}

export const LEDGER_DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${LEDGER_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
    check_name    text        NOT NULL,
    row_id        text        NOT NULL,
    remediated_at timestamptz NOT NULL DEFAULT now(),
    db_user       text        NOT NULL DEFAULT current_user,
    host          text,
    PRIMARY KEY (check_name, row_id)
  )`,
];

export async function ledgerExists(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [LEDGER_TABLE]);
  return r.rows[0]?.ok === true;
}

/**
 * Creates the ledger on first use. Creators in several processes are serialised by a transaction-level
 * advisory lock (concurrent CREATE ... IF NOT EXISTS can still collide on the catalog's unique indexes).
 * When it exists already, nothing is asked of the database beyond looking: a role without CREATE works.
 */
export async function ensureLedger(client: pg.ClientBase): Promise<void> {
  if (await ledgerExists(client)) return;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_SPACE]);
    for (const ddl of LEDGER_DDL) await client.query(ddl);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`cannot create the ledger ${LEDGER_TABLE} (grant CREATE on the database, or create it as shown in docs/remediation.md): ${(err as Error).message}`, { cause: err });
  }
}

/** Records the row in the ledger; false when it was recorded before (the row was remediated already). */
export async function recordInLedger(client: pg.ClientBase, check: string, rowId: string): Promise<boolean> {
  const r = await client.query(
    `INSERT INTO ${LEDGER_TABLE} (check_name, row_id, host) VALUES ($1, $2, $3) ON CONFLICT (check_name, row_id) DO NOTHING`,
    [check, rowId, os.hostname()],
  );
  return r.rowCount === 1;
}
