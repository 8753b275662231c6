// Waiting for destinations to go quiet, and the figures the floor and fleet benchmarks share.
import type { ClusterInfo } from '../../../harness/src/controlplane/cluster.ts';
import { waitFor } from '../../../harness/src/util/wait.ts';
import { percentile, writes } from './measure.ts';
import { round } from '../compare/baseline.ts';

/** Returns each destination's write count once two readings 1.5 s apart agree. */
export async function quiet(dests: ClusterInfo[]): Promise<number[]> {
  let last = '';
  let now: number[] = [];
  await waitFor(async () => {
    now = await writes(dests);
    const same = JSON.stringify(now) === last;
    last = JSON.stringify(now);
    return same;
  }, { what: 'destination writes to settle', intervalMs: 1500, timeoutMs: 300_000 });
  return now;
}

export const delta = (a: number[], b: number[]) => b.map((x, i) => x - a[i]!);

export interface Distribution {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function distribution(xs: number[]): Distribution {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: round(percentile(s, 50), 1), p90: round(percentile(s, 90), 1), p99: round(percentile(s, 99), 1), max: round(s.at(-1) ?? NaN, 1) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
