/**
 * The incident, replayed against vigil, step by step. Each step waits (with a deadline) for what vigil
 * should make happen, then says what it saw; a step that does not happen fails the demo. Slack messages
 * and vigil's actions are printed live as they come (see setup.ts), between the steps' own lines.
 */
import { balancesTable, checkBooks } from './books';
import { accounts, COST, generations, ledgerIds, USERS } from './db';
import type { Narrator } from './narrator';
import { QUEUE, WORKER, type Demo } from './setup';

/** Users who click "Generate avatar" while the worker is missing: two each. */
const FIRST_WAVE = 8;
const STUCK_AFTER = '5 s'; // demo/vigil.yml's check: pending for more than 5 seconds

async function queueView(demo: Demo) {
  const { body } = await demo.vigil.health();
  return body.queues[QUEUE] ?? null;
}

/** `skipped`: why there is no Postgres part (null when there is one). */
export async function playIncident(n: Narrator, demo: Demo, skipped: string | null): Promise<void> {
  const { api, vigil, slack, dbUrl } = demo;
  const stuckPart = dbUrl !== null;

  n.step(`1. Users click "Generate avatar"; jobs pile up in ${QUEUE} with no worker`);
  const firstWave: string[] = [];
  const charged = new Map<string, string[]>();
  for (let i = 0; i < FIRST_WAVE; i++) {
    const user = USERS[i % USERS.length]!;
    const { id } = await api.generate(user);
    firstWave.push(id);
    charged.set(user, [...(charged.get(user) ?? []), id]);
  }
  n.say(
    `${FIRST_WAVE} requests: ${[...charged].map(([u, ids]) => `${u} ${ids.join('+')}`).join(', ')}` +
      (stuckPart ? ` — ${COST} credits charged for each` : ''),
  );
  const seen = await n.until(`vigil seeing ${FIRST_WAVE} jobs waiting with no worker`, async () => {
    const q = await queueView(demo);
    return q && q.waiting >= FIRST_WAVE && q.workers === 0 ? q : null;
  }, 15_000);
  n.say(`vigil sees ${QUEUE}: ${seen.waiting} waiting, ${seen.active} active, ${seen.workers} workers`);
  n.say(`the browser polls GET /avatars/${firstWave[0]} → ${await api.status(firstWave[0]!)} ("Waiting...")`);
  const balancesBefore = stuckPart ? await accounts(dbUrl) : null;

  n.step('2. /health fails, so a deploy gate (vigil wait-healthy) or a load balancer sees it at once');
  const failing = await n.until('GET /health answering 503 with the queue as a reason', async () => {
    const h = await vigil.health();
    return h.code === 503 && h.body.reasons.some((r) => r.includes(QUEUE)) ? h : null;
  }, 15_000);
  n.say(`GET /health → ${failing.code} ${failing.body.status}; reasons:`, ...failing.body.reasons.map((r) => `• ${r}`));

  n.step(`3. vigil pages Slack: nobody consumes ${QUEUE}, and ${WORKER} is not in PM2`);
  const page = await n.until('a Slack message with QueueNoConsumer naming the missing worker', () =>
    slack.messages.find((m) => m.lines.some((l) => l.includes('QueueNoConsumer') && l.includes('critical')) && m.lines.some((l) => l.includes(WORKER))),
  20_000);
  n.say(`the on-call channel got message #${page.n}: QueueNoConsumer, critical, naming ${WORKER}`);

  if (stuckPart) {
    // In production the stuck threshold is minutes and the watchdog's grace seconds, so the worker is back
    // long before a row counts as stuck; here the threshold (5 s) is shorter than the grace (10 s), to show
    // what vigil does for rows an outage left behind.
    n.step(`4. Generations pending for more than ${STUCK_AFTER} are stuck: vigil marks them failed and refunds them`);
    const refunded = await n.until(`the ${FIRST_WAVE} stuck generations marked failed and in vigil's ledger`, async () => {
      const rows = (await generations(dbUrl)).filter((g) => firstWave.includes(g.id));
      const ledger = await ledgerIds(dbUrl);
      return rows.every((g) => g.status === 'failed') && firstWave.every((id) => ledger.includes(id)) ? rows : null;
    }, 30_000);
    n.say(`${refunded.length} generations are now "failed" ("Generation timed out - please try again"), each refunded ${COST} credits:`);
    const balancesAfter = await accounts(dbUrl);
    for (const line of balancesTable(balancesBefore!, balancesAfter, ['before', 'after'])) n.raw(`${' '.repeat(18)}${line}`);
    n.say(`the browser polls GET /avatars/${firstWave[0]} → ${await api.status(firstWave[0]!)}`);
  } else {
    n.step(`4. (skipped) stuck generations and refunds: ${skipped}`);
  }

  n.step(`5. vigil's watchdog starts ${WORKER} from its entry in demo/ecosystem.config.js`);
  const started = await n.until(`the watchdog starting ${WORKER}`, () =>
    demo.vigilLog.find((l) => l.msg.startsWith(`watchdog: started ${WORKER}`)),
  30_000);
  const online = await n.until(`${WORKER} online in PM2`, async () =>
    (await demo.stack.pm2.jlist()).find((p: { name: string; pm2_env?: { status?: string } }) => p.name === WORKER && p.pm2_env?.status === 'online'),
  20_000);
  n.say(`pm2 list → ${WORKER}: online (pid ${online.pid}), started by vigil: "${started.msg.replace('watchdog: ', '')}"`);

  n.step(`6. The queue drains`);
  const drained = await n.until(`${QUEUE} drained with a worker attached`, async () => {
    const q = await queueView(demo);
    return q && q.waiting === 0 && q.active === 0 && (q.workers ?? 0) > 0 ? q : null;
  }, 30_000);
  n.say(`vigil sees ${QUEUE}: ${drained.waiting} waiting, ${drained.active} active, ${drained.workers} worker(s)`);
  const workerLines = demo.workerLog.newLines();
  if (workerLines.length > 0) n.say(`pm2 logs ${WORKER}:`, ...workerLines.map((l) => `│ ${l}`));

  n.step('7. /health is green again');
  const healthy = await n.until('GET /health answering 200', async () => {
    const h = await vigil.health();
    return h.code === 200 ? h : null;
  }, 20_000);
  n.say(`GET /health → ${healthy.code} ${healthy.body.status}${healthy.body.reasons.length ? `; ${healthy.body.reasons.join('; ')}` : ''}`);

  n.step(stuckPart ? '8. Users try again, and their avatars are generated' : '8. New requests are served at once');
  const secondWave: string[] = [];
  for (const user of USERS) secondWave.push((await api.generate(user)).id);
  const done = await n.until('every new generation completed', async () => {
    const statuses = await Promise.all(secondWave.map((id) => api.status(id)));
    return statuses.every((s) => s === 'completed') ? statuses : null;
  }, 20_000);
  n.say(`${secondWave.join(', ')} → ${done.join(', ')}`);
  const more = demo.workerLog.newLines();
  if (more.length > 0) n.say(`pm2 logs ${WORKER}:`, ...more.map((l) => `│ ${l}`));

  if (stuckPart) {
    n.step('9. The books: every stuck generation refunded exactly once, nothing else refunded');
    await checkBooks(n, demo);
  } else {
    n.step(`9. (skipped) the refund books: ${skipped}`);
  }

  n.step('10. Slack gets the all-clear');
  const resolved = await n.until('a Slack message resolving QueueNoConsumer, with the watchdog\'s action', () =>
    slack.messages.find((m) => m.lines.some((l) => l.includes('QueueNoConsumer') && l.includes('resolved')) && m.lines.some((l) => l.includes(`started ${WORKER}`))),
  20_000);
  n.say(`message #${resolved.n}: QueueNoConsumer resolved, saying what vigil did about it`);
}
