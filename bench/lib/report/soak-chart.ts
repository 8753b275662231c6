// The soak benchmark's chart, drawn by hand as SVG like the fleet one: the controller's memory,
// its open sockets and watches, and the write and change rates, against minutes into the run.
// Also runnable alone: `node bench/lib/report/soak-chart.ts` redraws docs/images/soak.svg from
// bench/results/soak.json.
import { readFileSync, writeFileSync } from 'node:fs';
import type { SoakSample } from '../measure/soak.ts';

const W = 360, H = 240, PAD = { l: 52, r: 16, t: 34, b: 40 };

function niceMax(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1e-9)));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= x)!;
}

interface Line { label: string; color: string; value: (s: SoakSample) => number }

function panel(samples: readonly SoakSample[], lines: Line[], title: string, unit: string, dx: number): string {
  const tmax = Math.max(1, ...samples.map((s) => s.t / 60));
  const ymax = niceMax(Math.max(1, ...samples.flatMap((s) => lines.map((l) => l.value(s)))) * 1.1);
  const x = (m: number) => dx + PAD.l + (m / tmax) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - v / ymax) * (H - PAD.t - PAD.b);
  const out: string[] = [`<text x="${dx + W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${title}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(`<line x1="${dx + PAD.l}" x2="${dx + W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${dx + PAD.l - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${Number(v.toFixed(1))}</text>`);
  }
  const step = niceMax(tmax / 6);
  for (let m = 0; m <= tmax + 1e-9; m += step) out.push(`<text x="${x(m)}" y="${H - PAD.b + 16}" text-anchor="middle" font-size="11">${Math.round(m)}</text>`);
  out.push(`<text x="${dx + W / 2}" y="${H - 6}" text-anchor="middle" font-size="11">minutes</text>`);
  out.push(`<text x="${dx + 12}" y="${PAD.t + (H - PAD.t - PAD.b) / 2}" font-size="11" transform="rotate(-90 ${dx + 12} ${PAD.t + (H - PAD.t - PAD.b) / 2})" text-anchor="middle">${unit}</text>`);
  lines.forEach((l, i) => {
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.5" points="${samples.map((s) => `${x(s.t / 60).toFixed(1)},${y(l.value(s)).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<line x1="${dx + PAD.l + 8 + i * 150}" x2="${dx + PAD.l + 26 + i * 150}" y1="${PAD.t - 8}" y2="${PAD.t - 8}" stroke="${l.color}" stroke-width="2"/><text x="${dx + PAD.l + 30 + i * 150}" y="${PAD.t - 4}" font-size="11">${l.label}</text>`);
  });
  return out.join('\n');
}

export function drawSoakChart(samples: readonly SoakSample[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${3 * W}" height="${H}" font-family="sans-serif" viewBox="0 0 ${3 * W} ${H}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(samples, [{ label: 'RSS', color: '#1f6feb', value: (s) => s.rssMB }, { label: 'heap used', color: '#d1242f', value: (s) => s.heapUsedMB }], 'Controller memory', 'MB', 0),
    panel(samples, [{ label: 'open sockets', color: '#1f6feb', value: (s) => s.sockets }, { label: 'watches', color: '#d1242f', value: (s) => s.watches }], 'Sockets and watches', 'count', W),
    panel(samples, [{ label: 'writes/s', color: '#1f6feb', value: (s) => s.writesPerSecond }, { label: 'changes/s', color: '#d1242f', value: (s) => s.changesPerSecond }], 'Write and change rates', 'per second', 2 * W),
    '</svg>',
    '',
  ].join('\n');
}

if (import.meta.main) {
  const { samples } = JSON.parse(readFileSync(new URL('../../results/soak.json', import.meta.url), 'utf8')) as { samples: SoakSample[] };
  writeFileSync(new URL('../../../docs/images/soak.svg', import.meta.url), drawSoakChart(samples));
}
