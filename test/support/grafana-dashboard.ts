// A Grafana dashboard's JSON model as what a test can check: its panels (rows' nested ones
// included), every PromQL expression it sends (panel targets and query variables) with Grafana's
// variables replaced so a PromQL parser accepts them, and the structural rules Grafana relies on.

export interface Target {
  expr?: string;
  refId?: string;
  datasource?: unknown;
}

export interface Panel {
  id: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: unknown;
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  type: string;
  name: string;
  query?: string | { query?: string };
  datasource?: unknown;
}

export interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface Query {
  /** Where it is, for messages: `panel 12 "Queue wait" B` or `variable cluster`. */
  where: string;
  /** As written in the dashboard. */
  raw: string;
  /** Plain PromQL, variables replaced. */
  expr: string;
}

const GRID_COLUMNS = 24;
// The data source every panel and query variable must use, so one pick of `datasource` moves them all.
export const DATASOURCE_REF = '${datasource}';

export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

// Grafana's interval variables become a duration, every other variable a regex that matches
// anything. Outside a string a replaced template variable is `.+`, which no PromQL parser takes:
// a variable standing for a metric or label name is reported, not guessed.
const INTERVALS: Record<string, string> = {
  __rate_interval: '5m', __interval: '1m', __range: '1h', __auto: '1m',
  __interval_ms: '60000', __range_s: '3600', __range_ms: '3600000',
};

export function substituteVariables(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]/g, (_m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    return INTERVALS[name] ?? '.+';
  });
}

/** `label_values(selector, label)` as PromQL that reads the same: the label grouped over the selector. */
export function labelValuesAsPromql(query: string): string {
  const m = /^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) throw new Error(`not label_values(selector, label): ${query} (a bare label_values(label) reads every metric and cannot be checked)`);
  return `group by (${m[2]}) (${m[1]})`;
}

export function queriesOf(d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (t.expr === undefined) continue;
      out.push({ where: `panel ${p.id} ${JSON.stringify(p.title)} ${t.refId}`, raw: t.expr, expr: substituteVariables(t.expr) });
    }
  }
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const raw = typeof v.query === 'string' ? v.query : v.query?.query ?? '';
    out.push({ where: `variable ${v.name}`, raw, expr: substituteVariables(labelValuesAsPromql(raw)) });
  }
  return out;
}

function usesDatasourceVariable(ref: unknown): boolean {
  return typeof ref === 'object' && ref !== null && (ref as { uid?: unknown }).uid === DATASOURCE_REF && (ref as { type?: unknown }).type === 'prometheus';
}

/** What Grafana would mis-render or refuse: empty when the dashboard is sound. */
export function structuralProblems(d: Dashboard, requiredVariables: readonly string[]): string[] {
  const problems: string[] = [];
  const panels = allPanels(d);
  const ids = new Set<number>();
  for (const p of panels) {
    const name = `panel ${p.id} ${JSON.stringify(p.title)}`;
    if (!Number.isInteger(p.id) || p.id <= 0) problems.push(`${name}: id must be a positive integer`);
    if (ids.has(p.id)) problems.push(`${name}: id used twice`);
    ids.add(p.id);
    const g = p.gridPos;
    if (!g) problems.push(`${name}: no gridPos`);
    else if (![g.x, g.y, g.w, g.h].every(Number.isInteger) || g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > GRID_COLUMNS) {
      problems.push(`${name}: gridPos ${JSON.stringify(g)} is not within ${GRID_COLUMNS} columns`);
    }
    if (p.type === 'row') continue;
    if (!usesDatasourceVariable(p.datasource)) problems.push(`${name}: datasource is not { type: prometheus, uid: ${DATASOURCE_REF} }`);
    if ((p.targets ?? []).length === 0) problems.push(`${name}: no queries`);
    for (const t of p.targets ?? []) {
      if (!t.expr) problems.push(`${name} ${t.refId}: no expr`);
      if (t.datasource !== undefined && !usesDatasourceVariable(t.datasource)) problems.push(`${name} ${t.refId}: the query's datasource is not the variable`);
    }
    const refIds = (p.targets ?? []).map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length) problems.push(`${name}: refIds repeat`);
  }
  // Top-level only: a collapsed row keeps its panels' positions for when it opens.
  for (const [a, b] of overlaps(d.panels.filter((p) => p.gridPos))) problems.push(`panels ${a.id} and ${b.id} overlap`);

  const vars = d.templating?.list ?? [];
  const ds = vars.find((v) => v.name === 'datasource');
  if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') problems.push('no `datasource` variable of type datasource for prometheus');
  for (const name of requiredVariables) if (!vars.some((v) => v.name === name)) problems.push(`no variable ${name}`);
  for (const v of vars) if (v.type === 'query' && !usesDatasourceVariable(v.datasource)) problems.push(`variable ${v.name}: datasource is not the variable`);
  if (typeof d.schemaVersion !== 'number' || d.schemaVersion < 36) problems.push(`schemaVersion ${d.schemaVersion}: Grafana 10/11 write 36 and above`);
  if (!d.uid) problems.push('no uid: a re-import would make a second copy instead of replacing it');
  return problems;
}

function overlaps(panels: Panel[]): [Panel, Panel][] {
  const out: [Panel, Panel][] = [];
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i]!.gridPos!;
      const b = panels[j]!.gridPos!;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push([panels[i]!, panels[j]!]);
    }
  }
  return out;
}
