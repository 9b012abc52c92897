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

const CREATE_SCHEMA = `CREATE SCHEMA ${LEDGER_SCHEMA}`;
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
    check_name    text        NOT NULL,
    row_id        text        NOT NULL,
    remediated_at timestamptz NOT NULL DEFAULT now(),
    db_user       text        NOT NULL DEFAULT current_user,
    host          text,
    PRIMARY KEY (check_name, row_id)
  )`;

/** What vigil's role can see of the ledger. From the catalogs, which every role may read (to_regclass needs USAGE on the schema). */
export interface LedgerState {
  schema: boolean;
  table: boolean;
  /** The role may read it (to leave out rows remediated before). */
  readable: boolean;
}

export async function ledgerState(client: pg.ClientBase): Promise<LedgerState> {
  const r = await client.query<LedgerState>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS table,
            false AS readable`,
    [LEDGER_SCHEMA, 'vigil_remediations'],
  );
  const state = r.rows[0] ?? { schema: false, table: false, readable: false };
  if (state.table) {
    const p = await client.query<{ ok: boolean }>(
      `SELECT has_schema_privilege($1, 'USAGE') AND has_table_privilege($2, 'SELECT') AS ok`,
      [LEDGER_SCHEMA, LEDGER_TABLE],
    );
    state.readable = p.rows[0]?.ok === true;
  }
  return state;
}

/**
 * Creates the ledger on first use. Creators in several processes are serialised by a transaction-level
 * advisory lock (concurrent CREATE ... IF NOT EXISTS can still collide on the catalog's unique indexes).
 * Only what is missing is created, so a role that was given the schema (docs/remediation.md) needs no
 * CREATE on the database, and a role that was given the table needs no CREATE at all.
 */
export async function ensureLedger(client: pg.ClientBase): Promise<void> {
  if ((await ledgerState(client)).table) return;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_SPACE]);
    const state = await ledgerState(client);
    if (!state.schema) await client.query(CREATE_SCHEMA);
    if (!state.table) await client.query(CREATE_TABLE);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`cannot create the ledger ${LEDGER_TABLE} (see docs/remediation.md for the grants): ${(err as Error).message}`, { cause: err });
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
