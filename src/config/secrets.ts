/** Which config values are secrets, and how to show a URL without its password. */
import type { ParsedConfig } from './schema';

/** Secret strings to scrub from every output: tokens, webhook URLs, and URL passwords. */
export function collectSecrets(data: ParsedConfig): string[] {
  const secrets = [data.listen.token, data.alerts.slack.webhookUrl];
  for (const url of [data.redis.url, data.postgres.url, data.postgres.remediationUrl]) {
    const password = urlPassword(url);
    if (password) secrets.push(password, encodeURIComponent(password));
  }
  // Very short values would scrub ordinary text ("a" in every word); such a secret is not one anyway.
  return [...new Set(secrets.filter((s) => s.length >= 4))];
}

function urlPassword(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : null;
  } catch {
    return null;
  }
}

/** The URL with its password (and userinfo) replaced, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}
