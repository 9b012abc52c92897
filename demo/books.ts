/**
 * The demo's last word on the money, from the database itself rather than from vigil: every generation
 * settled, every failed one refunded exactly once (its refund row, its ledger entry), nothing else
 * refunded, every running balance adding up — and vigil, still checking, refunding nothing more.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { accounts, CHECK, COST, generations, ledgerIds, START_CREDITS, USERS, type Account } from './db';
import { expect, type Narrator } from './narrator';
import type { Demo } from './setup';

/** vigil_remediation_rows_total{result="applied"} for the check, from /metrics. */
async function appliedCount(demo: Demo): Promise<number> {
  const text = await demo.vigil.metrics();
  const m = new RegExp(`^vigil_remediation_rows_total\\{check="${CHECK}",result="applied"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function balancesTable(before: Map<string, Account>, after: Map<string, Account>, headings: [string, string]): string[] {
  const rows = USERS.map((u) => {
    const b = before.get(u)?.balance ?? 0;
    const a = after.get(u)?.balance ?? 0;
    const diff = a - b;
    return `${u.padEnd(7)}${String(b).padStart(8)}${String(a).padStart(8)}   ${diff === 0 ? '' : diff > 0 ? `+${diff}` : diff}`;
  });
  return [`${'user'.padEnd(7)}${headings[0].padStart(8)}${headings[1].padStart(8)}`, ...rows];
}

/** Checks the outcome in the database itself, not in vigil's word for it. */
export async function checkBooks(n: Narrator, demo: Demo): Promise<void> {
  const dbUrl = demo.dbUrl!;
  const applied = await appliedCount(demo);
  // Let vigil run its check a few more times: a second refund would show now.
  await delay(3_000, undefined, { signal: n.signal });
  const [rows, books, ledger, appliedLater] = await Promise.all([generations(dbUrl), accounts(dbUrl), ledgerIds(dbUrl), appliedCount(demo)]);
  const failed = rows.filter((g) => g.status === 'failed');
  const completed = rows.filter((g) => g.status === 'completed');
  const refunds = [...books.values()].reduce((s, a) => s + a.refunds, 0);

  expect(failed.length > 0, 'no generation was marked failed');
  expect(completed.length > 0, 'no generation completed');
  expect(rows.every((g) => g.status === 'failed' || g.status === 'completed'), `generations left unsettled: ${rows.filter((g) => g.status !== 'failed' && g.status !== 'completed').map((g) => g.id).join(', ')}`);
  expect(JSON.stringify(ledger) === JSON.stringify(failed.map((g) => g.id).sort()), `vigil's ledger (${ledger.join(', ')}) is not the failed generations (${failed.map((g) => g.id).join(', ')})`);
  expect(refunds === failed.length, `${refunds} refunds for ${failed.length} failed generations`);
  expect(applied === failed.length && appliedLater === applied, `vigil_remediation_rows_total{result="applied"} went ${applied} → ${appliedLater}, for ${failed.length} failed generations`);

  n.say(`${rows.length} generations: ${completed.length} completed, ${failed.length} failed and refunded; ${refunds} refund rows; ${ledger.length} rows in vigil.vigil_remediations`);
  n.say(`vigil kept checking every second; vigil_remediation_rows_total{result="applied"} stayed at ${appliedLater}: nothing refunded twice`);
  const lines = USERS.map((u) => {
    const a = books.get(u)!;
    const expected = START_CREDITS - COST * a.charges + COST * a.refunds;
    expect(a.balance === expected, `${u}'s balance is ${a.balance}, expected ${expected}`);
    const userFailed = failed.filter((g) => g.userId === u).length;
    expect(a.refunds === userFailed, `${u} has ${a.refunds} refunds for ${userFailed} failed generations`);
    return `${u.padEnd(7)} ${START_CREDITS} − ${a.charges}×${COST} charged + ${a.refunds}×${COST} refunded = ${a.balance}`;
  });
  n.say('every running balance adds up:', ...lines);
}
