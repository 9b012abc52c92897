// alerts/ and grafana/ may only use names that vigil really exports: every metric name they read must be
// in the golden /metrics file (rendered from a state where every family has samples), or be one of the
// standard names they are allowed (`up`, prom-client's default process metrics).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { STANDARD_METRICS } from './contract-metrics';
import { dashboardExprs, templateVariables, variableQuery, type JsonObject } from './dashboard';
import { metricNamesIn, variableQueryExpr } from './metric-names';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Sample names in the golden file: every series name, counters with their `_total`. */
function goldenNames(): Set<string> {
  return new Set(
    read('tests/fixtures/golden/metrics.prom')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.replace(/[{ ].*$/, '')),
  );
}

function usedNames(): Map<string, string> {
  const used = new Map<string, string>();
  const rules = (parse(read('alerts/vigil.rules.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
  for (const r of rules) for (const name of metricNamesIn(r.expr)) used.set(name, `alerts/vigil.rules.yml ${r.alert}`);
  const dashboard = JSON.parse(read('grafana/vigil-dashboard.json')) as JsonObject;
  for (const { where, expr } of dashboardExprs(dashboard)) for (const name of metricNamesIn(expr)) used.set(name, `grafana ${where}`);
  for (const v of templateVariables(dashboard)) {
    const expr = variableQueryExpr(variableQuery(v));
    for (const name of expr ? metricNamesIn(expr) : []) used.set(name, `grafana variable ${String(v.name)}`);
  }
  return used;
}

test('every metric used in alerts/ and grafana/ is in the golden /metrics file', () => {
  const golden = goldenNames();
  assert.ok(golden.size >= 31, `the golden file has only ${golden.size} series names`);
  const used = usedNames();
  assert.ok(used.size >= 20, `only ${used.size} names found in the rules and the dashboard`);
  const missing = [...used].filter(([name]) => !golden.has(name) && !(name in STANDARD_METRICS)).map(([name, where]) => `${name} (${where})`);
  assert.deepEqual(missing, []);
});

test('every vigil family of the golden file is on the dashboard', () => {
  const used = usedNames();
  const unused = [...goldenNames()].filter((name) => !used.has(name) && name !== 'vigil_build_info');
  assert.deepEqual(unused, []);
});
