// The status page's document, read as text: what it must never contain, since names in its data
// come from clusters and the page is meant to work with nothing but the controller reachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
