/**
 * Load-time rules for the SQL in `postgres.checks` (contracts.md section 2): a check is one SELECT; each
 * remediation statement is one statement whose `:name` placeholders become real parameters; the claim
 * names its row with a placeholder. Which columns a placeholder may name is only known when the check's
 * SQL has run: that is reported at the first run (src/remediate/plan.ts), with the same path.
 */
import { bindPlaceholders, firstKeyword, splitStatements } from '../postgres/sql-text';

const READING_KEYWORDS = ['SELECT', 'WITH', 'VALUES', 'TABLE'];
const TRANSACTION_KEYWORDS = ['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'PREPARE'];

/** The problem with a check's `sql`, or null when it is one SELECT. */
export function checkSqlProblem(sql: string): string | null {
  const statements = splitStatements(sql);
  if (statements.length === 0) return 'must hold one SELECT (found only comments or ";")';
  if (statements.length > 1) return `must be one statement, found ${statements.length} (a check runs one SELECT)`;
  const keyword = firstKeyword(statements[0]!);
  if (!READING_KEYWORDS.includes(keyword)) return `must be a SELECT, found ${keyword || 'something else'}`;
  return null;
}

/** The problem with one remediation statement, or null. `index` 0 is the claim. */
export function remediationStatementProblem(statement: string, index: number): string | null {
  const statements = splitStatements(statement);
  if (statements.length === 0) return 'is empty (only comments or ";")';
  if (statements.length > 1) return `must be one statement, found ${statements.length} (list each statement as its own item)`;
  const keyword = firstKeyword(statements[0]!);
  if (TRANSACTION_KEYWORDS.includes(keyword)) return `must not control the transaction (${keyword}): vigil runs each row in its own transaction`;
  if (index === 0 && bindPlaceholders(statements[0]!).names.length === 0) {
    return 'the claim (first statement) must name its row with a placeholder, e.g. WHERE id = :id AND status = \'pending\'';
  }
  return null;
}
