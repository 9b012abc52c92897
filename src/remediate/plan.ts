/**
 * A check's remediation, prepared: the statements with `:name` bound to `$n`, and — once the check's SQL
 * has been described — the check that every placeholder names a column it returns (reported with the
 * statement's config path, at the first run; the columns are not known before).
 */
import type { CheckConfig } from '../config/types';
import { bindPlaceholders, splitStatements, type BoundStatement } from '../postgres/sql-text';

export interface RemediationPlan {
  check: string;
  /** The check's SQL without its `;`. */
  body: string;
  /** statements[0] is the claim. */
  statements: BoundStatement[];
  maxRows: number;
}

export function buildPlan(check: string, config: CheckConfig): RemediationPlan {
  return {
    check,
    body: splitStatements(config.sql)[0] ?? config.sql,
    statements: config.remediate.statements.map((s) => bindPlaceholders(splitStatements(s)[0] ?? s)),
    maxRows: config.remediate.maxRows,
  };
}

/** Problems with the plan given the columns the check's SQL returns; empty when it can run. */
export function columnProblems(plan: RemediationPlan, columns: readonly string[]): string[] {
  const base = `postgres.checks.${plan.check}`;
  const problems: string[] = [];
  if (!columns.includes('id')) problems.push(`${base}.sql: remediation needs an "id" column naming each row (the check returns: ${columns.join(', ') || 'no columns'})`);
  plan.statements.forEach((s, i) => {
    for (const name of s.names) {
      if (!columns.includes(name)) {
        problems.push(`${base}.remediate.statements.${i}: placeholder :${name} names no column of the check's SQL (it returns: ${columns.join(', ') || 'no columns'})`);
      }
    }
  });
  return problems;
}

/** The parameters of a statement for one row, in `$n` order. */
export function paramsFor(statement: BoundStatement, row: Readonly<Record<string, string | null>>): (string | null)[] {
  return statement.names.map((name) => row[name] ?? null);
}
