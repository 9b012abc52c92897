// Remediation of the incident's stuck rows against a private Postgres: exactly once under concurrent
// remediators (separate processes), a remediator killed mid-transaction, rows reset by hand; dry-run,
// maxRows, a failing statement, a placeholder that names no column, the daemon's trigger.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { startDaemon } from '../../src/daemon';
import { createMetrics } from '../../src/http/metrics';
import { LEDGER_TABLE } from '../../src/remediate/ledger';
import { buildPlan } from '../../src/remediate/plan';
import { Remediator } from '../../src/remediate/remediator';
import { applyRow, rowTimeouts } from '../../src/remediate/row';
import type { Runtime } from '../../src/runtime';
import type { Snapshot } from '../../src/snapshot';
import { checksSource } from '../../src/sources/checks';
import { balances, CHECK, CLAIM, incidentCheck, REFUND, seedIncident, withClient } from '../helpers/incident';
import { startPostgres, type PrivatePostgres } from '../helpers/stack';
import { testConfig, testLogger } from '../helpers/vigil';

const ROOT = path.join(__dirname, '..', '..');
let pgc: PrivatePostgres;
before(async () => {
  pgc = await startPostgres();
});
after(async () => {
  await pgc?.destroy();
});

const count = (url: string, where: string) =>
  withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${where}`)).rows[0].n));

function remediator(url: string, remediate: Record<string, unknown> = {}, statements?: string[]) {
  const config = testConfig({ postgres: { url, statementTimeout: '2s', checks: incidentCheck(remediate, statements) } });
  const { logger, lines } = testLogger(config, 'info');
  return { config, lines, r: new Remediator(config, logger) };
}

/** Runs `vigil remediate CHECK --apply` as its own process. */
function cli(configFile: string, args: string[] = ['--apply']): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; pid: number; kill(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'remediate', CHECK, ...args, '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

function configFile(url: string, remediate: Record<string, unknown> = {}, statements?: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-remediate-'));
  const file = path.join(dir, 'vigil.yml');
  fs.writeFileSync(file, stringify({ pm2: { enabled: false }, log: { level: 'info' }, postgres: { url, statementTimeout: '2s', checks: incidentCheck(remediate, statements) } }));
  return file;
}

/** The exactly-once invariants: every stuck row failed once, one refund and one ledger entry per row, right balances, fresh rows untouched. */
async function assertExactlyOnce(url: string, seeded: Awaited<ReturnType<typeof seedIncident>>, fresh: number): Promise<void> {
  assert.equal(await count(url, `avatar_generations WHERE id LIKE 'gen-%' AND status = 'failed'`), seeded.stuckIds.length);
  assert.equal(await count(url, `credits WHERE type = 'refund'`), seeded.stuckIds.length);
  assert.equal(await count(url, `${LEDGER_TABLE} WHERE check_name = '${CHECK}'`), seeded.stuckIds.length);
  assert.equal(await count(url, `avatar_generations WHERE id LIKE 'fresh-%' AND status = 'pending' AND "completedAt" IS NULL`), fresh);
  assert.equal(await count(url, `avatar_generations WHERE id LIKE 'done-%' AND status = 'completed'`), 10);
  assert.equal(await count(url, `avatar_generations WHERE id LIKE 'gen-%' AND status = 'failed' AND "errorMessage" IS NOT NULL AND "completedAt" IS NOT NULL`), seeded.stuckIds.length);
  const after = await balances(url);
  for (const [user, start] of seeded.startBalance) {
    assert.equal(after.get(user), start + 10 * (seeded.stuckByUser.get(user) ?? 0), `balance of ${user}`);
  }
  const refundsPerUser = await withClient(url, async (c) =>
    (await c.query(`SELECT "userId" AS u, count(*)::int AS n, sum(amount)::int AS s FROM credits WHERE type = 'refund' GROUP BY 1`)).rows,
  );
  for (const { u, n, s } of refundsPerUser) assert.deepEqual([n, s], [seeded.stuckByUser.get(u), 10 * seeded.stuckByUser.get(u)!]);
}

test('exactly once: 500 stuck rows, 4 remediator processes at once, several rounds', async () => {
  const url = await pgc.createDatabase();
  const seeded = await seedIncident(url, { stuck: 500, users: 37, fresh: 40, completed: 10 });
  // 200 rows per run: at least 3 runs (process start-up, not the rows, is what costs time here).
  const file = configFile(url, { maxRows: 200 });
  const codes: (number | null)[] = [];
  for (let round = 0; round < 12 && (await count(url, `avatar_generations WHERE id LIKE 'gen-%' AND status <> 'failed'`)) > 0; round++) {
    const results = await Promise.all([1, 2, 3, 4].map(() => cli(file).done));
    for (const r of results) {
      codes.push(r.code);
      assert.ok(r.code === 0 || (r.code === 1 && r.stdout.includes('another vigil is running')), `exit ${r.code}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${CHECK}: (applied \\d+ rows?|skipped, another vigil|nothing to remediate)`));
    }
  }
  assert.ok(codes.filter((c) => c === 0).length >= 3, 'at least 3 runs of 200 rows did the work');
  await assertExactlyOnce(url, seeded, 40);

  // A row reset to pending by hand is not refunded again, by a daemon-style run nor by the CLI.
  await withClient(url, (c) => c.query(`UPDATE avatar_generations SET status = 'pending', "errorMessage" = NULL WHERE id IN ('gen-000001', 'gen-000002')`));
  const again = await cli(file).done;
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), `${CHECK}: nothing to remediate`);
  assert.equal(await count(url, `credits WHERE type = 'refund'`), 500);
  assert.equal(await count(url, `avatar_generations WHERE status = 'pending' AND id LIKE 'gen-%'`), 2, 'left for a human: vigil did them once already');
});

test('a remediator killed mid-transaction leaves no partial row, and the next run finishes the rest', async () => {
  const url = await pgc.createDatabase();
  const seeded = await seedIncident(url, { stuck: 300, users: 11, fresh: 5, completed: 10 });
  // A pause between the claim and the refund: the kill lands inside a row's transaction.
  const slow = configFile(url, { maxRows: 1000 }, [CLAIM, 'SELECT pg_sleep(0.02)', REFUND]);
  const run = cli(slow);
  await waitUntil(async () => (await count(url, LEDGER_TABLE).catch(() => 0)) >= 40, 20_000);
  await waitUntil(
    () => withClient(url, async (c) => (await c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'vigil' AND query LIKE '%pg_sleep%' AND state = 'active'`)).rowCount! > 0),
    5_000,
  );
  run.kill();
  const killed = await run.done;
  assert.equal(killed.code, null, 'killed by the signal');
  await waitUntil(() => withClient(url, async (c) => (await c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'vigil'`)).rowCount === 0), 10_000);

  const failed = await count(url, `avatar_generations WHERE status = 'failed'`);
  assert.ok(failed >= 40 && failed < 300, `${failed} rows done before the kill`);
  assert.equal(await count(url, `credits WHERE type = 'refund'`), failed, 'no claimed row without its refund');
  assert.equal(await count(url, LEDGER_TABLE), failed, 'no ledger entry without its row');

  const { r } = remediator(url, { maxRows: 1000 });
  const report = await r.run(CHECK, 'apply');
  assert.equal(report.status, 'done', report.error ?? '');
  assert.deepEqual(report.counts, { applied: 300 - failed, skipped: 0, failed: 0, dry_run: 0 });
  await assertExactlyOnce(url, seeded, 5);
});

test('four remediators in one process (separate connections): runs never overlap, work is exactly once', async () => {
  const url = await pgc.createDatabase();
  const seeded = await seedIncident(url, { stuck: 500, users: 23, fresh: 20, completed: 10 });
  const workers = [1, 2, 3, 4].map(() => remediator(url, { maxRows: 60 }).r);
  const statuses: string[] = [];
  for (let round = 0; round < 30 && (await count(url, `avatar_generations WHERE id LIKE 'gen-%' AND status <> 'failed'`)) > 0; round++) {
    const reports = await Promise.all(workers.map((w) => w.run(CHECK, 'apply')));
    for (const rep of reports) {
      statuses.push(rep.status);
      assert.notEqual(rep.status, 'failed', rep.error ?? '');
      assert.ok(rep.counts.applied <= 60);
    }
    assert.ok(reports.filter((rep) => rep.counts.applied > 0).length <= 1, 'one run at a time per check');
  }
  await assertExactlyOnce(url, seeded, 20);
  const total = workers.map((w) => w.stats()[CHECK]!).reduce((n, s) => n + s.applied, 0);
  assert.equal(total, 500);
});

test('dry-run changes nothing and reports what it would do', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 12, users: 3, fresh: 2, completed: 10 });
  const fingerprint = () =>
    withClient(url, async (c) => (await c.query(`SELECT md5(string_agg(g::text, ',' ORDER BY id)) || md5((SELECT string_agg(k::text, ',' ORDER BY id) FROM credits k)) AS f FROM avatar_generations g`)).rows[0].f as string);
  const before = await fingerprint();
  const { r, lines } = remediator(url, { mode: 'dry-run', maxRows: 10 });
  const report = await r.run(CHECK, 'dry-run');
  assert.equal(report.status, 'done');
  assert.deepEqual(report.counts, { applied: 0, skipped: 0, failed: 0, dry_run: 10 });
  assert.equal(report.summary, `${CHECK} (dry run): would remediate 10 rows (gen-000000, gen-000001, gen-000002, gen-000003, gen-000004, and 5 more); nothing was changed`);
  assert.equal(await fingerprint(), before);
  assert.equal(await withClient(url, async (c) => (await c.query(`SELECT to_regclass('${LEDGER_TABLE}') AS t`)).rows[0].t), null, 'not even the ledger is created');
  const rowLines = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'remediation row');
  assert.equal(rowLines.length, 10);
  assert.deepEqual(rowLines[0], { ...rowLines[0], check: CHECK, id: 'gen-000000', result: 'dry_run' });
  // The CLI without --apply is the same dry run.
  const out = await cli(configFile(url, { maxRows: 3 }), []).done;
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), `${CHECK} (dry run): would remediate 3 rows (gen-000000, gen-000001, gen-000002); nothing was changed`);
  assert.equal(await fingerprint(), before);
});

test('maxRows is respected, and the counters reach /metrics', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 20, users: 4, completed: 10 });
  const { config, r } = remediator(url, { maxRows: 7 });
  const report = await r.run(CHECK, 'apply');
  assert.deepEqual(report.counts, { applied: 7, skipped: 0, failed: 0, dry_run: 0 });
  assert.equal(report.summary, `${CHECK}: applied 7 rows`);
  assert.equal(await count(url, `avatar_generations WHERE status = 'failed'`), 7);
  const runtime: Runtime = { config, version: 't', now: Date.now, snapshot: () => null, lastTick: () => null, scrub: (t) => t, remediation: () => r.stats() };
  const body = (await createMetrics(runtime).render(undefined)).body;
  assert.match(body, new RegExp(`^vigil_remediation_rows_total\\{check="${CHECK}",result="applied"\\} 7$`, 'm'));
  assert.match(body, new RegExp(`^vigil_remediation_rows_total\\{check="${CHECK}",result="failed"\\} 0$`, 'm'));
});

test('a statement error rolls back that row only and is counted failed', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 12, users: 4, completed: 10 });
  // user-1's refunds violate a constraint: their rows fail, the others are applied.
  await withClient(url, (c) => c.query(`ALTER TABLE credits ADD CONSTRAINT no_refunds_for_user1 CHECK (NOT ("userId" = 'user-1' AND type = 'refund'))`));
  const { r, lines } = remediator(url);
  const report = await r.run(CHECK, 'apply');
  assert.equal(report.status, 'done');
  assert.deepEqual(report.counts, { applied: 9, skipped: 0, failed: 3, dry_run: 0 });
  assert.equal(report.summary, `${CHECK}: applied 9 rows; 3 failed (rolled back)`);
  assert.equal(await count(url, `avatar_generations WHERE status = 'failed'`), 9);
  assert.equal(await count(url, `avatar_generations WHERE "userId" = 'user-1' AND status IN ('pending', 'processing') AND id LIKE 'gen-%'`), 3, 'claims rolled back');
  assert.equal(await count(url, `${LEDGER_TABLE}`), 9);
  const failedLine = lines.map((l) => JSON.parse(l)).find((l) => l.result === 'failed');
  assert.match(failedLine.reason, /violates check constraint "no_refunds_for_user1"/);
  // The CLI exits 1 when rows failed.
  const out = await cli(configFile(url)).done;
  assert.equal(out.code, 1);
  assert.equal(out.stdout.trim(), `${CHECK}: applied 0 rows; 3 failed (rolled back)`);
});

test('a placeholder naming no column of the check is reported at the first run with its path; nothing changes', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 5, users: 2, completed: 10 });
  const { r } = remediator(url, {}, [CLAIM, REFUND.replace(/:user_id/g, ':userid')]);
  const report = await r.run(CHECK, 'apply');
  assert.equal(report.status, 'failed');
  assert.equal(report.error, `postgres.checks.${CHECK}.remediate.statements.1: placeholder :userid names no column of the check's SQL (it returns: id, user_id, created_at)`);
  assert.equal(await count(url, `avatar_generations WHERE status = 'failed'`), 0);
  const out = await cli(configFile(url, {}, [CLAIM, REFUND.replace(/:user_id/g, ':userid')])).done;
  assert.equal(out.code, 1);
  assert.match(out.stdout, /run stopped: postgres\.checks\.stuck_avatar_generations\.remediate\.statements\.1: placeholder :userid/);
});

test('a row already in the ledger is skipped even though its claim matches, and the claim is rolled back', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 1, users: 1, completed: 10 });
  const { config, r } = remediator(url);
  assert.equal((await r.run(CHECK, 'apply')).counts.applied, 1);
  await withClient(url, async (c) => {
    await c.query(`UPDATE avatar_generations SET status = 'pending' WHERE id = 'gen-000000'`);
    const plan = buildPlan(CHECK, config.postgres.checks[CHECK]!);
    const outcome = await applyRow(c, plan, { id: 'gen-000000', user_id: 'user-0', created_at: null }, rowTimeouts(2000));
    assert.deepEqual(outcome, { id: 'gen-000000', result: 'skipped', reason: 'already in the ledger (remediated before)' });
    assert.equal((await c.query(`SELECT status FROM avatar_generations WHERE id = 'gen-000000'`)).rows[0].status, 'pending');
  });
  assert.equal(await count(url, `credits WHERE type = 'refund'`), 1);
});

