/**
 * The incident's tables (docs/remediation.md) and the questions the demo asks them: what state each
 * generation is in, each user's running balance, and what vigil's ledger recorded.
 */
import { INCIDENT_SCHEMA, withClient } from '../tests/helpers/incident';

export const USERS = ['ana', 'ben', 'chloe', 'dev'] as const;
export const START_CREDITS = 100;
export const COST = 10;
export const CHECK = 'stuck_avatar_generations';


/** The schema as Prisma made it, and every user's first purchase of credits. */
export async function createSchema(url: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(INCIDENT_SCHEMA);
    await c.query(
      `INSERT INTO credits (id, "userId", amount, balance, type, description, "createdAt")
       SELECT 'purchase-' || u, u, $2, $2, 'purchase', 'Credit pack', now() - interval '1 day' FROM unnest($1::text[]) u`,
      [USERS, START_CREDITS],
    );
  });
}

export interface Generation {
  id: string;
  userId: string;
  status: string;
}

export async function generations(url: string): Promise<Generation[]> {
  return withClient(url, async (c) => (await c.query<Generation>(`SELECT id, "userId", status FROM avatar_generations ORDER BY id`)).rows);
}

/** Each user's latest running balance, and how many charges and refunds their ledger holds. */
export interface Account {
  balance: number;
  charges: number;
  refunds: number;
}

export async function accounts(url: string): Promise<Map<string, Account>> {
  return withClient(url, async (c) => {
    const r = await c.query<{ userId: string; balance: number; charges: string; refunds: string }>(`
      SELECT "userId",
             (array_agg(balance ORDER BY "createdAt" DESC))[1] AS balance,
             count(*) FILTER (WHERE type = 'usage') AS charges,
             count(*) FILTER (WHERE type = 'refund') AS refunds
      FROM credits GROUP BY "userId"`);
    return new Map(r.rows.map((row) => [row.userId, { balance: row.balance, charges: Number(row.charges), refunds: Number(row.refunds) }]));
  });
}

/** Row ids vigil's ledger says it remediated for the check (empty before its first run created the ledger). */
export async function ledgerIds(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const exists = await c.query(`SELECT to_regclass('vigil.vigil_remediations') IS NOT NULL AS ok`);
    if (!exists.rows[0]?.ok) return [];
    const r = await c.query<{ row_id: string }>(`SELECT row_id FROM vigil.vigil_remediations WHERE check_name = $1 ORDER BY row_id`, [CHECK]);
    return r.rows.map((row) => row.row_id);
  });
}
