import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindPlaceholders, firstKeyword, splitStatements } from '../../../src/postgres/sql-text';
import { checkSqlProblem, remediationStatementProblem } from '../../../src/config/check-sql';

test('statements are split on real semicolons only', () => {
  assert.deepEqual(splitStatements('SELECT 1; SELECT 2;'), ['SELECT 1', 'SELECT 2']);
  assert.deepEqual(splitStatements("SELECT ';' AS a, \"x;y\" FROM t -- ; not here\n"), ["SELECT ';' AS a, \"x;y\" FROM t -- ; not here"]);
  assert.deepEqual(splitStatements('SELECT /* ; /* nested ; */ ; */ 1'), ['SELECT /* ; /* nested ; */ ; */ 1']);
  assert.deepEqual(splitStatements("SELECT $$;$$, $tag$ $$ ; $tag$, $1"), ["SELECT $$;$$, $tag$ $$ ; $tag$, $1"]);
  assert.deepEqual(splitStatements("SELECT E'it\\'s; fine', 'it''s; fine'"), ["SELECT E'it\\'s; fine', 'it''s; fine'"]);
  assert.deepEqual(splitStatements(' ; -- only a comment\n ;'), []);
  assert.deepEqual(splitStatements("SELECT 1; -- trailing comment"), ['SELECT 1']);
});

test('placeholders become numbered parameters; casts, literals, identifiers and comments are left alone', () => {
  assert.deepEqual(
    bindPlaceholders(`UPDATE t SET note = ':id', "a:b" = :user_id::text WHERE id = :id /* :gone */ AND x = $$:no$$ -- :nope\n AND y = :user_id`),
    { text: `UPDATE t SET note = ':id', "a:b" = $1::text WHERE id = $2 /* :gone */ AND x = $$:no$$ -- :nope\n AND y = $1`, names: ['user_id', 'id'] },
  );
  assert.deepEqual(bindPlaceholders('SELECT f(a := 1), arr[1:2]'), { text: 'SELECT f(a := 1), arr[1:2]', names: [] });
});

test('the first keyword skips comments and parentheses', () => {
  assert.equal(firstKeyword('-- hi\n/* there */ (WITH x AS (SELECT 1) SELECT * FROM x)'), 'WITH');
  assert.equal(firstKeyword('  delete from t'), 'DELETE');
  assert.equal(firstKeyword("'text'"), '');
});

test('check SQL and remediation statements are judged at load', () => {
  assert.equal(checkSqlProblem('SELECT id FROM t;'), null);
  assert.equal(checkSqlProblem("VALUES (1)"), null);
  assert.equal(checkSqlProblem('SELECT 1; SELECT 2'), 'must be one statement, found 2 (a check runs one SELECT)');
  assert.equal(checkSqlProblem('DELETE FROM t'), 'must be a SELECT, found DELETE');
  assert.equal(remediationStatementProblem('UPDATE t SET s = 1 WHERE id = :id', 0), null);
  assert.equal(remediationStatementProblem('INSERT INTO log VALUES (now())', 1), null, 'only the claim needs a placeholder');
  assert.match(remediationStatementProblem("UPDATE t SET s = 1 WHERE id::text = ':id'", 0)!, /^the claim \(first statement\) must name its row/);
  assert.match(remediationStatementProblem('ROLLBACK', 1)!, /^must not control the transaction \(ROLLBACK\)/);
});
