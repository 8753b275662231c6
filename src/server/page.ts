// The status page `mcsync run --status-page` serves at `/`: one HTML document with its CSS and
// script inline, so it works with no network beyond the controller and nothing to fetch from
// elsewhere. The script fetches `fleet` (relative, so it also works behind `kubectl proxy` or a
// path prefix) every few seconds and draws the fleet as an SVG picture and its tables: exports,
// multi-cluster imports (only when there are any) and clusters.
//
// Cluster and Service names come from clusters, so the script never parses data as HTML: it
// builds every element with createElement and puts names in with textContent or attributes.
// The Content-Security-Policy allows only this script and style (by hash) and requests to the
// page's own origin, so even a mistake there could not load or send anything elsewhere.
import { createHash } from 'node:crypto';

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

const SCRIPT = `
'use strict';
(function () {
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var REFRESH_MS = 3000;
  var WORST_FIRST = ['failing', 'conflict', 'stale', 'pending', 'in-sync'];
  var WORDS = { 'in-sync': 'in sync', stale: 'stale', conflict: 'conflict', failing: 'failing', pending: 'pending' };
  var W = 760, H = 420, R = 34;
  var loads = 0;

  function el(ns, tag, attrs, children) {
    var e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    (children || []).forEach(function (c) { e.append(c instanceof Node ? c : String(c)); });
    return e;
  }
  function h(tag, attrs, children) { return el(null, tag, attrs, children); }
  function s(tag, attrs, children) { return el(SVG_NS, tag, attrs, children); }
  function title(text) { return s('title', {}, [text]); }

  function worst(states) {
    for (var i = 0; i < WORST_FIRST.length; i++) if (states.indexOf(WORST_FIRST[i]) >= 0) return WORST_FIRST[i];
    return 'pending';
  }
  function seconds(v) {
    if (v === undefined || v === null) return '';
    return v < 1 ? Math.round(v * 1000) + ' ms' : (Math.round(v * 100) / 100) + ' s';
  }
  function age(iso, now) {
    if (!iso) return '';
    var t = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    if (t < 120) return t + 's';
    if (t < 7200) return Math.round(t / 60) + 'm';
    return Math.round(t / 3600) + 'h';
  }
  function clusterState(c) {
    if (c.stale) return 'stale';
    if (!c.connected) return 'down';
    return c.synced ? 'up' : 'syncing';
  }
  function clusterWords(c) {
    return { stale: 'stale', down: 'unreachable', up: 'connected', syncing: 'listing' }[clusterState(c)];
  }

  function positions(clusters) {
    var n = clusters.length, cx = W / 2, cy = H / 2, rx = W / 2 - 90, ry = H / 2 - 70, at = {};
    clusters.forEach(function (c, i) {
      if (n === 1) { at[c.name] = { x: cx, y: cy }; return; }
      var a = (n === 2 ? Math.PI : -Math.PI / 2) + (2 * Math.PI * i) / n;
      at[c.name] = { x: cx + rx * Math.cos(a), y: cy + ry * Math.sin(a) };
    });
    return at;
  }

  function short(name) { return name.length > 12 ? name.slice(0, 11) + '\\u2026' : name; }

  function drawPicture(view) {
    var svg = document.getElementById('fleet');
    var defs = s('defs', {}, WORST_FIRST.map(function (st) {
      return s('marker', { id: 'arrow-' + st, 'class': st, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
        [s('path', { d: 'M0,0 L10,5 L0,10 z' })]);
    }));
    var at = positions(view.clusters);
    var pairs = new Map();
    view.exports.forEach(function (x) {
      x.edges.forEach(function (e) {
        var k = e.source + '\\u0000' + e.destination;
        if (!pairs.has(k)) pairs.set(k, { source: e.source, destination: e.destination, items: [] });
        pairs.get(k).items.push({ key: x.key, state: e.state, detail: e.detail });
      });
    });
    var edges = [];
    pairs.forEach(function (p) {
      var a = at[p.source], b = at[p.destination];
      if (!a || !b) return;
      var state = worst(p.items.map(function (i) { return i.state; }));
      var dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
      // Bent to the right of its direction, so a->b and b->a do not lie on each other.
      var mx = (a.x + b.x) / 2 - uy * 44, my = (a.y + b.y) / 2 + ux * 44;
      var sx = a.x + ux * (R + 2), sy = a.y + uy * (R + 2), ex = b.x - ux * (R + 6), ey = b.y - uy * (R + 6);
      var label = p.items.length === 1 ? p.items[0].key : p.items.length + ' exports';
      var tip = p.source + ' \\u2192 ' + p.destination + '\\n' + p.items.map(function (i) {
        return i.key + ': ' + WORDS[i.state] + (i.detail ? ' (' + i.detail + ')' : '');
      }).join('\\n');
      edges.push(s('g', { 'class': 'edge ' + state, 'data-source': p.source, 'data-destination': p.destination, 'data-state': state }, [
        title(tip),
        s('path', { d: 'M' + sx + ',' + sy + ' Q' + mx + ',' + my + ' ' + ex + ',' + ey, 'marker-end': 'url(#arrow-' + state + ')' }),
        s('text', { x: (sx + 2 * mx + ex) / 4, y: (sy + 2 * my + ey) / 4 - 6 }, [label]),
      ]));
    });
    var nodes = view.clusters.map(function (c) {
      var p = at[c.name];
      var roles = [c.source ? 'source' : '', c.destination ? 'destination' : ''].filter(Boolean).join(' \\u00b7 ');
      return s('g', { 'class': 'node ' + clusterState(c), 'data-cluster': c.name, 'data-state': clusterState(c) }, [
        title(c.name + ': ' + clusterWords(c) + (c.lastError ? '\\n' + c.lastError : '')),
        s('circle', { cx: p.x, cy: p.y, r: R }),
        s('text', { 'class': 'name', x: p.x, y: p.y + 4 }, [short(c.name)]),
        s('text', { 'class': 'role', x: p.x, y: p.y + R + 16 }, [roles || 'not watched']),
      ]);
    });
    svg.replaceChildren(defs, s('g', {}, edges), s('g', {}, nodes));
    // Fit the view to the nodes: three on a circle leave its lower part empty.
    var xs = [], ys = [];
    for (var name in at) { xs.push(at[name].x); ys.push(at[name].y); }
    if (xs.length) {
      var x0 = Math.min.apply(null, xs) - 110, x1 = Math.max.apply(null, xs) + 110;
      var y0 = Math.min.apply(null, ys) - 50, y1 = Math.max.apply(null, ys) + 70;
      var pad = Math.max(0, 200 - (y1 - y0)) / 2;
      svg.setAttribute('viewBox', x0 + ' ' + (y0 - pad) + ' ' + (x1 - x0) + ' ' + (y1 - y0 + 2 * pad));
    }
  }

  function badge(state, text, attrs) {
    var a = attrs || {};
    a['class'] = 'badge ' + state;
    return h('span', a, [text]);
  }

  function drawExports(view, now) {
    var rows = view.exports.map(function (x) {
      var staleness = x.sources.map(function (src) {
        if (src.stale) return h('div', { 'class': 'stale' }, [src.cluster + ': stale for ' + age(src.unhealthySince, now)]);
        if (!src.connected) return h('div', { 'class': 'failing' }, [src.cluster + ': unreachable for ' + age(src.unhealthySince, now) + ' (stale after ' + src.staleAfterSeconds + 's)']);
        return h('div', { 'class': 'muted' }, [src.cluster + ': fresh']);
      });
      var latency = x.edges.filter(function (e) { return e.latencySeconds !== undefined; }).map(function (e) {
        return h('div', { 'data-edge': e.source + '>' + e.destination }, [e.source + ' \\u2192 ' + e.destination + ': ' + seconds(e.latencySeconds) + ' ', h('span', { 'class': 'muted' }, [age(e.latencyAt, now) + ' ago'])]);
      });
      return h('tr', { 'data-key': x.key }, [
        h('td', {}, [x.key]),
        h('td', {}, [x.sources.map(function (src) { return src.cluster; }).join(', ')]),
        h('td', {}, x.destinations.length ? x.destinations.map(function (d) {
          return badge(d.state, d.cluster + ' \\u00b7 ' + WORDS[d.state], { 'data-destination': d.cluster, 'data-state': d.state, title: d.detail });
        }) : [h('span', { 'class': 'muted' }, ['none'])]),
        h('td', { 'class': 'num' }, [x.endpoints.ready + ' / ' + x.endpoints.total]),
        h('td', {}, staleness),
        h('td', { 'class': 'num' }, latency.length ? latency : [h('span', { 'class': 'muted' }, ['\\u2014'])]),
      ]);
    });
    document.getElementById('exports').replaceChildren.apply(document.getElementById('exports'), rows);
    document.getElementById('no-exports').hidden = rows.length > 0;
  }

  // Multi-cluster services (mcs: true): one row each, the section shown only when there are any.
  function drawImports(view) {
    var imports = view.imports || [];
    var rows = imports.map(function (m) {
      var none = function () { return h('span', { 'class': 'muted' }, ['none']); };
      var ips = (m.ips || []).map(function (i) { return h('div', { 'data-cluster': i.cluster }, [i.cluster + ': ' + i.ips.join(', ')]); });
      return h('tr', { 'data-key': m.key }, [
        h('td', {}, [m.key]),
        h('td', {}, [m.exporters.length ? m.exporters.join(', ') : none()]),
        h('td', {}, [m.importedIn.length ? m.importedIn.join(', ') : none()]),
        h('td', {}, [h('div', {}, [m.type || '\u2014'])].concat(ips)),
        h('td', {}, [badge(m.state, WORDS[m.state], { 'data-state': m.state, title: m.detail })].concat(m.detail ? [h('div', { 'class': 'muted' }, [m.detail])] : [])),
      ]);
    });
    document.getElementById('imports').replaceChildren.apply(document.getElementById('imports'), rows);
    document.getElementById('imports-section').hidden = rows.length === 0;
  }

  function drawClusters(view, now) {
    var rows = view.clusters.map(function (c) {
      var st = clusterState(c);
      return h('tr', { 'data-cluster': c.name }, [
        h('td', {}, [c.name]),
        h('td', {}, [[c.source ? 'source' : '', c.destination ? 'destination' : ''].filter(Boolean).join(', ') || '\\u2014']),
        h('td', {}, [badge(st, clusterWords(c))]),
        h('td', { 'class': 'num' }, [c.lastSeen ? age(c.lastSeen, now) + ' ago' : '\\u2014']),
        h('td', {}, [c.lastError || '']),
      ]);
    });
    document.getElementById('clusters').replaceChildren.apply(document.getElementById('clusters'), rows);
  }

  function render(view) {
    var now = Date.parse(view.generatedAt);
    var parts = [];
    if (view.instance) parts.push('instance ' + view.instance);
    if (view.identity) parts.push(view.identity);
    if (view.leader !== undefined) parts.push(view.leader ? 'leader' : 'standby (not writing)');
    parts.push(view.clusters.length + ' clusters', view.exports.length + ' exports');
    if (view.imports && view.imports.length) parts.push(view.imports.length + ' imports');
    parts.push('as of ' + new Date(now).toLocaleTimeString());
    document.getElementById('meta').textContent = parts.join(' \\u00b7 ');
    drawPicture(view);
    drawExports(view, now);
    drawImports(view);
    drawClusters(view, now);
    document.body.dataset.generatedAt = view.generatedAt;
    document.body.dataset.loads = String(++loads);
  }

  function fail(err) {
    var e = document.getElementById('error');
    e.textContent = 'Cannot read the controller (' + (err && err.message ? err.message : String(err)) + '); showing the last view, retrying.';
    e.hidden = false;
    document.querySelector('main').classList.add('dim');
  }

  function refresh() {
    fetch('fleet', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (view) {
        document.getElementById('error').hidden = true;
        document.querySelector('main').classList.remove('dim');
        render(view);
      })
      .catch(fail)
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  refresh();
})();
`;

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
<section><h2>Clusters</h2>
<table><thead><tr><th>Cluster</th><th>Role</th><th>State</th><th>Last seen</th><th>Last error</th></tr></thead>
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
