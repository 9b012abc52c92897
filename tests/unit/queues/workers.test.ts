import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countWorkers, workersUnknownReason } from '../../../src/sources/queues-workers';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const line = (id: number, name: string) => `id=${id} addr=127.0.0.1:${40000 + id} laddr=127.0.0.1:6379 fd=8 name=${name} age=1 idle=0 flags=N db=0 cmd=bzpopmin user=default resp=3`;

test('counts unnamed and named workers per queue, ignores QueueEvents, other prefixes and foreign names', () => {
  const list = [
    line(1, ''),
    line(2, `bull:${b64('avatar-generation')}`),
    line(3, `bull:${b64('avatar-generation')}:w:gpu-1`),
    line(4, `bull:${b64('avatar-generation')}:w:gpu-2`),
    line(5, `bull:${b64('avatar-generation')}:qe`),
    line(6, `bull:${b64('emails')}`),
    line(7, `other:${b64('emails')}`),
    line(8, 'bull:not base64!'),
    line(9, 'bull:YWJj'), // "abc": valid
    line(10, 'bull:YWJ'), // not canonical base64 of anything
    line(11, 'vigil'),
  ].join('\n');
  const counts = countWorkers(`${list}\n`, 'bull');
  assert.deepEqual(Object.fromEntries(counts), { 'avatar-generation': 3, emails: 1, abc: 1 });
});

test('queue names with ":" and non-ASCII, and prefixes with ":"', () => {
  const list = [line(1, `my:app:${b64('a:b:c')}:w:x`), line(2, `my:app:${b64('prévisions')}`), line(3, `my:${b64('a:b:c')}`)].join('\n');
  assert.deepEqual(Object.fromEntries(countWorkers(list, 'my:app')), { 'a:b:c': 1, prévisions: 1 });
});

test('an empty list means 0 workers everywhere (known), not unknown', () => {
  assert.equal(countWorkers('', 'bull').size, 0);
});

test('CLIENT refused or missing makes workers unknown; other errors fail the poll', () => {
  assert.match(workersUnknownReason(new Error("NOPERM this user has no permissions to run the 'client|list' command"))!, /^CLIENT LIST refused: NOPERM/);
  assert.match(workersUnknownReason(new Error("ERR unknown command 'client', with args beginning with: 'LIST'"))!, /^CLIENT LIST not available: /);
  assert.equal(workersUnknownReason(new Error('Command timed out')), null);
  assert.equal(workersUnknownReason(new Error('Connection is closed.')), null);
});
