/**
 * Turns one Notification into a Slack Block Kit payload (contracts.md §6).
 *
 * Every string that reaches Slack from data is escaped, so a queue called `<!channel>` can neither ping
 * anybody nor forge a link; the only unescaped markup is ours (bold, emoji, date tokens) and the
 * operator's configured `mention`.
 */
import type { AlertEvent, Notification, Severity } from './types';
import { formatDuration } from '../config/units';

/** Slack's per-section text limit. */
export const MAX_SECTION_CHARS = 3000;
/** Slack's per-message block limit. */
export const MAX_BLOCKS = 50;
// Per-field caps keep one huge error text from pushing the "since" line and the actions out of a section.
const MAX_SUMMARY_CHARS = 1000;
const MAX_ACTION_CHARS = 300;
const MAX_FALLBACK_ALERTS = 10;

export interface FormatOptions {
  /** Operator config, e.g. `<!here>`; prepended unescaped only when a critical alert fires. */
  mention: string;
  /** Messages the outbox dropped since the last delivery; announced when > 0. */
  droppedSinceLastDelivery: number;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':warning:',
  info: ':information_source:',
};

/** Escapes the three characters Slack treats as control characters in text. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cuts escaped text to `max` characters, ending in "…". Never splits an entity (`&amp;`), one of our
 * `<...>` tokens or a surrogate pair: data cannot contain a raw `&` or `<`, so any open one is ours.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp > cut.lastIndexOf(';')) cut = cut.slice(0, amp);
  const lt = cut.lastIndexOf('<');
  if (lt > cut.lastIndexOf('>')) cut = cut.slice(0, lt);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}


/** Slack renders this in each reader's time zone; the ISO fallback is for clients that cannot. */
function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

function countsLine(alerts: AlertEvent[]): string {
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const resolved = alerts.length - firing;
  const parts: string[] = [];
  if (firing > 0) parts.push(`${firing} firing`);
  if (resolved > 0) parts.push(`${resolved} resolved`);
  return parts.length > 0 ? parts.join(', ') : 'vigil';
}

function section(text: string): { type: 'section'; text: { type: 'mrkdwn'; text: string } } {
  return { type: 'section', text: { type: 'mrkdwn', text: cutText(text, MAX_SECTION_CHARS) } };
}

function alertTitle(a: AlertEvent): string {
  const emoji = a.status === 'firing' ? SEVERITY_EMOJI[a.severity] : ':white_check_mark:';
  const state = a.status === 'firing' ? a.severity : `resolved (${a.severity})`;
  return `${emoji} *${escapeSlack(a.alertname)}* · ${escapeSlack(a.subject)} — ${state}`;
}

function alertText(a: AlertEvent, createdAt: number): string {
  const lines = [alertTitle(a)];
  if (a.status === 'firing') {
    lines.push(`firing since ${slackDate(a.since)} (${formatDuration(createdAt - a.since)})`);
  } else {
    const end = a.resolvedAt ?? createdAt;
    lines.push(`since ${slackDate(a.since)}, lasted ${formatDuration(end - a.since)}`);
  }
  if (a.summary !== '') lines.push(cutText(escapeSlack(a.summary), MAX_SUMMARY_CHARS));
  for (const action of a.actions) lines.push(`• ${cutText(escapeSlack(action), MAX_ACTION_CHARS)}`);
  return lines.join('\n');
}

/** Firing before resolved, critical before info, so the 50-block cut drops the least urgent. */
function byUrgency(a: AlertEvent, b: AlertEvent): number {
  if (a.status !== b.status) return a.status === 'firing' ? -1 : 1;
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
}

function droppedLine(n: number): string {
  return n === 1
    ? ':warning: 1 earlier message was dropped (outbox full)'
    : `:warning: ${n} earlier messages were dropped (outbox full)`;
}

/** Formats one notification as a Slack message: Block Kit blocks plus a plain `text` fallback. */
export function formatSlack(n: Notification, opts: FormatOptions): { text: string; blocks: unknown[] } {
  const alerts = [...n.alerts].sort(byUrgency);
  const pages = opts.mention !== '' && alerts.some((a) => a.status === 'firing' && a.severity === 'critical');
  const prefix = pages ? `${opts.mention} ` : '';
  const counts = countsLine(alerts);

  const body: string[] = [];
  if (opts.droppedSinceLastDelivery > 0) body.push(droppedLine(opts.droppedSinceLastDelivery));
  for (const a of alerts) body.push(alertText(a, n.createdAt));
  for (const note of n.notes) body.push(escapeSlack(note));

  // The header takes one block; if the rest does not fit, the last block says how much was left out.
  const room = MAX_BLOCKS - 1;
  const shown = body.length > room ? body.slice(0, room - 1) : body;
  const blocks: unknown[] = [section(`${prefix}*${counts}*`), ...shown.map(section)];
  if (shown.length < body.length) blocks.push(section(`…and ${body.length - shown.length} more`));

  const fallback = [`${prefix}${counts}`];
  if (opts.droppedSinceLastDelivery > 0) fallback.push(droppedLine(opts.droppedSinceLastDelivery));
  for (const a of alerts.slice(0, MAX_FALLBACK_ALERTS)) {
    fallback.push(`${a.status === 'firing' ? a.severity : 'resolved'}: ${escapeSlack(a.alertname)} ${escapeSlack(a.subject)}`);
  }
  if (alerts.length > MAX_FALLBACK_ALERTS) fallback.push(`…and ${alerts.length - MAX_FALLBACK_ALERTS} more`);
  if (alerts.length === 0) fallback.push(...n.notes.slice(0, MAX_FALLBACK_ALERTS).map(escapeSlack));
  return { text: cutText(fallback.join('\n'), MAX_SECTION_CHARS), blocks };
}
