// The status page `mcsync run --status-page` serves at `/`: one HTML document with its CSS and
// script inline, so it works with no network beyond the controller and nothing to fetch from
// elsewhere. The script (page-script.ts) fetches `fleet` every few seconds and draws the fleet as
// an SVG picture and its tables: exports, multi-cluster imports (only when there are any) and
// clusters. It never parses data as HTML.
//
// The Content-Security-Policy allows only this script and style (by hash) and requests to the
// page's own origin, so even a mistake there could not load or send anything elsewhere.
import { createHash } from 'node:crypto';
import { statusPage } from './page-script.ts';

const STYLE = `
:root { color-scheme: light dark; --bg: #fbfbfc; --fg: #1d2330; --muted: #6b7280; --line: #d9dce3; --card: #fff;
  --in-sync: #1f9d55; --stale: #c98a00; --conflict: #8e44ad; --failing: #d63b36; --pending: #8a8f98; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171d; --fg: #e6e8ec; --muted: #9aa1ad; --line: #2c313b; --card: #1b1f27; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4em 1.2em; padding: .9em 1.4em; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.25em; margin: 0; }
h2 { font-size: 1em; margin: 0 0 .6em; }
#meta, .muted { color: var(--muted); }
#error { margin: 0; padding: .6em 1.4em; background: var(--failing); color: #fff; }
main { display: grid; gap: 1.2em; padding: 1.2em 1.4em; grid-template-columns: minmax(0, 1fr); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1em 1.2em; }
#picture svg { width: 100%; height: auto; max-height: 460px; display: block; }
#legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; list-style: none; margin: .4em 0 0; padding: 0; }
#legend li::before { content: ""; display: inline-block; width: 1.6em; height: .3em; margin-right: .45em; vertical-align: middle; border-radius: 2px; background: currentColor; }
#legend .label { color: var(--fg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4em .7em .4em 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .9em; }
td.num { font-variant-numeric: tabular-nums; }
.badge { display: inline-block; margin: 0 .35em .2em 0; padding: 0 .5em; border-radius: 999px; font-size: .9em; white-space: nowrap; }
span.badge { color: #fff; }
.badge.in-sync { background: var(--in-sync); } .badge.stale { background: var(--stale); } .badge.conflict { background: var(--conflict); }
.badge.failing { background: var(--failing); } .badge.pending { background: var(--pending); }
.badge.up { background: var(--in-sync); } .badge.down { background: var(--failing); } .badge.syncing { background: var(--pending); }
.in-sync { color: var(--in-sync); } .stale { color: var(--stale); } .conflict { color: var(--conflict); } .failing { color: var(--failing); } .pending { color: var(--pending); }
.edge path { fill: none; stroke: currentColor; stroke-width: 3; }
.edge text, .node text { font-size: 12px; fill: var(--fg); paint-order: stroke; stroke: var(--card); stroke-width: 4px; stroke-linejoin: round; }
.edge text { text-anchor: middle; }
.node circle { fill: var(--card); stroke-width: 3; stroke: var(--in-sync); }
.node.syncing circle { stroke: var(--pending); } .node.down circle { stroke: var(--failing); } .node.stale circle { stroke: var(--stale); stroke-dasharray: 6 4; }
.node text { text-anchor: middle; }
.node .name { font-weight: 600; font-size: 13px; }
.node .role { fill: var(--muted); font-size: 11px; }
marker path { fill: currentColor; }
.dim { opacity: .45; }
`;

// The script is a function of page-script.ts, type-checked there; served as its source text, run
// once. Its hash below is of exactly this text, whether tsc built it or Node stripped its types.
const SCRIPT = `'use strict';\n(${statusPage.toString()})();\n`;

const LEGEND: [state: string, meaning: string][] = [
  ['in-sync', 'in sync: the last reconcile succeeded'],
  ['stale', 'stale: the source is unreachable past its staleAfter'],
  ['conflict', 'conflict: the destination has a Service in the way, or sources disagree'],
  ['failing', 'failing: the last reconcile there failed; retrying'],
  ['pending', 'pending: not reconciled there yet'],
];

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mcsync status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>mcsync</h1><span id="meta">loading…</span></header>
<p id="error" role="alert" hidden></p>
<main>
<section id="picture"><h2>Fleet</h2>
<svg id="fleet" viewBox="0 0 760 420" role="img" aria-label="clusters as nodes, exports as arrows from source to destination"></svg>
<ul id="legend">${LEGEND.map(([state, meaning]) => `<li class="${state}"><span class="label">${meaning}</span></li>`).join('')}</ul>
</section>
<section><h2>Exports</h2>
<table><thead><tr><th>Service</th><th>Sources</th><th>Destinations</th><th>Ready endpoints</th><th>Source staleness</th><th>Last propagation</th></tr></thead>
<tbody id="exports"></tbody></table>
<p id="no-exports" class="muted" hidden>Nothing is exported.</p>
</section>
<section id="imports-section" hidden><h2>Imports</h2>
<table><thead><tr><th>Service</th><th>Exported by</th><th>Imported in</th><th>Type / IP</th><th>State</th></tr></thead>
<tbody id="imports"></tbody></table>
</section>
<section id="rejected-section" hidden><h2>Refused endpoints</h2>
<p class="muted">Never replicated or imported anywhere: the source's own pod ranges or the endpoint guard say they cannot be its pods (docs/security.md).</p>
<table><thead><tr><th>Source cluster</th><th>Service</th><th>Endpoint</th><th>Reason</th><th>Count</th></tr></thead>
<tbody id="rejected"></tbody></table>
</section>
<section id="locality-section" hidden><h2>Locality tiers</h2>
<p class="muted">Per Service with clusterSelectors and importing cluster: the tier its traffic goes to (0 is the nearest), or every cluster when no tier has a ready endpoint (docs/topology.md).</p>
<table><thead><tr><th>Imported in</th><th>Service</th><th>Tier</th><th>Clusters</th><th>Detail</th></tr></thead>
<tbody id="locality"></tbody></table>
</section>
<section><h2>Clusters</h2>
<table><thead><tr><th>Cluster</th><th>Role</th><th>From</th><th>State</th><th>Last seen</th><th>Last error</th></tr></thead>
<tbody id="clusters"></tbody></table>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Only the inline script and style above may run, and only this origin may be fetched. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
