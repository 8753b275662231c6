// Durations as the config file writes them: a number of seconds, or "250ms", "30s", "5m", "1h".

export const DURATION_TEXT = /^\d+(\.\d+)?(ms|s|m|h)$/;

export function durationMs(v: number | string): number {
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new Error(`"${v}" is not a duration`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
