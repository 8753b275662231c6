// A /metrics page (Prometheus text format) as the series names it exposes and the label names
// each carries, and the check of a PromQL expression's selectors against it.
import { analyse } from './promql.ts';

/** Series name -> label names seen on any of its samples. A name declared by # TYPE but with no sample is not here. */
export type Exposition = Map<string, Set<string>>;

export function parseExposition(text: string): Exposition {
  const out: Exposition = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = out.get(m[1]!) ?? new Set<string>();
    for (const l of (m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="(?:[^"\\]|\\.)*"/g)) labels.add(l[1]!);
    out.set(m[1]!, labels);
  }
  return out;
}

/**
 * What in `expr` the exposition does not back: metrics without a sample, and label names
 * (in matchers or in by/without/on/ignoring) that none of a metric's samples carries.
 * `targetLabels` are those Prometheus adds at scrape time (job, instance), never on the page.
 */
export function unexposed(expr: string, exposed: Exposition, targetLabels: readonly string[] = ['job', 'instance']): string[] {
  const { selectors, madeLabels } = analyse(expr);
  const problems: string[] = [];
  for (const s of selectors) {
    const labels = exposed.get(s.metric);
    if (!labels) {
      problems.push(`metric ${s.metric} is not exposed`);
      continue;
    }
    for (const l of s.matchers) if (!labels.has(l) && !targetLabels.includes(l)) problems.push(`${s.metric} has no label ${l}`);
    for (const l of s.grouping) if (!labels.has(l) && !targetLabels.includes(l) && !madeLabels.includes(l)) problems.push(`${s.metric} has no label ${l} to group by`);
  }
  return problems;
}
