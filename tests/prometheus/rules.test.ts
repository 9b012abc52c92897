import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CATALOG_ALERTS, CONTRACT_METRICS } from './contract-metrics';
import { contractProblems } from './contract-check';
import { dashboardExprs, isObject, panelsOf, templateVariables, variableQuery, type Json, type JsonObject } from './dashboard';
import { metricNamesIn, variableQueryExpr } from './metric-names';

const ROOT = resolve(__dirname, '..', '..');
const RULES = 'alerts/vigil.rules.yml';
const RULE_TESTS = 'alerts/vigil.rules.test.yml';
const DASHBOARD = 'grafana/vigil-dashboard.json';
const RUNBOOK = 'README.md';

/** Runs promtool in the repository root; a missing binary fails the test, never skips it. */
function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail('promtool not found: apt-get install prometheus');
  }
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTest {
  alertname: string;
  eval_time: string;
  exp_alerts?: unknown[] | null;
}

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const rules = (): Rule[] =>
  (parse(read(RULES)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = (): JsonObject => JSON.parse(read(DASHBOARD)) as JsonObject;

// ------------------------------------------------------------------------------------------ promtool

test('promtool check rules accepts alerts/vigil.rules.yml', () => {
  const { status, output } = promtool(['check', 'rules', RULES]);
  assert.equal(status, 0, output);
  assert.match(output, /SUCCESS: \d+ rules found/, output);
});

test('promtool test rules passes alerts/vigil.rules.test.yml', () => {
  const { status, output } = promtool(['test', 'rules', RULE_TESTS]);
  assert.equal(status, 0, output);
  assert.match(output, /SUCCESS/, output);
});

// ------------------------------------------------------------------------------------------ rules

test('every rule has for, a severity, a templated summary and a relative runbook reference', () => {
  const all = rules();
  assert.ok(all.length > 0);
  assert.equal(new Set(all.map((r) => r.alert)).size, all.length, 'alert names are unique');
  for (const r of all) {
    assert.match(r.alert, /^[A-Z][A-Za-z0-9]+$/, `${r.alert}: CamelCase name`);
    assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert}: for`);
    assert.ok(['critical', 'warning'].includes(r.labels?.['severity'] ?? ''), `${r.alert}: severity`);
    const summary = r.annotations?.['summary'] ?? '';
    // absent() has no labels to template; every other rule names its subject.
    if (!/^absent\(/.test(r.expr.trim())) assert.match(summary, /\{\{ \$labels\.\w+ \}\}/, `${r.alert}: summary`);
    assert.equal(r.annotations?.['runbook'], `README.md#${r.alert.toLowerCase()}`, `${r.alert}: runbook`);
  }
});

test('every alert of the built-in catalog has a Prometheus rule', () => {
  const names = new Set(rules().map((r) => r.alert));
  for (const alert of CATALOG_ALERTS) assert.ok(names.has(alert), `no rule for ${alert}`);
});

test('every rule has a promtool case where it fires and one where it does not', () => {
  const cases = (parse(read(RULE_TESTS)) as { tests: { alert_rule_test?: RuleTest[] }[] }).tests.flatMap(
    (t) => t.alert_rule_test ?? [],
  );
  for (const { alert } of rules()) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert}: no case where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert}: no case where it does not fire`);
  }
});

test('the README runbook has a heading for every rule and every catalog alert', () => {
  const headings = new Set([...read(RUNBOOK).matchAll(/^### (\S+)\s*$/gm)].map((m) => m[1]));
  for (const alert of new Set([...rules().map((r) => r.alert), ...CATALOG_ALERTS])) {
    assert.ok(headings.has(alert), `README.md: no "### ${alert}"`);
  }
});

test('rules use only contract metrics, labels and label values', () => {
  for (const r of rules()) {
    assert.ok(metricNamesIn(r.expr).length > 0, `${r.alert}: reads no metric`);
    assert.deepEqual(contractProblems(r.expr), [], `${r.alert}: ${r.expr}`);
  }
});

// ------------------------------------------------------------------------------------------ dashboard

test('the dashboard is importable: Prometheus input, every datasource is ${DS_PROMETHEUS}', () => {
  const dash = dashboard();
  const inputs = dash['__inputs'];
  assert.ok(Array.isArray(inputs));
  assert.ok(
    inputs.some((i) => isObject(i) && i['name'] === 'DS_PROMETHEUS' && i['type'] === 'datasource' && i['pluginId'] === 'prometheus'),
    'DS_PROMETHEUS input',
  );
  assert.equal(dash['id'], null);
  assert.equal(typeof dash['uid'], 'string');
  assert.ok(typeof dash['schemaVersion'] === 'number' && dash['schemaVersion'] >= 36 && dash['schemaVersion'] <= 41);
  const refs: Json[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) (k === 'datasource' ? refs.push(x) : walk(x));
  };
  walk(dash);
  assert.ok(refs.length > 0);
  for (const ref of refs) {
    const builtIn = isObject(ref) && ref['type'] === 'grafana' && ref['uid'] === '-- Grafana --';
    const prometheus = isObject(ref) && ref['type'] === 'prometheus' && ref['uid'] === '${DS_PROMETHEUS}';
    assert.ok(builtIn || prometheus, `datasource ${JSON.stringify(ref)}`);
  }
});

test('the dashboard has a row per area and every other panel has a query', () => {
  const panels = panelsOf(dashboard());
  const rows = panels.filter((p) => p['type'] === 'row').map((p) => String(p['title']).toLowerCase());
  for (const area of ['apps', 'queues', 'checks', 'vigil']) assert.ok(rows.some((t) => t.includes(area)), `no row for ${area}`);
  const ids = panels.map((p) => p['id']);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels) {
    const grid = p['gridPos'];
    assert.ok(isObject(grid) && typeof grid['x'] === 'number' && typeof grid['w'] === 'number' && grid['x'] + grid['w'] <= 24, `${String(p['title'])}: gridPos`);
    if (p['type'] === 'row') continue;
    const targets = p['targets'];
    assert.ok(Array.isArray(targets) && targets.length > 0, `${String(p['title'])}: no target`);
    for (const t of targets) assert.ok(isObject(t) && typeof t['expr'] === 'string' && t['expr'].trim(), `${String(p['title'])}: empty expr`);
  }
});

test('the dashboard has multi-select variables queue and app with All', () => {
  const vars = templateVariables(dashboard());
  for (const [name, metric] of [['queue', 'vigil_queue_jobs'], ['app', 'vigil_pm2_app_up']] as const) {
    const v = vars.find((x) => x['name'] === name);
    assert.ok(v, `no variable ${name}`);
    assert.equal(v['multi'], true, `${name}: multi`);
    assert.equal(v['includeAll'], true, `${name}: includeAll`);
    assert.match(variableQuery(v), new RegExp(`^label_values\\(${metric}(\\{[^}]*\\})?, ${name}\\)$`), `${name}: query`);
  }
});

test('dashboard expressions use only contract metrics, labels and label values', () => {
  const exprs = dashboardExprs(dashboard());
  assert.ok(exprs.length > 0);
  for (const { where, expr } of exprs) {
    assert.ok(metricNamesIn(expr).length > 0, `${where}: reads no metric`);
    assert.deepEqual(contractProblems(expr), [], `${where}: ${expr}`);
  }
});

test('the dashboard shows every metric of the contract', () => {
  const used = new Set(dashboardExprs(dashboard()).flatMap(({ expr }) => metricNamesIn(expr)));
  const missing = Object.keys(CONTRACT_METRICS).filter((m) => !used.has(m));
  assert.deepEqual(missing, []);
});

test('dashboard expressions are valid PromQL (promtool check rules on them as recording rules)', () => {
  // Grafana variables become what Grafana would send: a regex for $var, a duration for $__*interval.
  const exprs = dashboardExprs(dashboard()).map(({ where, expr }) => ({
    where,
    expr: expr.replace(/\$__(rate_)?interval/g, '1m').replace(/\$\{?\w+\}?/g, '.*'),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dashboard-'));
  try {
    const file = join(dir, 'dashboard.rules.yml');
    const records = exprs.map((e, n) => ({ record: `vigil_dashboard:expr_${n}`, expr: e.expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: records }] }));
    const { status, output } = promtool(['check', 'rules', file]);
    assert.equal(status, 0, `${output}\n${exprs.map((e, n) => `expr_${n} ${e.where}: ${e.expr}`).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------ the checker itself

test('metricNamesIn finds metric names and skips functions, keywords, labels, strings and durations', () => {
  assert.deepEqual(
    metricNamesIn('sum without (state) (vigil_queue_jobs{state=~"waiting|prioritized"}) > 0 unless vigil_queue_paused == 1'),
    ['vigil_queue_jobs', 'vigil_queue_paused'],
  );
  assert.deepEqual(
    metricNamesIn('time() - vigil_source_last_success_timestamp_seconds > 300 unless on (job, instance, source) (vigil_source_up == 0)'),
    ['vigil_source_last_success_timestamp_seconds', 'vigil_source_up'],
  );
  assert.deepEqual(
    metricNamesIn('sum by (queue) (rate(vigil_queue_jobs_finished_total{queue=~"$queue"}[$__rate_interval])) / 1e9 > bool 0.05'),
    ['vigil_queue_jobs_finished_total'],
  );
  assert.deepEqual(metricNamesIn('absent(up{job=~".*vigil.*"})'), ['up']);
  assert.deepEqual(metricNamesIn('a offset 5m + ignoring (x) group_left (y) b * 0x1f # c'), ['a', 'b']);
  assert.deepEqual(metricNamesIn('label_replace(m, "dst", "$1", "src", "(.*)") + topk(5, n) + Inf'), ['m', 'n']);
  assert.deepEqual(metricNamesIn('count_values("v", m) or max(m) by (app)'), ['m']);
});

test('the contract check reports unknown metrics, labels and label values', () => {
  assert.deepEqual(contractProblems('vigil_queue_waiting > 0'), ['metric vigil_queue_waiting is not in the contract']);
  assert.deepEqual(contractProblems('vigil_queue_jobs{stat="waiting"}'), ['vigil_queue_jobs has no label stat']);
  assert.deepEqual(contractProblems('vigil_queue_jobs{state=~"waiting|waiting-children"}'), [
    'vigil_queue_jobs{state} has no value "waiting-children"',
  ]);
  assert.deepEqual(contractProblems('sum by (queu) (vigil_queue_jobs)'), ['no metric has a label queu']);
  assert.deepEqual(contractProblems('up{job="vigil"} == 0 and on (instance) vigil_build_info'), []);
});

test('variableQueryExpr reads Grafana variable queries', () => {
  assert.equal(variableQueryExpr('label_values(vigil_queue_jobs{instance=~"$instance"}, queue)'), 'vigil_queue_jobs{instance=~"$instance"}');
  assert.equal(variableQueryExpr('label_values(queue)'), '');
  assert.equal(variableQueryExpr('query_result(topk(5, vigil_queue_jobs))'), 'topk(5, vigil_queue_jobs)');
  assert.throws(() => variableQueryExpr('SELECT 1'), /unknown Grafana variable query/);
});
