import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/log';
import { StateStore } from '../../src/state';

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-state-'));
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', secrets: [], write: (l) => lines.push(JSON.parse(l)) });
  return { file: path.join(dir, 'nested', 'state.json'), lines, logger };
}

test('sections survive a restart; the write is atomic and leaves no temp file', async () => {
  const { file, logger } = setup();
  const a = StateStore.load(file, logger);
  a.set('streams', { q: '1-0' });
  a.set('alerts', [{ alertname: 'X' }]);
  await a.flush();
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['state.json']);
  const b = StateStore.load(file, logger);
  assert.deepEqual(b.get('streams'), { q: '1-0' });
  assert.deepEqual(b.get('alerts'), [{ alertname: 'X' }]);
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
});

test('a corrupt file starts fresh with one warning; a missing one silently', () => {
  const { file, lines, logger } = setup();
  assert.equal(StateStore.load(file, logger).get('streams'), undefined);
  assert.equal(lines.length, 0);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '{"streams": {"q": "1-');
  assert.equal(StateStore.load(file, logger).get('streams'), undefined);
  assert.deepEqual(lines.map((l) => l.msg), ['state file unreadable or corrupt; starting fresh']);
});

test('concurrent flushes serialise and the last value wins', async () => {
  const { file, logger } = setup();
  const s = StateStore.load(file, logger);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    s.set('n', i);
    writes.push(s.flush());
  }
  await Promise.all(writes);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).n, 19);
});
