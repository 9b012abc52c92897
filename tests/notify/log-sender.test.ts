import assert from 'node:assert/strict';
import { it } from 'node:test';
import { logSender } from '../../src/notify/log-sender';
import { captureLogger } from '../helpers/capture-logger';
import { notification } from '../helpers/notifications';

it('logSender writes each notification as one warn line "alert" and always succeeds', async () => {
  const { logger, lines } = captureLogger();
  const n = notification({ notes: ['test notification'] });
  const result = await logSender(logger)(n, { droppedSinceLastDelivery: 2, signal: new AbortController().signal });
  assert.deepEqual(result, { ok: true });
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.equal(line.level, 40);
  assert.equal(line.msg, 'alert');
  assert.deepEqual(line.notification, n);
  assert.equal(line.droppedSinceLastDelivery, 2);
});
