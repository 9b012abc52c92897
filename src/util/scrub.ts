/** Replaces secret values in text — the last line of defence for logs, /health, metrics and Slack. */

export const REDACTED = '[redacted]';

export function makeScrubber(secrets: readonly string[]): (text: string) => string {
  // Also match each secret as it appears inside a JSON string (quotes and backslashes escaped).
  const needles = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  };
}
