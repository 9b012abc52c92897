/** The alert catalog (contracts.md section 5) as a table of rules. */
import type { Condition } from '../types';
import { checkFailing, checkRowsAbove } from './checks';
import type { Rule, RuleContext } from './context';
import { pm2AppCrashLooping, pm2AppDown, pm2AppMemoryHigh, pm2AppRestartGaveUp } from './pm2';
import { queueBacklog, queueFailureRate, queueNoConsumer, queueOldestWaiting } from './queues';
import { sourceDown } from './source';

export type { Rule, RuleContext } from './context';

export const RULES: readonly Rule[] = [
  sourceDown,
  pm2AppDown,
  pm2AppCrashLooping,
  pm2AppRestartGaveUp,
  pm2AppMemoryHigh,
  queueNoConsumer,
  queueBacklog,
  queueOldestWaiting,
  queueFailureRate,
  checkRowsAbove,
  checkFailing,
];

/** Every condition the catalog finds in the context. */
export function conditions(ctx: RuleContext, rules: readonly Rule[] = RULES): Condition[] {
  return rules.flatMap((rule) => rule(ctx));
}
