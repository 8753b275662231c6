// The status page's document, read as text: what it must never contain, since names in its data
// come from clusters and the page is meant to work with nothing but the controller reachable.
// Then its script, run against a small stand-in DOM (elements, attributes, text; no HTML parser
// at all, so a script that tried to parse would fail) and a scripted `fleet`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripTypeScriptTypes } from 'node:module';
import { runInNewContext, Script } from 'node:vm';
import { STATUS_PAGE_HTML } from './page.ts';
import type { StatusPageView } from './page-script.ts';

test('the page never parses data as HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
    assert.equal(STATUS_PAGE_HTML.includes(sink), false, sink);
  }
});

test('the page loads nothing from elsewhere: no src or href but a data: URL, no url() but its own markers', () => {
  const refs = [...STATUS_PAGE_HTML.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(refs, ['data:,']);
  const urls = [...STATUS_PAGE_HTML.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]);
  assert.ok(urls.every((u) => u!.startsWith('#arrow-')), urls.join(' '));
  assert.equal(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(STATUS_PAGE_HTML), false, 'no absolute URL but the SVG namespace');
});

// The script is page-script.ts's function as text: types must be gone from it, as they are when
// tsc builds it and when Node strips them. A leftover like `f<T>(x)` would even parse, as
// comparisons, so the check is that stripping types again finds nothing to strip.
test('the served script is plain JavaScript: it parses as a classic script and has no TypeScript left in it', () => {
  const scripts = [...STATUS_PAGE_HTML.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 1);
  const script = scripts[0]!;
  assert.doesNotThrow(() => new Script(script, { filename: 'status-page.js' }));
  assert.equal(stripTypeScriptTypes(script), script);
  assert.match(script, /^'use strict';\n\(function statusPage\(\)/);
});

/** Just what the page's script calls on elements. */
class FakeNode {
  readonly tag: string;
  readonly attrs = new Map<string, string>();
  children: (FakeNode | string)[] = [];
  readonly dataset: Record<string, string> = {};
  readonly classes = new Set<string>();
  readonly classList = { add: (c: string) => this.classes.add(c), remove: (c: string) => this.classes.delete(c) };
  hidden = false;
  textContent = '';
  constructor(tag: string) { this.tag = tag; }
  setAttribute(k: string, v: string) { this.attrs.set(k, v); }
  append(...c: (FakeNode | string)[]) { this.children.push(...c); }
  replaceChildren(...c: (FakeNode | string)[]) { this.children = c; }
  get text(): string { return this.textContent + this.children.map((c) => (typeof c === 'string' ? c : c.text)).join(''); }
  get elements(): FakeNode[] { return this.children.filter((c): c is FakeNode => typeof c !== 'string'); }
}

/** Runs the page's script once against `view` and returns the elements it drew into, by id. */
async function drawn(view: unknown): Promise<Map<string, FakeNode>> {
  const { byId, document } = await ran(async () => ({ ok: true, json: async () => view }));
  assert.equal(document.body.dataset.loads, '1', 'the view was drawn');
  return byId;
}

/** Runs the page's script until its first read of `fleet`, answered by `fetch`, has been handled. */
async function ran(fetch: () => Promise<unknown>) {
  const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)![1]!;
  const byId = new Map<string, FakeNode>();
  const ids = [...STATUS_PAGE_HTML.matchAll(/\bid="([^"]+)"([^>]*)>/g)];
  for (const [, id, rest] of ids) {
    const n = new FakeNode(id!);
    n.hidden = /\bhidden\b/.test(rest!);
    byId.set(id!, n);
  }
  const main = new FakeNode('main');
  const document = {
    body: new FakeNode('body'),
    getElementById: (id: string) => byId.get(id),
    querySelector: () => main,
    createElement: (tag: string) => new FakeNode(tag),
    createElementNS: (_ns: string, tag: string) => new FakeNode(tag),
  };
  let retries = 0;
  runInNewContext(script, { document, fetch, setTimeout: () => ++retries, Node: FakeNode });
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.equal(retries, 1, 'the next read is scheduled');
  return { byId, document, main };
}

const BASE = { generatedAt: '2025-01-01T00:00:00.000Z', clusters: [{ name: 'east', source: true, destination: true, connected: true, synced: true, stale: false }], exports: [] };

