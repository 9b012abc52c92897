// The vigil_check_* and vigil_remediation_rows_total exposition of a known state: exact lines, and
// `promtool check metrics` clean. Checks vanish while Postgres is down (unknown, not 0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/http/metrics';
import type { Snapshot } from '../../src/snapshot';
import { promtool } from '../helpers/promtool';
import { testConfig, testRuntime } from '../helpers/runtime';

const NOW = 1_795_953_600_000;
const config = testConfig({
  pm2: { enabled: false },
  postgres: {
    url: 'postgres://vigil@db/app',
    checks: {
      stuck: { sql: 'SELECT id, created_at FROM t', remediate: { mode: 'apply', statements: ["UPDATE t SET s = 'f' WHERE id = :id"] } },
      'billing:refunds.v2': { sql: 'SELECT count(*) AS value FROM t' },
      broken: { sql: 'SELECT id FROM nowhere' },
    },
  },
});

const snapshot: Snapshot = {
  time: NOW,
  sources: { postgres: { up: true, durationMs: 40, lastSuccess: NOW, error: null, errorsTotal: 0 } },
  pm2: null,
  queues: null,
  checks: {
    checks: {
      stuck: { name: 'stuck', up: true, error: null, rows: 37, oldestSeconds: 5400.5, durationMs: 12, sampleIds: ['a', 'b'], ranAt: NOW },
      'billing:refunds.v2': { name: 'billing:refunds.v2', up: true, error: null, rows: 0.25, oldestSeconds: null, durationMs: 3, sampleIds: [], ranAt: NOW },
      broken: { name: 'broken', up: false, error: 'relation "nowhere" does not exist (SQLSTATE 42P01)', rows: 0, oldestSeconds: null, durationMs: 2, sampleIds: [], ranAt: NOW },
    },
  },
};

async function scrape(s: Snapshot | null): Promise<string> {
  const runtime = { ...testRuntime(config, s), remediation: () => ({ stuck: { applied: 35, skipped: 2, failed: 1, dry_run: 0 } }) };
  const { body } = await createMetrics(runtime).render(undefined);
  return body;
}

const samples = (body: string, prefix: RegExp) => body.split('\n').filter((l) => prefix.test(l));

test('check and remediation metrics of a known state', async () => {
  const body = await scrape(snapshot);
  assert.deepEqual(samples(body, /^vigil_(check|remediation)_/), [
    'vigil_check_up{check="stuck"} 1',
    'vigil_check_up{check="billing:refunds.v2"} 1',
    'vigil_check_up{check="broken"} 0',
    'vigil_check_rows{check="stuck"} 37',
    'vigil_check_rows{check="billing:refunds.v2"} 0.25',
    'vigil_check_oldest_seconds{check="stuck"} 5400.5',
    'vigil_check_duration_seconds{check="stuck"} 0.012',
    'vigil_check_duration_seconds{check="billing:refunds.v2"} 0.003',
    'vigil_check_duration_seconds{check="broken"} 0.002',
    'vigil_remediation_rows_total{check="stuck",result="applied"} 35',
    'vigil_remediation_rows_total{check="stuck",result="skipped"} 2',
    'vigil_remediation_rows_total{check="stuck",result="failed"} 1',
    'vigil_remediation_rows_total{check="stuck",result="dry_run"} 0',
  ]);
  const lint = promtool(['check', 'metrics'], body.split('\n').filter((l) => /^(# (HELP|TYPE) )?vigil_/.test(l)).join('\n') + '\n');
  assert.equal(lint.code, 0, lint.output);
});

test('while Postgres is down there are no check series, but the remediation counters stay', async () => {
  const body = await scrape({ ...snapshot, sources: { postgres: { up: false, durationMs: 3000, lastSuccess: NOW - 60_000, error: 'connect ECONNREFUSED', errorsTotal: 1 } }, checks: null });
  assert.deepEqual(samples(body, /^vigil_check_/), []);
  assert.equal(samples(body, /^vigil_remediation_rows_total/).length, 4);
});