test('the daemon path: a check run that found rows starts a background run whose summary goes to onSummary', async () => {
  const url = await pgc.createDatabase();
  await seedIncident(url, { stuck: 4, users: 2, completed: 10 });
  const { r } = remediator(url);
  const summaries: string[] = [];
  const got = new Promise<void>((resolve) => {
    r.onSummary = (text) => {
      summaries.push(text);
      resolve();
    };
  });
  const snapshot = (ranAt: number, rows: number): Snapshot => ({
    time: ranAt, sources: {}, pm2: null, queues: null,
    checks: { checks: { [CHECK]: { name: CHECK, up: true, error: null, rows, oldestSeconds: 1, durationMs: 1, sampleIds: [], ranAt } } },
  });
  r.afterSnapshot(snapshot(1, 4));
  await got;
  assert.deepEqual(summaries, [`${CHECK}: applied 4 rows`]);
  r.afterSnapshot(snapshot(1, 4)); // the same check result again: no second run
  r.afterSnapshot(snapshot(2, 0)); // a run that found nothing: no run
  await r.stop();
  assert.equal(summaries.length, 1);
  assert.equal(r.stats()[CHECK]!.applied, 4);
});

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The ```sql block that follows `<!-- NAME: ...` in the README. */
function docSql(name: string): string {
  const doc = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = doc.indexOf(`<!-- ${name}:`);
  assert.ok(at >= 0, `README.md has no ${name} block`);
  const m = /```sql\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(m, `no sql block after ${name}`);
  return m[1]!;
}

