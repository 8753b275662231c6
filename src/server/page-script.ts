// The status page's script (page.ts), written as TypeScript so it is checked against the view it
// draws. It runs in the browser, not here: page.ts serializes `statusPage` with
// Function.prototype.toString into the page's one inline <script>. Hence its one rule: the
// function is self-contained, referring to nothing at module scope but types (which vanish, both
// when tsc builds dist/ and when Node strips the types of the sources). Anything it needs lives
// inside it.
//
// It fetches `fleet` (relative, so it also works behind `kubectl proxy` or a path prefix) every
// few seconds and draws the fleet as an SVG picture and its tables: exports, multi-cluster
// imports (only when there are any) and clusters. Cluster and Service names come from clusters,
// so it never parses data as HTML: it builds every element with createElement and puts names in
// with textContent or attributes.
//
// The reference below brings in the DOM's types. tsc has one set of globals per program, so they
// are visible to the Node code too; they exist at run time only in the browser.
/// <reference lib="dom" />
import type { EdgeState, FleetCluster, FleetView } from '../model/fleet-view.ts';

/** What `/fleet` serves (cli/run.ts): the fleet view and the process that drew it. */
export interface StatusPageView extends FleetView {
  /** config `instance`. */
  instance: string;
  /** The process's leader-election identity. */
  identity: string;
  /** Writing, or a standby (not writing). */
  leader: boolean;
}

