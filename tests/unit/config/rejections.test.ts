// Every config rejection has a fixture (tests/fixtures/config/invalid-*.yml) whose `# expect:` lines are
// the exact problem lines vigil must print. Error messages are an interface.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load';

const dir = path.join(__dirname, '..', '..', 'fixtures', 'config');
const fixtures = fs.readdirSync(dir).filter((f) => f.startsWith('invalid-') && f.endsWith('.yml'));

test('there are rejection fixtures', () => {
  assert.ok(fixtures.length >= 10, `only ${fixtures.length} fixtures`);
});

for (const name of fixtures) {
  test(`rejects ${name} with its exact messages`, () => {
    const file = path.join(dir, name);
    const expected = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('# expect: '))
      .map((l) => l.slice('# expect: '.length));
    assert.ok(expected.length > 0, 'fixture has no # expect: line');
    const result = loadConfig({ file, env: {} });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual([...result.problems].sort(), [...expected].sort());
  });
}

test('an explicitly named config file that does not exist is an error, not the default', () => {
  const result = loadConfig({ file: '/nonexistent/vigil.yml', env: {} });
  assert.deepEqual(result, { ok: false, problems: ['/nonexistent/vigil.yml: file not found'] });
});

test('$VIGIL_CONFIG naming a missing file is an error too', () => {
  const result = loadConfig({ env: { VIGIL_CONFIG: '/nonexistent/from-env.yml' } });
  assert.deepEqual(result, { ok: false, problems: ['/nonexistent/from-env.yml: file not found'] });
});