test('the least-privilege roles of the README: the check role checks and dry-runs but cannot apply; the remediation role applies', async () => {
  const url = await pgc.createDatabase();
  const db = decodeURIComponent(new URL(url).pathname.slice(1));
  const seeded = await seedIncident(url, { stuck: 30, users: 4, fresh: 3, completed: 10 });
  await withClient(url, (c) => c.query(docSql('roles.sql').replace(/DATABASE app /g, `DATABASE "${db}" `)));
  const as = (role: string, password: string) => url.replace('postgres@', `${role}:${password}@`);
  const checkUrl = as('vigil_check', 'change-me');
  const remediateUrl = as('vigil_remediate', 'change-me-too');

  // The check role runs the check ...
  const checkOnly = testConfig({ postgres: { url: checkUrl, checks: incidentCheck() } });
  const src = checksSource(checkOnly, testLogger(checkOnly).logger);
  try {
    const { checks } = await src.poll(new AbortController().signal);
    assert.deepEqual([checks[CHECK]!.up, checks[CHECK]!.rows], [true, 30]);
  } finally {
    await src.close();
  }
  // ... and can dry-run, but cannot apply: nothing is written.
  const readOnly = new Remediator(checkOnly, testLogger(checkOnly).logger);
  assert.equal((await readOnly.run(CHECK, 'dry-run')).counts.dry_run, 30);
  const refused = await readOnly.run(CHECK, 'apply');
  assert.equal(refused.status, 'failed');
  assert.match(refused.error!, /permission denied for schema vigil/);
  assert.equal(await count(url, `avatar_generations WHERE status = 'failed'`), 0);

  // With remediationUrl, the same config applies as vigil_remediate, which creates the ledger in its schema.
  const both = testConfig({ postgres: { url: checkUrl, remediationUrl: remediateUrl, checks: incidentCheck() } });
  assert.ok(both.secrets.includes('change-me-too'), 'the remediation password is a secret');
  const { logger, lines } = testLogger(both);
  const report = await new Remediator(both, logger).run(CHECK, 'apply');
  assert.equal(report.status, 'done', report.error ?? '');
  assert.equal(report.counts.applied, 30);
  await assertExactlyOnce(url, seeded, 3);
  assert.ok(!lines.join('').includes('change-me-too'));

  // After ledger-read.sql (as the ledger's owner), the check role's dry runs leave out what was done.
  await withClient(remediateUrl, (c) => c.query(docSql('ledger-read.sql')));
  await withClient(url, (c) => c.query(`UPDATE avatar_generations SET status = 'pending' WHERE id = 'gen-000003'`));
  const dry = await readOnly.run(CHECK, 'dry-run');
  assert.equal(dry.summary, `${CHECK} (dry run): nothing to remediate`);
});

