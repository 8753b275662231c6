// The fleet benchmark's chart, drawn by hand as SVG (no dependency): time from start to every
// replica written, and the controllers' total peak RSS, against the number of clusters, one
// line per topology. Also runnable alone: `node bench/lib/report/fleet-chart.ts` redraws
// docs/images/fleet.svg from bench/results/fleet.json.
import { readFileSync, writeFileSync } from 'node:fs';

export interface FleetRow {
  clusters: number;
  topology: string;
  secondsToAllReplicas: number;
  rssPeakMB: { total: number };
}

const W = 360, H = 260, PAD = { l: 52, r: 24, t: 34, b: 40 };
const COLORS: Record<string, string> = { push: '#1f6feb', pull: '#d1242f' };

function niceMax(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1e-9)));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= x)!;
}

function panel(rows: FleetRow[], value: (r: FleetRow) => number, title: string, unit: string, dx: number): string {
  const ns = [...new Set(rows.map((r) => r.clusters))].sort((a, b) => a - b);
  const lo = Math.log2(ns[0]!), hi = Math.log2(ns.at(-1)!);
  const ymax = niceMax(Math.max(...rows.map(value)) * 1.05);
  const x = (n: number) => dx + PAD.l + (hi === lo ? 0.5 : (Math.log2(n) - lo) / (hi - lo)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - v / ymax) * (H - PAD.t - PAD.b);
  const out: string[] = [];
  out.push(`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${title}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(`<line x1="${dx + PAD.l}" x2="${dx + W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${dx + PAD.l - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${Number(v.toFixed(1))}</text>`);
  }
  for (const n of ns) out.push(`<text x="${x(n)}" y="${H - PAD.b + 16}" text-anchor="middle" font-size="11">${n}</text>`);
  out.push(`<text x="${dx + W / 2}" y="${H - 6}" text-anchor="middle" font-size="11">clusters (log scale)</text>`);
  out.push(`<text x="${dx + 12}" y="${PAD.t + (H - PAD.t - PAD.b) / 2}" font-size="11" transform="rotate(-90 ${dx + 12} ${PAD.t + (H - PAD.t - PAD.b) / 2})" text-anchor="middle">${unit}</text>`);
  for (const t of [...new Set(rows.map((r) => r.topology))].sort()) {
    const pts = rows.filter((r) => r.topology === t).sort((a, b) => a.clusters - b.clusters);
    out.push(`<polyline fill="none" stroke="${COLORS[t] ?? '#555'}" stroke-width="2" points="${pts.map((r) => `${x(r.clusters).toFixed(1)},${y(value(r)).toFixed(1)}`).join(' ')}"/>`);
    for (const r of pts) out.push(`<circle cx="${x(r.clusters).toFixed(1)}" cy="${y(value(r)).toFixed(1)}" r="3" fill="${COLORS[t] ?? '#555'}"><title>${t}, ${r.clusters} clusters: ${value(r)} ${unit}</title></circle>`);
  }
  return out.join('\n');
}

export function drawFleetChart(rows: FleetRow[]): string {
  const legend = ['push', 'pull'].map((t, i) => `<line x1="${2 * W - 290 + i * 150}" x2="${2 * W - 270 + i * 150}" y1="${H + 12}" y2="${H + 12}" stroke="${COLORS[t]}" stroke-width="2"/><text x="${2 * W - 265 + i * 150}" y="${H + 16}" font-size="11">${t === 'push' ? 'push (1 controller)' : 'pull (N controllers)'}</text>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" font-family="sans-serif" viewBox="0 0 ${2 * W} ${H + 24}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(rows, (r) => r.secondsToAllReplicas, 'Start to every replica written', 'seconds', 0),
    panel(rows, (r) => r.rssPeakMB.total, 'Controller peak RSS (sum for pull)', 'MB', W),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

if (import.meta.main) {
  const rows = (JSON.parse(readFileSync(new URL('../../results/fleet.json', import.meta.url), 'utf8')) as { rows: FleetRow[] }).rows;
  writeFileSync(new URL('../../../docs/images/fleet.svg', import.meta.url), drawFleetChart(rows));
}
