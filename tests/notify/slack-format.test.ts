import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../src/config/units';
import { cutText, formatSlack, MAX_BLOCKS, MAX_SECTION_CHARS } from '../../src/notify/slack-format';
import { alert, notification, T0 } from '../helpers/notifications';

type Section = { type: string; text: { type: string; text: string } };
const plain = { mention: '', droppedSinceLastDelivery: 0 };

function sectionTexts(blocks: unknown[]): string[] {
  return (blocks as Section[]).map((b) => {
    assert.equal(b.type, 'section');
    assert.equal(b.text.type, 'mrkdwn');
    return b.text.text;
  });
}

/** Every `<...>` left in the output must be one of our own date tokens (or the configured mention). */
function foreignControlSequences(text: string, mention = ''): string[] {
  return (text.match(/<[^>]*>/g) ?? []).filter((m) => !m.startsWith('<!date^') && m !== mention);
}

describe('formatSlack', () => {
  it('opens with the counts, then one section per alert with what happened and what was done', () => {
    const n = notification({
      alerts: [
        alert(),
        alert({ alertname: 'QueueBacklog', subject: 'emails', severity: 'warning', summary: '5,200 waiting > 5,000' }),
        alert({ alertname: 'Pm2AppDown', subject: 'api', status: 'resolved', since: T0, resolvedAt: T0 + 725_000, actions: [] }),
      ],
    });
    const { text, blocks } = formatSlack(n, plain);
    const [header, first, second, third] = sectionTexts(blocks);
    assert.equal(header, '*2 firing, 1 resolved*');
    assert.ok(text.startsWith('2 firing, 1 resolved\n'), text);
    assert.match(first ?? '', /^:red_circle: \*QueueNoConsumer\* · avatar-generation — critical\n/);
    assert.match(first ?? '', /firing since <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-11-01T09:00:00\.000Z> \(1m\)/);
    assert.match(first ?? '', /\n12 waiting, no worker; avatar-generator-worker: not in PM2\n/);
    assert.match(first ?? '', /\n• started avatar-generator-worker \(attempt 1\/3\)$/);
    assert.match(second ?? '', /^:warning: \*QueueBacklog\* · emails — warning\n/);
    assert.match(third ?? '', /^:white_check_mark: \*Pm2AppDown\* · api — resolved \(critical\)\n/);
    assert.match(third ?? '', /lasted 12m 5s/);
    assert.equal(blocks.length, 4);
  });

  it('puts firing before resolved and critical before warning', () => {
    const n = notification({
      alerts: [
        alert({ alertname: 'A', status: 'resolved', resolvedAt: T0 + 1000 }),
        alert({ alertname: 'B', severity: 'info' }),
        alert({ alertname: 'C', severity: 'critical' }),
      ],
    });
    const names = sectionTexts(formatSlack(n, plain).blocks).slice(1).map((t) => /\*(\w+)\*/.exec(t)?.[1]);
    assert.deepEqual(names, ['C', 'B', 'A']);
  });

  it('escapes data so it can neither mention nor link', () => {
    const n = notification({
      alerts: [
        alert({
          alertname: 'Check<!channel>',
          subject: '<!channel>',
          summary: 'error: see <https://evil.example|click here> & <@U0123>',
          actions: ['restarted <!everyone>'],
        }),
      ],
      notes: ['<!here> refunded 3 & more', 'link <https://x|y>'],
    });
    const { text, blocks } = formatSlack(n, { mention: '<!here>', droppedSinceLastDelivery: 0 });
    const all = [text, ...sectionTexts(blocks)].join('\n');
    assert.deepEqual(foreignControlSequences(all, '<!here>'), []);
    assert.ok(all.includes('&lt;!channel&gt;'));
    assert.ok(all.includes('&lt;https://evil.example|click here&gt; &amp; &lt;@U0123&gt;'));
    assert.ok(all.includes('&lt;!here&gt; refunded 3 &amp; more'));
    assert.ok(all.includes('link &lt;https://x|y&gt;'));
    // The configured mention is the only real one, and it comes from config, not data.
    assert.equal(all.split('<!here>').length - 1, 2); // header section + text fallback
  });

  it('cuts every section and the fallback at 3,000 characters without breaking an entity or a token', () => {
    const long = 'x'.repeat(5000);
    const n = notification({
      alerts: [
        alert({ alertname: long, subject: long }),
        alert({ summary: long, actions: [long, long, long] }),
        alert({ subject: '&'.repeat(5000) }),
      ],
      notes: [long, '<'.repeat(5000)],
    });
    const { text, blocks } = formatSlack(n, plain);
    for (const t of [text, ...sectionTexts(blocks)]) {
      assert.ok(t.length <= MAX_SECTION_CHARS, `length ${t.length}`);
      assert.doesNotMatch(t, /&[a-z]{0,3}…$/, 'cut inside an entity');
      assert.deepEqual(foreignControlSequences(t), []);
    }
    const texts = sectionTexts(blocks);
    assert.ok(texts[1]?.endsWith('…'));
    // A long summary is capped so the "since" line and the actions still fit.
    assert.match(texts[2] ?? '', /firing since/);
    assert.match(texts[2] ?? '', /\n• x+…/);
  });

  it('cuts at 50 blocks and says how many more there were', () => {
    const alerts = Array.from({ length: 60 }, (_, i) => alert({ subject: `queue-${i}` }));
    const { blocks } = formatSlack(notification({ alerts }), plain);
    const texts = sectionTexts(blocks);
    assert.equal(blocks.length, MAX_BLOCKS);
    assert.equal(texts[0], '*60 firing*');
    assert.equal(texts[49], '…and 12 more');
    assert.match(texts[48] ?? '', /queue-47/);
  });

  it('uses all 50 blocks without a "more" line when everything fits', () => {
    const alerts = Array.from({ length: 49 }, (_, i) => alert({ subject: `queue-${i}` }));
    const texts = sectionTexts(formatSlack(notification({ alerts }), plain).blocks);
    assert.equal(texts.length, 50);
    assert.match(texts[49] ?? '', /queue-48/);
  });

  it('prepends the mention only when a critical alert fires', () => {
    const opts = { mention: '<!here>', droppedSinceLastDelivery: 0 };
    const cases: [string, ReturnType<typeof alert>[], boolean][] = [
      ['critical firing', [alert({ severity: 'warning' }), alert({ severity: 'critical' })], true],
      ['warning firing', [alert({ severity: 'warning' })], false],
      ['critical resolved', [alert({ status: 'resolved', resolvedAt: T0 + 1 })], false],
      ['notes only', [], false],
    ];
    for (const [name, alerts, pages] of cases) {
      const { text, blocks } = formatSlack(notification({ alerts, notes: ['test notification'] }), opts);
      assert.equal(text.startsWith('<!here> '), pages, name);
      assert.equal(sectionTexts(blocks)[0]?.startsWith('<!here> '), pages, name);
      assert.equal(text.includes('<!here>'), pages, name);
    }
    const none = formatSlack(notification(), plain);
    assert.equal(sectionTexts(none.blocks)[0], '*1 firing*');
  });

  it('announces messages dropped since the last delivery', () => {
    const { text, blocks } = formatSlack(notification(), { mention: '', droppedSinceLastDelivery: 3 });
    assert.equal(sectionTexts(blocks)[1], ':warning: 3 earlier messages were dropped (outbox full)');
    assert.match(text, /3 earlier messages were dropped \(outbox full\)/);
    const one = formatSlack(notification(), { mention: '', droppedSinceLastDelivery: 1 });
    assert.match(one.text, /1 earlier message was dropped \(outbox full\)/);
    assert.doesNotMatch(JSON.stringify(formatSlack(notification(), plain)), /dropped/);
  });

  it('shows notes as sections, and in the fallback when there are no alerts', () => {
    const { text, blocks } = formatSlack(notification({ alerts: [], notes: ['test notification'] }), plain);
    assert.deepEqual(sectionTexts(blocks), ['*vigil*', 'test notification']);
    assert.equal(text, 'vigil\ntest notification');
  });
});

describe('formatDuration', () => {
  it('gives the two most significant units', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45_999), '45s');
    assert.equal(formatDuration(725_000), '12m 5s');
    assert.equal(formatDuration(3 * 3600_000 + 59_000), '3h');
    assert.equal(formatDuration(2 * 86400_000 + 4 * 3600_000 + 7_000), '2d 4h');
    assert.equal(formatDuration(-5), '0s');
  });
});

describe('cutText', () => {
  it('leaves short text alone and never splits a surrogate pair', () => {
    assert.equal(cutText('abc', 3), 'abc');
    assert.equal(cutText('ab🔥', 4), 'ab🔥');
    assert.equal(cutText('a🔥🔥', 3), 'a…');
  });
});
