/**
 * The Check* alerts, over the checks source's data (`snapshot.checks`). Every configured check has a
 * condition; one that has not run yet, or whose query fails, holds CheckRowsAbove (CheckFailing says why).
 */
import type { CheckState } from '../../snapshot';
import type { Condition } from '../types';
import type { Rule } from './context';
import { formatDuration } from '../../config/units';
import { plural } from '../../util/plural';

export const CHECK_FAILING_FOR_MS = 60_000;
const SAMPLE_IDS = 5;

function rowsText(name: string, c: CheckState, above: number): string {
  const oldest = c.oldestSeconds === null ? '' : `, oldest ${formatDuration(c.oldestSeconds * 1000)}`;
  const ids = c.sampleIds.length > 0 ? `; ids ${c.sampleIds.slice(0, SAMPLE_IDS).join(', ')}${c.rows > SAMPLE_IDS ? ', …' : ''}` : '';
  return `${name}: ${plural(c.rows, 'row')} (above ${above})${oldest}${ids}`;
}

export const checkRowsAbove: Rule = ({ snapshot, config }) =>
  Object.entries(config.postgres.checks).map(([name, check]): Condition => {
    const c = snapshot.checks?.checks[name];
    return {
      alertname: 'CheckRowsAbove',
      subject: name,
      severity: check.alert.severity,
      forMs: check.alert.for,
      active: c && c.up ? c.rows > check.alert.above : 'unknown',
      summary: c && c.up ? rowsText(name, c, check.alert.above) : `${name}: no result`,
      source: 'postgres',
    };
  });

export const checkFailing: Rule = ({ snapshot, config }) =>
  Object.keys(config.postgres.checks).map((name): Condition => {
    const c = snapshot.checks?.checks[name];
    return {
      alertname: 'CheckFailing',
      subject: name,
      severity: 'warning',
      forMs: CHECK_FAILING_FOR_MS,
      active: c ? !c.up : 'unknown',
      summary: c && !c.up ? `${name}: query fails: ${c.error ?? 'unknown error'}` : `${name}: ok`,
      source: 'postgres',
    };
  });
