/**
 * The console Slack stand-in: a local webhook (the tests' stand-in server) whose messages are printed as
 * they arrive, rendered from the Block Kit vigil sends into plain readable text — so the demo shows
 * exactly what the on-call channel would read, without a Slack workspace.
 */
import { startSlackStandin, type SlackStandin } from '../tests/helpers/slack-standin';

export interface SlackMessage {
  n: number;
  at: number;
  /** The message as a reader sees it, one string per line. */
  lines: string[];
}

export interface SlackConsole {
  url: string;
  messages: SlackMessage[];
  close(): Promise<void>;
}

const EMOJI: Record<string, string> = {
  ':red_circle:': '🔴',
  ':warning:': '⚠️ ',
  ':white_check_mark:': '✅',
  ':information_source:': 'ℹ️ ',
};

/** Slack mrkdwn → terminal text: dates in local time, emoji, no bold markers, entities unescaped. */
export function renderMrkdwn(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]+)>/g, (_, iso: string) => new Date(iso).toTimeString().slice(0, 8))
    .replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code)
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function render(body: unknown): string[] {
  const b = body as { text?: unknown; blocks?: Array<{ text?: { text?: unknown } }> } | null;
  const sections = (b?.blocks ?? []).map((block) => block.text?.text).filter((t): t is string => typeof t === 'string');
  const text = sections.length > 0 ? sections.join('\n') : typeof b?.text === 'string' ? b.text : JSON.stringify(body);
  return renderMrkdwn(text).split('\n');
}

/** Starts the stand-in; `onMessage` is called once per message, in order of arrival. */
export async function startSlackConsole(onMessage: (m: SlackMessage) => void): Promise<SlackConsole> {
  const standin: SlackStandin = await startSlackStandin();
  const messages: SlackMessage[] = [];
  // The stand-in records requests; turn each new one into a printed message (a short poll keeps the
  // shared test helper unchanged).
  const timer = setInterval(() => {
    while (messages.length < standin.requests.length) {
      const req = standin.requests[messages.length]!;
      const m: SlackMessage = { n: messages.length + 1, at: req.at, lines: render(req.body) };
      messages.push(m);
      onMessage(m);
    }
  }, 50);
  timer.unref();
  return {
    url: standin.url,
    messages,
    async close() {
      clearInterval(timer);
      await standin.close();
    },
  };
}
