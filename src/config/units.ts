/** Parsing of the human units the config file uses: durations (`300ms`, `5s`, `5m`, `1h`, `1d`) and sizes (`500MB`, `1GiB`). */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS_BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4,
};

export const DURATION_HINT = 'use 300ms, 5s, 5m, 1h, 1d';
export const SIZE_HINT = 'use 500MB, 1GiB';

/** Milliseconds for a duration string, or null when it is not one. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * DURATION_UNITS_MS[m[2]!]!);
}

/** Bytes for a size string, or null when it is not one. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)$/i.exec(text.trim());
  if (!m) return null;
  const unit = SIZE_UNITS_BYTES[m[2]!.toUpperCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** "1h 2m 5s" style text for a duration in ms, for humans (logs, Slack, the CLI). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.slice(0, 2).join(' ');
}
