// The chart and the manifests install the version package.json names (release-version.ts
// keeps them so on `npm version`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CHART_YAML, MANIFESTS, chartWithVersion, manifestWithVersion, packageVersion } from './release-version.ts';

test('Chart.yaml\'s version and appVersion are package.json\'s version', () => {
  const chart = parse(readFileSync(CHART_YAML, 'utf8')) as { version: string; appVersion: string };
  assert.deepEqual([chart.version, chart.appVersion], [packageVersion(), packageVersion()], 'run: node deploy/release-version.ts');
});

test('the manifests\' image tag is package.json\'s version', () => {
  for (const m of MANIFESTS) {
    const images = [...readFileSync(m, 'utf8').matchAll(/^\s+image: (\S+)$/gm)].map((x) => x[1]);
    assert.deepEqual(images, [`mcsync:${packageVersion()}`], m);
  }
});

test('a new version rewrites exactly those fields', () => {
  const chart = readFileSync(CHART_YAML, 'utf8');
  const bumped = parse(chartWithVersion(chart, '9.8.7')) as Record<string, unknown>;
  assert.deepEqual(bumped, { ...(parse(chart) as Record<string, unknown>), version: '9.8.7', appVersion: '9.8.7' });
  const manifest = readFileSync(MANIFESTS[0]!, 'utf8');
  const out = manifestWithVersion(manifest, '9.8.7');
  assert.match(out, /^\s+image: mcsync:9\.8\.7$/m);
  assert.equal(out.split('\n').length, manifest.split('\n').length);
  assert.equal(out.replace('mcsync:9.8.7', `mcsync:${packageVersion()}`), manifest);
});
