import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lockKey } from '../../../src/remediate/ledger';
import { columnProblems, buildPlan, paramsFor } from '../../../src/remediate/plan';
import { summaryText } from '../../../src/remediate/summary';
import { testConfig } from '../../helpers/vigil';

const counts = (c: Partial<Record<'applied' | 'skipped' | 'failed' | 'dry_run', number>>) => ({ applied: 0, skipped: 0, failed: 0, dry_run: 0, ...c });

test('summaries say what happened, in one line', () => {
  const s = (o: Partial<Parameters<typeof summaryText>[0]>) =>
    summaryText({ check: 'stuck', mode: 'apply', status: 'done', counts: counts({}), ids: [], error: null, ...o });
  assert.equal(s({ counts: counts({ applied: 37, skipped: 2 }) }), 'stuck: applied 37 rows; 2 skipped (already handled)');
  assert.equal(s({ counts: counts({ applied: 1, failed: 1 }) }), 'stuck: applied 1 row; 1 failed (rolled back)');
  assert.equal(s({}), 'stuck: nothing to remediate');
  assert.equal(s({ status: 'busy' }), "stuck: skipped, another vigil is running this check's remediation");
  assert.equal(s({ status: 'failed', counts: counts({ applied: 3 }), error: 'connection lost' }), 'stuck: applied 3 rows; run stopped: connection lost');
  assert.equal(
    s({ mode: 'dry-run', counts: counts({ dry_run: 7 }), ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }),
    'stuck (dry run): would remediate 7 rows (a, b, c, d, e, and 2 more); nothing was changed',
  );
});

test('plans bind each placeholder once and know which columns they need', () => {
  const config = testConfig({
    postgres: {
      checks: {
        stuck: {
          sql: 'SELECT id, user_id FROM t;',
          remediate: { mode: 'apply', statements: ["UPDATE t SET s = 'f' WHERE id = :id", 'INSERT INTO c VALUES (:user_id, :user_id, :amount)'] },
        },
      },
    },
  });
  const plan = buildPlan('stuck', config.postgres.checks.stuck!);
  assert.equal(plan.body, 'SELECT id, user_id FROM t');
  assert.deepEqual(plan.statements[1], { text: 'INSERT INTO c VALUES ($1, $1, $2)', names: ['user_id', 'amount'] });
  assert.deepEqual(paramsFor(plan.statements[1]!, { id: '1', user_id: 'u', amount: null }), ['u', null]);
  assert.deepEqual(columnProblems(plan, ['id', 'user_id']), [
    "postgres.checks.stuck.remediate.statements.1: placeholder :amount names no column of the check's SQL (it returns: id, user_id)",
  ]);
  assert.deepEqual(columnProblems(plan, ['user_id', 'amount']), [
    'postgres.checks.stuck.sql: remediation needs an "id" column naming each row (the check returns: user_id, amount)',
    "postgres.checks.stuck.remediate.statements.0: placeholder :id names no column of the check's SQL (it returns: user_id, amount)",
  ]);
});

test('advisory lock keys are stable signed 32-bit integers', () => {
  assert.equal(lockKey('stuck_avatar_generations'), lockKey('stuck_avatar_generations'));
  assert.notEqual(lockKey('a'), lockKey('b'));
  for (const name of ['a', 'stuck_avatar_generations', 'x'.repeat(100)]) {
    const k = lockKey(name);
    assert.ok(Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31);
  }
});
