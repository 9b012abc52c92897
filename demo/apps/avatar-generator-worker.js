'use strict';
// The demo's worker, `avatar-generator-worker`: consumes `avatar-generation` and marks each generation
// completed. In the incident it was never added to PM2; in the demo, vigil's watchdog starts it.
//
// Each side of a row changes it only with a compare-and-set, so the worker and vigil's remediation can
// never both settle one generation: the worker claims `pending` → `processing` before it works (a row
// vigil already marked failed and refunded is skipped, not generated for free), and completes only a
// row still `processing` (one vigil failed meanwhile keeps its refund; the result is discarded).
//
// env: REDIS_URL (required); DATABASE_URL (optional); JOB_MS (time one avatar takes, default 300).
const { Worker } = require('bullmq');
const pg = require('pg');

const QUEUE = 'avatar-generation';
if (!process.env.REDIS_URL) {
  console.error('avatar-generator-worker: REDIS_URL is required');
  process.exit(2);
}
const jobMs = Number(process.env.JOB_MS || 300);
const pool = process.env.DATABASE_URL ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 }) : null;
pool?.on('error', (err) => console.error('avatar-generator-worker: postgres:', err.message));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function generate(job) {
  const { generationId: id, userId } = job.data;
  if (pool) {
    const claim = await pool.query(`UPDATE avatar_generations SET status = 'processing' WHERE id = $1 AND status = 'pending'`, [id]);
    if (claim.rowCount === 0) {
      const r = await pool.query('SELECT status FROM avatar_generations WHERE id = $1', [id]);
      console.log(`${id}: already ${r.rows[0]?.status ?? 'gone'} — skipped, nothing generated`);
      return { skipped: true };
    }
  }
  await sleep(jobMs); // the avatar model at work
  if (pool) {
    const done = await pool.query(
      `UPDATE avatar_generations SET status = 'completed', "completedAt" = now() WHERE id = $1 AND status = 'processing'`,
      [id],
    );
    if (done.rowCount === 0) {
      console.log(`${id}: marked failed while generating — result discarded`);
      return { discarded: true };
    }
  }
  console.log(`${id}: avatar generated for ${userId}`);
  return { ok: true };
}

const worker = new Worker(QUEUE, generate, { connection: { url: process.env.REDIS_URL, maxRetriesPerRequest: null }, concurrency: 1 });
// A Redis hiccup must not kill the worker: BullMQ reconnects.
worker.on('error', (err) => console.error('avatar-generator-worker:', err.message));
worker.waitUntilReady().then(() => console.log(`Avatar Generator Worker started, consuming ${QUEUE}`));

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await worker.close(); // finishes the job in hand
  await pool?.end();
  process.exit(0);
}
process.on('SIGINT', shutdown); // PM2's stop signal
process.on('SIGTERM', shutdown);
