'use strict';
// The demo's API stub, run by PM2 as `avatar-api`. It does what the incident's API did when a user
// clicked "Generate avatar": charge 10 credits, record the generation as `pending`, enqueue the job —
// and trust that a worker exists.
//
//   POST /avatars  {"userId":"ana"}  → 202 {"id":"gen-01","balance":90}
//   GET  /avatars/gen-01             → 200 {"id":"gen-01","status":"pending"}   (the browser's "Waiting...")
//   GET  /health                     → 200 once Redis (and Postgres) answer
//
// env: PORT, REDIS_URL (required); DATABASE_URL (optional: without it nothing is charged or recorded,
// and a generation's status is its job's state).
const http = require('node:http');
const { Queue } = require('bullmq');
const pg = require('pg');

const QUEUE = 'avatar-generation';
const COST = 10;
const port = Number(process.env.PORT);
if (!process.env.REDIS_URL || !port) {
  console.error('avatar-api: PORT and REDIS_URL are required');
  process.exit(2);
}
const queue = new Queue(QUEUE, { connection: { url: process.env.REDIS_URL } });
const pool = process.env.DATABASE_URL ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 }) : null;
pool?.on('error', (err) => console.error('avatar-api: postgres:', err.message));
let generations = 0;

/** Charges the user and records the generation in one transaction: no charge without its row. */
async function charge(userId, id) {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    // One user's charges one at a time: each reads the latest running balance.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [userId]);
    const r = await c.query(
      `INSERT INTO credits (id, "userId", amount, balance, type, description)
       SELECT 'charge-' || $2, $1, -${COST},
              COALESCE((SELECT balance FROM credits WHERE "userId" = $1 ORDER BY "createdAt" DESC LIMIT 1), 0) - ${COST},
              'usage', 'Avatar generation'
       RETURNING balance`,
      [userId, id],
    );
    await c.query(`INSERT INTO avatar_generations (id, "userId", status) VALUES ($1, $2, 'pending')`, [id, userId]);
    await c.query('COMMIT');
    return r.rows[0].balance;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

async function create(userId) {
  const id = `gen-${String(++generations).padStart(2, '0')}`;
  const balance = pool ? await charge(userId, id) : null;
  await queue.add('generate', { generationId: id, userId }, { jobId: id, removeOnComplete: 1000 });
  return { id, balance };
}

async function status(id) {
  if (pool) {
    const r = await pool.query('SELECT status FROM avatar_generations WHERE id = $1', [id]);
    return r.rows[0]?.status ?? null;
  }
  const job = await queue.getJob(id);
  return job ? await job.getState() : null;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      try {
        resolve(raw ? JSON.parse(raw) : {});
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function handle(req, res) {
  const send = (code, body) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (req.method === 'POST' && req.url === '/avatars') {
    const { userId } = await readJson(req);
    if (typeof userId !== 'string' || userId === '') return send(400, { error: 'userId required' });
    const created = await create(userId);
    console.log(`${created.id}: ${userId} asked for an avatar${created.balance === null ? '' : `, charged ${COST} credits`}; job enqueued`);
    return send(202, created);
  }
  const m = /^\/avatars\/([\w-]+)$/.exec(req.url ?? '');
  if (req.method === 'GET' && m) {
    const s = await status(m[1]);
    return s === null ? send(404, { error: 'not found' }) : send(200, { id: m[1], status: s });
  }
  if (req.method === 'GET' && req.url === '/health') {
    await queue.count(); // a round trip to Redis
    if (pool) await pool.query('SELECT 1');
    return send(200, { ok: true });
  }
  return send(404, { error: 'not found' });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error('avatar-api:', err.message);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`avatar-api listening on 127.0.0.1:${port}`));

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  server.close();
  await Promise.allSettled([queue.close(), pool?.end()]);
  process.exit(0);
}
process.on('SIGINT', shutdown); // PM2's stop signal
process.on('SIGTERM', shutdown);
