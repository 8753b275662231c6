// The soak's arithmetic: what the samples of a long run say about growth. Pure, unit-tested.

export interface SoakSample {
  /** Seconds since the churn began. */
  t: number;
  rssMB: number;
  heapUsedMB: number;
  /** Open sockets of the controller process (/proc/<pid>/fd entries that are sockets). */
  sockets: number;
  /** Open file descriptors of the controller process. */
  fds: number;
  /** The controller's watches, as its /status reports them. */
  watches: number;
  /** Writes per second over the interval before this sample (mcsync_writes_total). */
  writesPerSecond: number;
  /** Source changes per second sent over the same interval. */
  changesPerSecond: number;
  /** Work waiting in the controller's queues at the sample. */
  queued: number;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Growth {
  /** Median over the first and the last `windowS` seconds after the warm-up. */
  first: number;
  last: number;
  /** The trend after the warm-up, per hour. */
  perHour: number;
}

export type SoakMetric = 'rssMB' | 'heapUsedMB' | 'sockets' | 'fds' | 'watches' | 'writesPerSecond' | 'changesPerSecond' | 'queued';

/**
 * Per metric, the median of the first and last windows and the hourly trend, leaving out the
 * warm-up (caches filling, JIT): what "does anything grow" is judged on.
 */
export function growth(samples: readonly SoakSample[], warmupS: number, windowS: number): Record<SoakMetric, Growth> {
  const steady = samples.filter((s) => s.t >= warmupS);
  const end = steady.at(-1)?.t ?? 0;
  const first = steady.filter((s) => s.t < warmupS + windowS);
  const last = steady.filter((s) => s.t > end - windowS);
  const metrics: SoakMetric[] = ['rssMB', 'heapUsedMB', 'sockets', 'fds', 'watches', 'writesPerSecond', 'changesPerSecond', 'queued'];
  const out = {} as Record<SoakMetric, Growth>;
  for (const m of metrics) {
    out[m] = {
      first: median(first.map((s) => s[m])),
      last: median(last.map((s) => s[m])),
      perHour: slope(steady.map((s) => s.t / 3600), steady.map((s) => s[m])),
    };
  }
  return out;
}
