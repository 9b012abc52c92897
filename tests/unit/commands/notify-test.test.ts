// `vigil notify-test` against the Slack stand-in: delivered → 0; refused → 1 with the reason and no
// webhook URL; no webhook → one log line, 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notifyTestCommand } from '../../../src/commands/notify-test';
import { startSlackStandin } from '../../helpers/slack-standin';
import { captureLogger } from '../../helpers/capture-logger';
import { config } from '../alerts/support';

async function run(webhookUrl: string): Promise<{ code: number; out: string; lines: string[] }> {
  const { logger, lines } = captureLogger();
  let out = '';
  const code = await notifyTestCommand({ config: config({ alerts: { slack: { webhookUrl } } }), logger, write: (t) => (out += t) });
  return { code, out, lines };
}

test('delivered: exit 0, one request with the test note', async () => {
  const slack = await startSlackStandin();
  try {
    const r = await run(slack.url);
    assert.deepEqual([r.code, r.out], [0, 'delivered via slack\n']);
    assert.equal(slack.requests.length, 1);
    assert.match((slack.requests[0]!.body as { text: string }).text, /test notification from vigil/);
  } finally {
    await slack.close();
  }
});

test('refused by the webhook: exit 1 with the status, the URL never shown', async () => {
  const slack = await startSlackStandin([{ status: 404 }]);
  try {
    const r = await run(slack.url);
    assert.equal(r.code, 1);
    assert.match(r.out, /^not delivered via slack: rejected, HTTP 404, no_service\n$/);
    assert.ok(!r.out.includes(new URL(slack.url).pathname));
  } finally {
    await slack.close();
  }
});

test('no webhook: the log channel, exit 0', async () => {
  const r = await run('');
  assert.deepEqual([r.code, r.out], [0, 'delivered via log\n']);
  assert.ok(r.lines.some((l) => l.includes('test notification from vigil')));
});