export function statusPage(): void {
  type Attrs = Record<string, string | number | undefined>;
  type Child = Node | string | number;
  type Point = { x: number; y: number };
  type ClusterState = 'stale' | 'down' | 'up' | 'syncing';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const REFRESH_MS = 3000;
  const WORST_FIRST: readonly EdgeState[] = ['failing', 'conflict', 'stale', 'pending', 'in-sync'];
  const WORDS: Record<EdgeState, string> = { 'in-sync': 'in sync', stale: 'stale', conflict: 'conflict', failing: 'failing', pending: 'pending' };
  const W = 760, H = 420, R = 34;
  let loads = 0;

  function el(ns: string | null, tag: string, attrs?: Attrs, children?: readonly Child[]): Element {
    const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) e.setAttribute(k, String(v));
    for (const c of children ?? []) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const h = (tag: string, attrs?: Attrs, children?: readonly Child[]) => el(null, tag, attrs, children);
  const s = (tag: string, attrs?: Attrs, children?: readonly Child[]) => el(SVG_NS, tag, attrs, children);
  const title = (text: string) => s('title', {}, [text]);
  /** The page's own elements: present, or the document is not this page. */
  const byId = (id: string): HTMLElement => document.getElementById(id)!;

  function worst(states: readonly EdgeState[]): EdgeState {
    for (const st of WORST_FIRST) if (states.includes(st)) return st;
    return 'pending';
  }
  function seconds(v: number | undefined): string {
    if (v === undefined) return '';
    return v < 1 ? Math.round(v * 1000) + ' ms' : (Math.round(v * 100) / 100) + ' s';
  }
  function age(iso: string | undefined, now: number): string {
    if (!iso) return '';
    const t = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    if (t < 120) return t + 's';
    if (t < 7200) return Math.round(t / 60) + 'm';
    return Math.round(t / 3600) + 'h';
  }
  function clusterState(c: FleetCluster): ClusterState {
    if (c.stale) return 'stale';
    if (!c.connected) return 'down';
    return c.synced ? 'up' : 'syncing';
  }
  function clusterWords(c: FleetCluster): string {
    const words: Record<ClusterState, string> = { stale: 'stale', down: 'unreachable', up: 'connected', syncing: 'listing' };
    return words[clusterState(c)];
  }

  function positions(clusters: readonly FleetCluster[]): Map<string, Point> {
    const n = clusters.length, cx = W / 2, cy = H / 2, rx = W / 2 - 90, ry = H / 2 - 70;
    const at = new Map<string, Point>();
    clusters.forEach((c, i) => {
      const a = (n === 2 ? Math.PI : -Math.PI / 2) + (2 * Math.PI * i) / n;
      at.set(c.name, n === 1 ? { x: cx, y: cy } : { x: cx + rx * Math.cos(a), y: cy + ry * Math.sin(a) });
    });
    return at;
  }

  const short = (name: string) => (name.length > 12 ? name.slice(0, 11) + '\u2026' : name);

  function drawPicture(view: StatusPageView): void {
    const svg = byId('fleet');
    const defs = s('defs', {}, WORST_FIRST.map((st) =>
      s('marker', { id: 'arrow-' + st, class: st, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
        [s('path', { d: 'M0,0 L10,5 L0,10 z' })])));
    const at = positions(view.clusters);
    type Pair = { source: string; destination: string; items: { key: string; state: EdgeState; detail: string | undefined }[] };
    const pairs = new Map<string, Pair>();
    for (const x of view.exports) {
      for (const e of x.edges) {
        const k = e.source + '\u0000' + e.destination;
        let p = pairs.get(k);
        if (!p) pairs.set(k, (p = { source: e.source, destination: e.destination, items: [] }));
        p.items.push({ key: x.key, state: e.state, detail: e.detail });
      }
    }
    const edges: Element[] = [];
    for (const p of pairs.values()) {
      const a = at.get(p.source), b = at.get(p.destination);
      if (!a || !b) continue;
      const state = worst(p.items.map((i) => i.state));
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
      // Bent to the right of its direction, so a->b and b->a do not lie on each other.
      const mx = (a.x + b.x) / 2 - uy * 44, my = (a.y + b.y) / 2 + ux * 44;
      const sx = a.x + ux * (R + 2), sy = a.y + uy * (R + 2), ex = b.x - ux * (R + 6), ey = b.y - uy * (R + 6);
      const label = p.items.length === 1 ? p.items[0]!.key : p.items.length + ' exports';
      const tip = p.source + ' \u2192 ' + p.destination + '\n' + p.items.map((i) => i.key + ': ' + WORDS[i.state] + (i.detail ? ' (' + i.detail + ')' : '')).join('\n');
      edges.push(s('g', { class: 'edge ' + state, 'data-source': p.source, 'data-destination': p.destination, 'data-state': state }, [
        title(tip),
        s('path', { d: 'M' + sx + ',' + sy + ' Q' + mx + ',' + my + ' ' + ex + ',' + ey, 'marker-end': 'url(#arrow-' + state + ')' }),
        s('text', { x: (sx + 2 * mx + ex) / 4, y: (sy + 2 * my + ey) / 4 - 6 }, [label]),
      ]));
    }
    const nodes = view.clusters.map((c) => {
      const p = at.get(c.name)!;
      const roles = [c.source ? 'source' : '', c.destination ? 'destination' : ''].filter(Boolean).join(' \u00b7 ');
      return s('g', { class: 'node ' + clusterState(c), 'data-cluster': c.name, 'data-state': clusterState(c) }, [
        title(c.name + ': ' + clusterWords(c) + (c.lastError ? '\n' + c.lastError : '')),
        s('circle', { cx: p.x, cy: p.y, r: R }),
        s('text', { class: 'name', x: p.x, y: p.y + 4 }, [short(c.name)]),
        s('text', { class: 'role', x: p.x, y: p.y + R + 16 }, [roles || 'not watched']),
      ]);
    });
    svg.replaceChildren(defs, s('g', {}, edges), s('g', {}, nodes));
    // Fit the view to the nodes: three on a circle leave its lower part empty.
    const xs = [...at.values()].map((p) => p.x), ys = [...at.values()].map((p) => p.y);
    if (xs.length) {
      const x0 = Math.min(...xs) - 110, x1 = Math.max(...xs) + 110;
      const y0 = Math.min(...ys) - 50, y1 = Math.max(...ys) + 70;
      const pad = Math.max(0, 200 - (y1 - y0)) / 2;
      svg.setAttribute('viewBox', x0 + ' ' + (y0 - pad) + ' ' + (x1 - x0) + ' ' + (y1 - y0 + 2 * pad));
    }
  }

  function badge(state: string, text: string, attrs: Attrs = {}): Element {
    return h('span', { ...attrs, class: 'badge ' + state }, [text]);
  }
  const muted = (text: string) => h('span', { class: 'muted' }, [text]);

  function drawExports(view: StatusPageView, now: number): void {
    const rows = view.exports.map((x) => {
      const staleness = x.sources.map((src) => {
        if (src.stale) return h('div', { class: 'stale' }, [src.cluster + ': stale for ' + age(src.unhealthySince, now)]);
        if (!src.connected) return h('div', { class: 'failing' }, [src.cluster + ': unreachable for ' + age(src.unhealthySince, now) + ' (stale after ' + src.staleAfterSeconds + 's)']);
        return h('div', { class: 'muted' }, [src.cluster + ': fresh']);
      });
      const latency = x.edges.filter((e) => e.latencySeconds !== undefined).map((e) =>
        h('div', { 'data-edge': e.source + '>' + e.destination }, [e.source + ' \u2192 ' + e.destination + ': ' + seconds(e.latencySeconds) + ' ', muted(age(e.latencyAt, now) + ' ago')]));
      return h('tr', { 'data-key': x.key }, [
        h('td', {}, [x.key]),
        h('td', {}, [x.sources.map((src) => src.cluster).join(', ')]),
        h('td', {}, x.destinations.length
          ? x.destinations.map((d) => badge(d.state, d.cluster + ' \u00b7 ' + WORDS[d.state], { 'data-destination': d.cluster, 'data-state': d.state, title: d.detail }))
          : [muted('none')]),
        h('td', { class: 'num' }, [x.endpoints.ready + ' / ' + x.endpoints.total]),
        h('td', {}, staleness),
        h('td', { class: 'num' }, latency.length ? latency : [muted('\u2014')]),
      ]);
    });
    byId('exports').replaceChildren(...rows);
    byId('no-exports').hidden = rows.length > 0;
  }

  // Multi-cluster services (mcs: true): one row each, the section shown only when there are any.
  function drawImports(view: StatusPageView): void {
    const rows = (view.imports || []).map((m) => {
      const ips = (m.ips || []).map((i) => h('div', { 'data-cluster': i.cluster }, [i.cluster + ': ' + i.ips.join(', ')]));
      return h('tr', { 'data-key': m.key }, [
        h('td', {}, [m.key]),
        h('td', {}, [m.exporters.length ? m.exporters.join(', ') : muted('none')]),
        h('td', {}, [m.importedIn.length ? m.importedIn.join(', ') : muted('none')]),
        h('td', {}, [h('div', {}, [m.type || '\u2014']), ...ips]),
        h('td', {}, [badge(m.state, WORDS[m.state], { 'data-state': m.state, title: m.detail }), ...(m.detail ? [h('div', { class: 'muted' }, [m.detail])] : [])]),
      ]);
    });
    byId('imports').replaceChildren(...rows);
    byId('imports-section').hidden = rows.length === 0;
  }

  // Endpoints the guard refuses (an address outside the source's pod ranges, on a service range,
  // a bad hostname or port): one row each, the section shown only when there are any.
  function drawRejected(view: StatusPageView): void {
    const rows = (view.rejected || []).map((r) => h('tr', { 'data-key': r.namespace + '/' + r.name, 'data-cluster': r.cluster, 'data-reason': r.reason }, [
      h('td', {}, [r.cluster]),
      h('td', {}, [r.namespace + '/' + r.name]),
      h('td', {}, [r.what]),
      h('td', {}, [r.reason]),
      h('td', { class: 'num' }, [String(r.count)]),
    ]));
    byId('rejected').replaceChildren(...rows);
    byId('rejected-section').hidden = rows.length === 0;
  }

  // The tier each importing cluster uses for each Service with tiers; shown only when there are any.
  function drawLocality(view: StatusPageView): void {
    const rows = (view.locality || []).map((l) => h('tr', { 'data-key': l.namespace + '/' + l.name, 'data-cluster': l.cluster }, [
      h('td', {}, [l.cluster]),
      h('td', {}, [l.namespace + '/' + l.name]),
      h('td', {}, [l.inactive ? badge('stale', 'inactive') : l.tier === 'all' ? badge('pending', 'every cluster') : String(l.tier)]),
      h('td', {}, [l.clusters.length ? l.clusters.join(', ') : muted('none')]),
      h('td', {}, [l.inactive || (l.tier === 'all' ? 'no tier has a ready endpoint' : '')]),
    ]));
    byId('locality').replaceChildren(...rows);
    byId('locality-section').hidden = rows.length === 0;
  }

  // The config file, or the inventory's ClusterProfile with its ControlPlaneHealthy condition.
  function originCell(o: StatusPageView['clusters'][number]['origin']): (Element | string)[] {
    if (!o || o.kind === 'file') return ['file'];
    const state = o.healthy === true ? 'in-sync' : o.healthy === false ? 'failing' : 'pending';
    const words = o.healthy === true ? 'healthy' : o.healthy === false ? 'unhealthy' : 'health unknown';
    return ['inventory ' + o.profile, ' ', badge(state, words, { title: o.health })];
  }

  function drawClusters(view: StatusPageView, now: number): void {
    const rows = view.clusters.map((c) => h('tr', { 'data-cluster': c.name }, [
      h('td', {}, [c.name]),
      h('td', {}, [[c.source ? 'source' : '', c.destination ? 'destination' : ''].filter(Boolean).join(', ') || '\u2014']),
      h('td', {}, originCell(c.origin)),
      h('td', {}, [badge(clusterState(c), clusterWords(c))]),
      h('td', { class: 'num' }, [c.lastSeen ? age(c.lastSeen, now) + ' ago' : '\u2014']),
      h('td', {}, [c.lastError || '']),
    ]));
    byId('clusters').replaceChildren(...rows);
  }

  function render(view: StatusPageView): void {
    const now = Date.parse(view.generatedAt);
    const parts: string[] = [];
    if (view.instance) parts.push('instance ' + view.instance);
    if (view.identity) parts.push(view.identity);
    if (view.leader !== undefined) parts.push(view.leader ? 'leader' : 'standby (not writing)');
    parts.push(view.clusters.length + ' clusters', view.exports.length + ' exports');
    if (view.imports && view.imports.length) parts.push(view.imports.length + ' imports');
    parts.push('as of ' + new Date(now).toLocaleTimeString());
    byId('meta').textContent = parts.join(' \u00b7 ');
    drawPicture(view);
    drawExports(view, now);
    drawImports(view);
    drawRejected(view);
    drawLocality(view);
    drawClusters(view, now);
    document.body.dataset.generatedAt = view.generatedAt;
    document.body.dataset.loads = String(++loads);
  }

  function fail(err: unknown): void {
    const e = byId('error');
    const message = typeof err === 'object' && err !== null && 'message' in err && err.message ? String(err.message) : String(err);
    e.textContent = 'Cannot read the controller (' + message + '); showing the last view, retrying.';
    e.hidden = false;
    document.querySelector('main')!.classList.add('dim');
  }

  // Every outcome, drawn or failed, schedules the next read.
  function refresh(): void {
    fetch('fleet', { cache: 'no-store', headers: { accept: 'application/json' } })
      .then((r) => {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json() as Promise<StatusPageView>;
      })
      .then((view) => {
        byId('error').hidden = true;
        document.querySelector('main')!.classList.remove('dim');
        render(view);
      })
      .catch(fail)
      .then(() => void setTimeout(refresh, REFRESH_MS));
  }
  refresh();
}
