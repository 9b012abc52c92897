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

/** Human text for a duration: its two most significant units ("12m 5s", "3h", "2d 4h"); "0s" below a second. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [];
  for (const [size, unit] of [[86_400, 'd'], [3_600, 'h'], [60, 'm'], [1, 's']] as const) {
    parts.push([Math.floor(s / size), unit]);
    s %= size;
  }
  const first = parts.findIndex(([v]) => v > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([v], i) => i === 0 || v > 0)
    .map(([v, u]) => `${v}${u}`)
    .join(' ');
}
