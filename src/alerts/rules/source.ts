/** VigilSourceDown: a source's polls fail. Every alert that reads the source is held meanwhile. */
import type { Rule } from './context';
import type { Condition } from '../types';
import type { SourceName } from '../../snapshot';

export const SOURCE_DOWN_FOR_MS = 30_000;

export const sourceDown: Rule = ({ snapshot }) => {
  const out: Condition[] = [];
  for (const [name, s] of Object.entries(snapshot.sources) as [SourceName, NonNullable<(typeof snapshot.sources)[SourceName]>][]) {
    out.push({
      alertname: 'VigilSourceDown',
      subject: name,
      severity: 'critical',
      forMs: SOURCE_DOWN_FOR_MS,
      active: !s.up,
      summary: s.up ? `${name} is up` : `${name} polls fail: ${s.error ?? 'unknown error'}`,
      source: null,
    });
  }
  return out;
};