test('the daemon: a check run that finds stuck rows is remediated in the background; /metrics and /health show it', async () => {
  const url = await pgc.createDatabase();
  const seeded = await seedIncident(url, { stuck: 25, users: 5, fresh: 2, completed: 10 });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-daemon-'));
  const config = testConfig({
    listen: { port: 0 },
    poll: { interval: '1s', timeout: '1s' }, // generous: a shared CI machine must not make the source flap
    alerts: { groupWait: '0s' },
    stateFile: path.join(stateDir, 'state.json'),
    postgres: { url, statementTimeout: '750ms', checks: { ...incidentCheck({ maxRows: 10 }), broken: { sql: 'SELECT id FROM nowhere' } } },
  });
  const { logger, lines } = testLogger(config, 'info');
  const daemon = await startDaemon(config, logger);
  try {
    const summaries: string[] = [];
    const toEngine = daemon.remediator!.onSummary; // the daemon routes summaries to the alert engine
    daemon.remediator!.onSummary = (text, report) => {
      summaries.push(text);
      toEngine(text, report);
    };
    await waitUntil(async () => (await count(url, `avatar_generations WHERE status = 'failed'`)) === 25, 20_000);
    await assertExactlyOnce(url, seeded, 2);
    await waitUntil(async () => /^vigil_check_rows\{check="stuck_avatar_generations"\} 0$/m.test(await (await fetch(`${daemon.url}/metrics`)).text()), 10_000);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    assert.match(metrics, /^vigil_remediation_rows_total\{check="stuck_avatar_generations",result="applied"\} 25$/m);
    assert.match(metrics, /^vigil_check_up\{check="broken"\} 0$/m);
    assert.deepEqual(summaries.slice(0, 2), [`${CHECK}: applied 10 rows`, `${CHECK}: applied 10 rows`]);
    const health = (await (await fetch(`${daemon.url}/health`)).json()) as { checks: Record<string, unknown> };
    assert.deepEqual(health.checks[CHECK], { up: true, rows: 0, oldestSeconds: 0, sampleIds: [], error: null });
    assert.deepEqual(health.checks.broken, { up: false, rows: 0, oldestSeconds: null, sampleIds: [], error: 'relation "nowhere" does not exist (SQLSTATE 42P01)' });
    // Without a Slack webhook, notifications go to the log: the summaries ride on the CheckRowsAbove message.
    await waitUntil(async () => lines.some((l) => !l.includes('"msg":"stuck_avatar_generations: applied') && l.includes('stuck_avatar_generations: applied 10 rows')), 10_000);
    assert.equal(lines.filter((l) => l.includes('"msg":"remediation row"')).length, 25);
  } finally {
    await daemon.stop();
  }
});
