// /metrics of a known state is pinned by a golden file (vigil_* lines; process_/nodejs_ vary by machine)
// and must pass `promtool check metrics`. Regenerate on purpose with UPDATE_GOLDEN=1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createMetrics } from '../../src/http/metrics';
import { buildServer } from '../../src/http/server';
import { createLogger } from '../../src/log';
import { fullRuntime } from '../fixtures/known-runtime';
import { KNOWN_CONFIG, KNOWN_SNAPSHOT } from '../fixtures/snapshot';
import { promtool } from '../helpers/promtool';
import { testRuntime } from '../helpers/runtime';

const GOLDEN = path.join(__dirname, '..', 'fixtures', 'golden', 'metrics.prom');
const silent = createLogger({ level: 'silent', secrets: [] });

function vigilLines(body: string): string {
  return `${body
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?vigil_/.test(l))
    .join('\n')}\n`;
}

async function scrape(accept?: string) {
  const runtime = fullRuntime();
  const app = buildServer({ runtime, metrics: createMetrics(runtime), logger: silent });
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: accept ? { accept } : {} });
  await app.close();
  return res;
}

test('/metrics of a known state matches the golden file', async () => {
  const res = await scrape();
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const actual = vigilLines(res.body);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, actual);
  assert.equal(actual, fs.readFileSync(GOLDEN, 'utf8'));
});

// prom-client names three of its default gauges *_total; promtool flags exactly those. Everything of vigil's must be clean.
const PROM_CLIENT_LINT = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
];

test('/metrics passes promtool check metrics, and includes the default process metrics unprefixed', async () => {
  const res = await scrape();
  const own = promtool(['check', 'metrics'], vigilLines(res.body));
  assert.equal(own.code, 0, own.output);
  const all = promtool(['check', 'metrics'], res.body);
  const findings = all.output.split('\n').filter(Boolean);
  assert.deepEqual(findings.filter((f) => !PROM_CLIENT_LINT.includes(f)), [], all.output);
  assert.match(res.body, /^process_resident_memory_bytes /m);
  assert.match(res.body, /^nodejs_eventloop_lag_seconds /m);
});

test('OpenMetrics when the scraper asks for it', async () => {
  const res = await scrape('application/openmetrics-text; version=1.0.0');
  assert.match(String(res.headers['content-type']), /^application\/openmetrics-text/);
  assert.match(res.body, /# EOF\n$/);
  assert.match(res.body, /^vigil_pm2_app_up\{app="avatar-generator-worker"\} 0$/m);
});

test('an expected app missing from PM2 is exported with up 0; series of a source that is down vanish', async () => {
  const runtime = testRuntime(KNOWN_CONFIG, {
    ...KNOWN_SNAPSHOT,
    sources: { pm2: { up: false, durationMs: 3000, lastSuccess: KNOWN_SNAPSHOT.time - 60_000, error: 'pm2 getMonitorData timed out after 3000ms', errorsTotal: 4 } },
    pm2: null,
  });
  const body = (await createMetrics(runtime).render(undefined)).body;
  assert.match(body, /^vigil_source_up\{source="pm2"\} 0$/m);
  assert.match(body, /^vigil_source_poll_errors_total\{source="pm2"\} 4$/m);
  assert.doesNotMatch(body, /^vigil_pm2_process_memory_bytes\{/m, 'no stale per-process series while PM2 is down');
  assert.doesNotMatch(body, /^vigil_pm2_app_up\{/m, 'unknown, not 0, while PM2 is down');
  assert.match(body, /^vigil_pm2_app_expected_instances\{app="avatar-generator-worker"\} 1$/m, 'expectations stay');
});

test('rendered text is reused for one snapshot only: a new poll shows at once', async () => {
  let snapshot = KNOWN_SNAPSHOT;
  const runtime = { ...testRuntime(KNOWN_CONFIG, KNOWN_SNAPSHOT), snapshot: () => snapshot };
  const metrics = createMetrics(runtime);
  const [a, b] = await Promise.all([metrics.render(undefined), metrics.render(undefined)]);
  assert.match(a.body, /^vigil_source_poll_errors_total\{source="pm2"\} 3$/m);
  assert.equal(a.body.split('\n').filter((l) => l.startsWith('vigil_')).join('\n'), b.body.split('\n').filter((l) => l.startsWith('vigil_')).join('\n'));
  snapshot = { ...KNOWN_SNAPSHOT, sources: { pm2: { ...KNOWN_SNAPSHOT.sources.pm2!, errorsTotal: 9 } } };
  assert.match((await metrics.render(undefined)).body, /^vigil_source_poll_errors_total\{source="pm2"\} 9$/m);
});
