// The incident's schema (seed runbook): avatar_generations stuck in pending, and credits with a running
// balance. Used by the remediation tests and benchmarks.
import pg from 'pg';

export const CHECK = 'stuck_avatar_generations';

/** The check and remediation from contracts.md section 2, verbatim but for mode and maxRows. */
export function incidentCheck(remediate: Record<string, unknown> = {}, statements: string[] = INCIDENT_STATEMENTS): Record<string, unknown> {
  return {
    [CHECK]: {
      sql: `SELECT id, "userId" AS user_id, "createdAt" AS created_at
            FROM avatar_generations
            WHERE status IN ('pending', 'processing')
              AND "createdAt" < now() - interval '10 minutes'`,
      remediate: { mode: 'apply', maxRows: 100, statements, ...remediate },
    },
  };
}

export const CLAIM = `UPDATE avatar_generations
  SET status = 'failed', "errorMessage" = 'Generation timed out - please try again', "completedAt" = now()
  WHERE id = :id AND status IN ('pending', 'processing')`;
export const REFUND = `INSERT INTO credits (id, "userId", amount, balance, type, description, "createdAt")
  SELECT gen_random_uuid(), :user_id, 10,
         COALESCE((SELECT balance FROM credits WHERE "userId" = :user_id ORDER BY "createdAt" DESC LIMIT 1), 0) + 10,
         'refund', 'Avatar generation timed out - credits refunded', now()`;
export const INCIDENT_STATEMENTS = [CLAIM, REFUND];

export interface Seeded {
  /** Stuck rows per user. */
  stuckByUser: Map<string, number>;
  /** Each user's balance before the remediation. */
  startBalance: Map<string, number>;
  stuckIds: string[];
}

/** One short-lived connection with a deadline; a late socket error (the server killed on purpose) is ignored. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The incident's schema as Prisma made it (docs/remediation.md): generations, and credits with a running balance. */
export const INCIDENT_SCHEMA = `
  CREATE TABLE avatar_generations (
    id text PRIMARY KEY, "userId" text NOT NULL, status text NOT NULL, "errorMessage" text,
    "createdAt" timestamptz NOT NULL DEFAULT now(), "completedAt" timestamptz);
  CREATE INDEX ON avatar_generations (status, "createdAt");
  CREATE TABLE credits (
    id text PRIMARY KEY, "userId" text NOT NULL, amount int NOT NULL, balance int NOT NULL,
    type text NOT NULL, description text, "createdAt" timestamptz NOT NULL DEFAULT now());
  CREATE INDEX ON credits ("userId", "createdAt");`;

/** Creates the schema and `stuck` stuck rows over `users` users (unevenly), plus fresh pending and completed rows. */
export async function seedIncident(url: string, o: { stuck: number; users: number; fresh?: number; completed?: number }): Promise<Seeded> {
  return withClient(url, async (c) => {
    await c.query(INCIDENT_SCHEMA);
    // User i gets stuck rows i, i+users, ... : uneven when stuck is not a multiple of users.
    await c.query(
      `INSERT INTO credits SELECT 'start-' || u, 'user-' || u, 100, 100 + u, 'purchase', 'start', now() - interval '1 day'
       FROM generate_series(0, $1 - 1) u`,
      [o.users],
    );
    await c.query(
      `INSERT INTO avatar_generations (id, "userId", status, "createdAt")
       SELECT 'gen-' || lpad(i::text, 6, '0'), 'user-' || (i % $2), CASE WHEN i % 3 = 0 THEN 'processing' ELSE 'pending' END,
              now() - interval '20 minutes' - i * interval '1 second'
       FROM generate_series(0, $1 - 1) i`,
      [o.stuck, o.users],
    );
    await c.query(
      `INSERT INTO avatar_generations (id, "userId", status, "createdAt")
       SELECT 'fresh-' || i, 'user-' || (i % $2), 'pending', now() - interval '1 minute' FROM generate_series(1, $1) i`,
      [o.fresh ?? 0, o.users],
    );
    await c.query(
      `INSERT INTO avatar_generations (id, "userId", status, "createdAt", "completedAt")
       SELECT 'done-' || i, 'user-' || (i % $2), 'completed', now() - interval '2 hours', now() - interval '119 minutes' FROM generate_series(1, $1) i`,
      [o.completed ?? 0, o.users],
    );
    const stuckByUser = new Map<string, number>();
    const startBalance = new Map<string, number>();
    const stuckIds: string[] = [];
    for (let i = 0; i < o.stuck; i++) {
      const user = `user-${i % o.users}`;
      stuckByUser.set(user, (stuckByUser.get(user) ?? 0) + 1);
      stuckIds.push(`gen-${String(i).padStart(6, '0')}`);
    }
    for (let u = 0; u < o.users; u++) startBalance.set(`user-${u}`, 100 + u);
    return { stuckByUser, startBalance, stuckIds };
  });
}

/** Each user's latest balance (the running total the refunds maintain). */
export async function balances(url: string): Promise<Map<string, number>> {
  return withClient(url, async (c) => {
    const r = await c.query<{ userId: string; balance: number }>(
      `SELECT DISTINCT ON ("userId") "userId", balance FROM credits ORDER BY "userId", "createdAt" DESC`,
    );
    return new Map(r.rows.map((row) => [row.userId, row.balance]));
  });
}
