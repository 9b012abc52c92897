/** Checks a PromQL expression against the metric contract. */
import { ALLOWED_METRICS, TARGET_LABELS, type ContractMetric } from './contract-metrics';
import { scanPromQL } from './metric-names';

/** What is wrong with an expression against the contract: unknown names, labels, label values. */
export function contractProblems(expr: string): string[] {
  const problems: string[] = [];
  const allLabels = new Set([
    ...TARGET_LABELS,
    ...Object.values(ALLOWED_METRICS).flatMap((m: ContractMetric) => Object.keys(m.labels)),
  ]);
  const scan = scanPromQL(expr);
  for (const { metric, matchers } of scan.selectors) {
    const contract = ALLOWED_METRICS[metric];
    if (!contract) {
      problems.push(`metric ${metric} is not in the contract`);
      continue;
    }
    for (const { label, op, value } of matchers) {
      if (!TARGET_LABELS.includes(label) && !(label in contract.labels)) {
        problems.push(`${metric} has no label ${label}`);
        continue;
      }
      const allowed = contract.labels[label];
      if (!allowed || value.includes('$')) continue;
      const values = op === '=' || op === '!=' ? [value] : /^[A-Za-z0-9_|-]+$/.test(value) ? value.split('|') : [];
      for (const v of values) if (!allowed.includes(v)) problems.push(`${metric}{${label}} has no value "${v}"`);
    }
  }
  for (const label of scan.groupingLabels) if (!allLabels.has(label)) problems.push(`no metric has a label ${label}`);
  return problems;
}
