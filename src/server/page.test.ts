// The status page's document, read as text: what it must never contain, since names in its data
// come from clusters and the page is meant to work with nothing but the controller reachable.
// Then its script, run against a small stand-in DOM (elements, attributes, text; no HTML parser
// at all, so a script that tried to parse would fail) and a scripted `fleet`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { STATUS_PAGE_HTML } from './page.ts';

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

/** Just what the page's script calls on elements. */
class FakeNode {
  readonly tag: string;
  readonly attrs = new Map<string, string>();
  children: (FakeNode | string)[] = [];
  readonly dataset: Record<string, string> = {};
  readonly classList = { add() {}, remove() {} };
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
  const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)![1]!;
  const byId = new Map<string, FakeNode>();
  const ids = [...STATUS_PAGE_HTML.matchAll(/\bid="([^"]+)"([^>]*)>/g)];
  for (const [, id, rest] of ids) {
    const n = new FakeNode(id!);
    n.hidden = /\bhidden\b/.test(rest!);
    byId.set(id!, n);
  }
  const document = {
    body: new FakeNode('body'),
    getElementById: (id: string) => byId.get(id),
    querySelector: () => new FakeNode('main'),
    createElement: (tag: string) => new FakeNode(tag),
    createElementNS: (_ns: string, tag: string) => new FakeNode(tag),
  };
  const fetch = async () => ({ ok: true, json: async () => view });
  runInNewContext(script, { document, fetch, setTimeout: () => 0, Node: FakeNode });
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.equal(document.body.dataset.loads, '1', 'the view was drawn');
  return byId;
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

test('the Imports table heads its columns as the page documents them, below Exports and above Clusters', () => {
  const at = (text: string) => STATUS_PAGE_HTML.indexOf(text);
  assert.ok(at('<h2>Exports</h2>') < at('<h2>Imports</h2>') && at('<h2>Imports</h2>') < at('<h2>Clusters</h2>'));
  assert.match(STATUS_PAGE_HTML, /<h2>Imports<\/h2>\s*<table><thead><tr><th>Service<\/th><th>Exported by<\/th><th>Imported in<\/th><th>Type \/ IP<\/th><th>State<\/th><\/tr><\/thead>/);
});