test('imports are drawn as a table of their own: exporters, where imported, type and IPs, state with its detail', async () => {
  const page = await drawn({
    ...BASE,
    imports: [
      { key: 'shop/web', namespace: 'shop', name: 'web', exporters: ['east', 'west'], importedIn: ['east', 'west'], type: 'ClusterSetIP', ips: [{ cluster: 'east', ips: ['10.96.0.7'] }, { cluster: 'west', ips: ['10.96.1.5'] }], state: 'in-sync' },
      { key: 'shop/<b>x</b>', namespace: 'shop', name: '<b>x</b>', exporters: [], importedIn: [], ips: [], state: 'conflict', detail: 'no valid export: east: NoService (no Service)' },
    ],
  });

  assert.equal(page.get('imports-section')!.hidden, false);
  const rows = page.get('imports')!.elements;
  assert.deepEqual(rows.map((r) => r.attrs.get('data-key')), ['shop/web', 'shop/<b>x</b>']);
  const cells = (r: FakeNode) => r.elements.map((td) => td.text);
  assert.deepEqual(cells(rows[0]!), ['shop/web', 'east, west', 'east, west', 'ClusterSetIPeast: 10.96.0.7west: 10.96.1.5', 'in sync']);
  assert.deepEqual(cells(rows[1]!), ['shop/<b>x</b>', 'none', 'none', '\u2014', 'conflictno valid export: east: NoService (no Service)']);
  const badge = rows[1]!.elements[4]!.elements[0]!;
  assert.deepEqual([badge.attrs.get('class'), badge.attrs.get('data-state'), badge.attrs.get('title')], ['badge conflict', 'conflict', 'no valid export: east: NoService (no Service)']);
  assert.match(page.get('meta')!.textContent, /1 clusters · 0 exports · 2 imports · as of/);
});

test('with no imports (mcs off, or a view without them) the Imports section stays hidden', async () => {
  for (const view of [{ ...BASE, imports: [] }, BASE]) {
    const page = await drawn(view);
    assert.equal(page.get('imports-section')!.hidden, true);
    assert.deepEqual(page.get('imports')!.children, []);
  }
});

test('endpoints the guard refuses are listed with their source, Service, reason and count; the section hides when there are none', async () => {
  const page = await drawn({
    ...BASE,
    rejected: [
      { cluster: 'east', namespace: 'shop', name: 'web', reason: 'outside-pod-cidrs', what: '192.168.49.2', count: 1 },
      { cluster: 'east', namespace: 'shop', name: 'web', reason: 'oversized-slice', what: 'web-abc', count: 1500 },
    ],
  });
  assert.equal(page.get('rejected-section')!.hidden, false);
  const rows = page.get('rejected')!.elements;
  assert.deepEqual(rows.map((r) => r.elements.map((td) => td.text)), [
    ['east', 'shop/web', '192.168.49.2', 'outside-pod-cidrs', '1'],
    ['east', 'shop/web', 'web-abc', 'oversized-slice', '1500'],
  ]);
  for (const view of [{ ...BASE, rejected: [] }, BASE]) assert.equal((await drawn(view)).get('rejected-section')!.hidden, true);
});

test('the locality tier of each importing cluster is listed, inactive and every-cluster tiers said in words; the section hides without tiers', async () => {
  const page = await drawn({
    ...BASE,
    locality: [
      { cluster: 'west', namespace: 'shop', name: 'web', tier: 0, clusters: ['east'] },
      { cluster: 'south', namespace: 'shop', name: 'web', tier: 'all', clusters: ['east', 'west'] },
      { cluster: 'north', namespace: 'shop', name: 'web', tier: 'all', clusters: ['east'], inactive: 'no Node of the importing cluster has a topology.kubernetes.io/zone label' },
    ],
  });
  assert.equal(page.get('locality-section')!.hidden, false);
  assert.deepEqual(page.get('locality')!.elements.map((r) => r.elements.map((td) => td.text)), [
    ['west', 'shop/web', '0', 'east', ''],
    ['south', 'shop/web', 'every cluster', 'east, west', 'no tier has a ready endpoint'],
    ['north', 'shop/web', 'inactive', 'east', 'no Node of the importing cluster has a topology.kubernetes.io/zone label'],
  ]);
  for (const view of [{ ...BASE, locality: [] }, BASE]) assert.equal((await drawn(view)).get('locality-section')!.hidden, true);
});

test('the Imports table heads its columns as the page documents them, below Exports and above Clusters', () => {
  const at = (text: string) => STATUS_PAGE_HTML.indexOf(text);
  assert.ok(at('<h2>Exports</h2>') < at('<h2>Imports</h2>') && at('<h2>Imports</h2>') < at('<h2>Clusters</h2>'));
  assert.match(STATUS_PAGE_HTML, /<h2>Imports<\/h2>\s*<table><thead><tr><th>Service<\/th><th>Exported by<\/th><th>Imported in<\/th><th>Type \/ IP<\/th><th>State<\/th><\/tr><\/thead>/);
});

