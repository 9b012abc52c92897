/** The one-line summary of a remediation run, for the log, the CLI and the notifier. */
import type { RowResult } from './row';

export interface SummaryInput {
  check: string;
  mode: 'dry-run' | 'apply';
  status: 'done' | 'busy' | 'failed';
  counts: Readonly<Record<RowResult, number>>;
  /** Ids the dry run would remediate (the first few are named). */
  ids: readonly string[];
  error: string | null;
}

const NAMED_IDS = 5;

const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

export function summaryText(s: SummaryInput): string {
  if (s.status === 'busy') return `${s.check}: skipped, another vigil is running this check's remediation`;
  const parts: string[] = [];
  if (s.mode === 'dry-run') {
    const n = s.counts.dry_run;
    const named = s.ids.slice(0, NAMED_IDS).join(', ');
    const more = s.ids.length > NAMED_IDS ? `, and ${s.ids.length - NAMED_IDS} more` : '';
    parts.push(n === 0 ? 'nothing to remediate' : `would remediate ${rows(n)} (${named}${more}); nothing was changed`);
  } else {
    const { applied, skipped, failed } = s.counts;
    if (applied + skipped + failed === 0) parts.push('nothing to remediate');
    else {
      parts.push(`applied ${rows(applied)}`);
      if (skipped) parts.push(`${skipped} skipped (already handled)`);
      if (failed) parts.push(`${failed} failed (rolled back)`);
    }
  }
  const head = `${s.check}${s.mode === 'dry-run' ? ' (dry run)' : ''}: ${parts.join('; ')}`;
  return s.status === 'failed' ? `${head}; run stopped: ${s.error ?? 'unknown error'}` : head;
}
