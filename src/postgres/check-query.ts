/**
 * Runs one check's SQL the contract's way (contracts.md section 2): in a READ ONLY transaction under
 * `statement_timeout`, counting in the database with `count(*) OVER ()` around the user's query and
 * fetching only a small sample of ids — never the whole result.
 */
import type pg from 'pg';

/** How many ids a check keeps for alerts and /health. */
export const SAMPLE_SIZE = 5;

const NUMERIC_TYPES = new Set([20, 21, 23, 700, 701, 1700]); // int8, int2, int4, float4, float8, numeric

export interface CheckResult {
  rows: number;
  oldestSeconds: number | null;
  sampleIds: string[];
}

/** The user's statement as a subquery; the newlines keep a trailing `-- comment` from eating the `)`. */
export function wrap(body: string): string {
  return `(\n${body}\n) AS vigil_q`;
}

/** Opens the READ ONLY transaction; the caller commits (or rolls back on error). */
export async function beginReadOnly(client: pg.ClientBase, statementTimeoutMs: number): Promise<void> {
  await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.round(statementTimeoutMs))}`);
}

/** The column names and types the check's SQL returns (plans it, fetches nothing). */
export async function describe(client: pg.ClientBase, body: string): Promise<pg.FieldDef[]> {
  const result = await client.query(`SELECT * FROM ${wrap(body)} LIMIT 0`);
  return result.fields;
}

export async function runCheckQuery(client: pg.ClientBase, body: string, statementTimeoutMs: number): Promise<CheckResult> {
  await beginReadOnly(client, statementTimeoutMs);
  const fields = await describe(client, body);
  const names = fields.map((f) => f.name);
  const hasId = names.includes('id');
  const hasCreatedAt = names.includes('created_at');
  const aggregate = fields.length === 1 && fields[0]!.name === 'value' && NUMERIC_TYPES.has(fields[0]!.dataTypeID);

  const select = ['count(*) OVER () AS vigil_total'];
  if (hasCreatedAt) select.push('EXTRACT(EPOCH FROM now() - min(vigil_q.created_at) OVER ())::float8 AS vigil_oldest');
  if (hasId) select.push('vigil_q.id::text AS vigil_id');
  if (aggregate) select.push('vigil_q.value::float8 AS vigil_value');
  const limit = hasId ? SAMPLE_SIZE : 1;
  const result = await client.query<{ vigil_total: string; vigil_oldest?: number | null; vigil_id?: string | null; vigil_value?: number | null }>(
    `SELECT ${select.join(', ')} FROM ${wrap(body)} LIMIT ${limit}`,
  );
  await client.query('COMMIT');

  const first = result.rows[0];
  const total = first ? Number(first.vigil_total) : 0;
  return {
    rows: aggregate && total === 1 ? Number(first?.vigil_value ?? 0) : total,
    oldestSeconds: hasCreatedAt ? Math.max(0, first?.vigil_oldest ?? 0) : null,
    sampleIds: hasId ? result.rows.map((r) => r.vigil_id).filter((id): id is string => id !== null && id !== undefined) : [],
  };
}
