// The markdown table of a conformance run: one row per spec, with its labels, its result and,
// for a failure or a skip, the first line of why. Ginkgo shuffles the specs on every run, so
// rows are ordered by result, then name: the same outcome gives the same table.
import type { SpecRow } from './junit.ts';

const MARK: Record<SpecRow['result'], string> = { pass: 'pass', fail: 'FAIL', skipped: 'skipped' };

/** A table cell: one line, pipes escaped, long reasons cut. */
function cell(text: string, max = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

export interface TableMeta {
  title: string;
  /** Lines said above the table (command, clusters, duration). */
  notes?: string[];
}

const RANK: Record<SpecRow['result'], number> = { fail: 0, pass: 1, skipped: 2 };

export function renderTable(unordered: SpecRow[], meta: TableMeta): string {
  const rows = [...unordered].sort((a, b) => RANK[a.result] - RANK[b.result] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const count = (r: SpecRow['result']) => rows.filter((x) => x.result === r).length;
  const lines = [
    `# ${meta.title}`,
    '',
    ...(meta.notes ?? []).map((n) => `${n}  `),
    ...(meta.notes?.length ? [''] : []),
    `${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped of ${rows.length} specs.`,
    '',
    '| spec | labels | result | reason |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${cell(r.name, 400)} | ${cell(r.labels.join(', '))} | ${MARK[r.result]} | ${cell(r.result === 'pass' ? '' : r.reason)} |`),
    '',
  ];
  return lines.join('\n');
}