test('exports are drawn as arrows between the clusters and a row each: destinations, endpoints, staleness, last propagation', async () => {
  const at = (s: number) => new Date(Date.parse(BASE.generatedAt) - s * 1000).toISOString();
  const view: StatusPageView = {
    generatedAt: BASE.generatedAt,
    instance: 'one', identity: 'pod-0', leader: true,
    clusters: [
      { name: 'east', source: true, destination: true, connected: true, synced: true, stale: false },
      { name: 'west', source: true, destination: true, connected: false, synced: true, stale: true, unhealthySince: at(90), lastSeen: at(95), lastError: 'connection refused' },
    ],
    exports: [{
      key: 'shop/web', namespace: 'shop', name: 'web', endpoints: { ready: 1, total: 2 },
      sources: [{ cluster: 'east', connected: true, stale: false, staleAfterSeconds: 30 }, { cluster: 'west', connected: false, stale: true, unhealthySince: at(90), staleAfterSeconds: 30 }],
      destinations: [{ cluster: 'east', state: 'stale', detail: 'west unreachable' }, { cluster: 'west', state: 'failing', detail: 'refused' }],
      edges: [
        { source: 'east', destination: 'west', state: 'failing', detail: 'refused' },
        { source: 'west', destination: 'east', state: 'stale', detail: 'west unreachable', latencySeconds: 0.25, latencyAt: at(4) },
      ],
    }],
    imports: [],
    rejected: [],
  };
  const page = await drawn(view);

  const [, edges, nodes] = page.get('fleet')!.elements;
  assert.deepEqual(edges!.elements.map((g) => [g.attrs.get('data-source'), g.attrs.get('data-destination'), g.attrs.get('data-state'), g.attrs.get('class')]),
    [['east', 'west', 'failing', 'edge failing'], ['west', 'east', 'stale', 'edge stale']]);
  assert.equal(edges!.elements[0]!.elements[0]!.text, 'east \u2192 west\nshop/web: failing (refused)', 'the arrow\'s tooltip');
  assert.deepEqual(nodes!.elements.map((g) => [g.attrs.get('data-cluster'), g.attrs.get('data-state')]), [['east', 'up'], ['west', 'stale']]);

  const [row] = page.get('exports')!.elements;
  assert.equal(row!.attrs.get('data-key'), 'shop/web');
  assert.deepEqual(row!.elements.map((td) => td.text), [
    'shop/web', 'east, west', 'east \u00b7 stalewest \u00b7 failing', '1 / 2', 'east: freshwest: stale for 90s', 'west \u2192 east: 250 ms 4s ago',
  ]);
  assert.equal(page.get('no-exports')!.hidden, true);
  assert.deepEqual(page.get('clusters')!.elements.map((r) => r.elements.map((td) => td.text)), [
    ['east', 'source, destination', 'file', 'connected', '\u2014', ''],
    ['west', 'source, destination', 'file', 'stale', '95s ago', 'connection refused'],
  ]);
  assert.match(page.get('meta')!.textContent, /^instance one · pod-0 · leader · 2 clusters · 1 exports · as of /);
});

test('a cluster from the inventory shows its ClusterProfile and the profile\'s health', async () => {
  const page = await drawn({ ...BASE, clusters: [
    { ...BASE.clusters[0]!, name: 'fleet-1', origin: { kind: 'inventory', profile: 'fleet/fleet-1', healthy: false, health: 'ControlPlaneHealthy False: ApiserverDown' } },
    { ...BASE.clusters[0]!, name: 'fleet-2', origin: { kind: 'inventory', profile: 'fleet/fleet-2', health: 'no ControlPlaneHealthy condition' } },
  ] });
  const rows = page.get('clusters')!.elements;
  assert.deepEqual(rows.map((r) => r.elements[2]!.text), ['inventory fleet/fleet-1 unhealthy', 'inventory fleet/fleet-2 health unknown']);
  assert.equal(rows[0]!.elements[2]!.elements[0]!.attrs.get('title'), 'ControlPlaneHealthy False: ApiserverDown');
});

test('a failed read says so, dims the last view and tries again', async () => {
  for (const [fetch, reason] of [
    [async () => ({ ok: false, status: 503 }), 'HTTP 503'],
    [async () => { throw new Error('connection refused'); }, 'connection refused'],
  ] as const) {
    const { byId, document, main } = await ran(fetch);
    assert.equal(byId.get('error')!.hidden, false);
    assert.equal(byId.get('error')!.textContent, `Cannot read the controller (${reason}); showing the last view, retrying.`);
    assert.deepEqual([...main.classes], ['dim']);
    assert.equal(document.body.dataset.loads, undefined, 'nothing drawn');
  }
});
