// `mcsync run --status-page` against three real clusters, its page loaded in headless Chromium
// (Debian's chromium over the DevTools Protocol, harness/src/observe/browser.ts) and read from the DOM
// the page built from /fleet, as an operator's browser would show it:
//   a exports shop/web to b and c, b exports pay/ledger to a and c, c exports ops/metrics to b,
//   where b already has an ops/metrics of its own (a conflict). With `mcs: true`, a ServiceExport
//   of shop/web in a shows as an import row, imported in every cluster with its clusterset IPs.
// Then a's control plane stops: a's edges turn stale by themselves (the page refreshes), and a
// change b must write into a shows as failing; when a returns, both go back to in sync.
// MCSYNC_SCREENSHOT=docs/images/status-page.png saves the page as it looks during the outage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { launchChromium, type Browser } from '../../harness/src/observe/browser.ts';
import { kubeConfigFor, Pods } from '../../harness/src/workload/pods.ts';
import { waitFor } from '../../harness/src/util/wait.ts';
import { startController, type RunningController } from '../../harness/src/mcsync/controller.ts';
import { writeConfig } from '../../harness/src/mcsync/cli.ts';
import { yamlString } from '../../harness/src/util/yaml-text.ts';
import { serviceWithPod } from '../support/kube.ts';

let set: ClusterSet;
let ctl: RunningController;
let browser: Browser;
const pods: Record<string, Pods> = {};

/** Without exports (nor mcs), an instance writes nothing: a second controller that cannot disturb the first. */
function configText(instance = 'page', exports = true): string {
  const c = (name: string, extra: string[]) => [`- name: ${yamlString(name)}`, `  kubeconfig: ${yamlString(set.get(name).kubeconfigPath)}`, ...(exports ? extra : [])];
  return [`instance: ${instance}`, ...(exports ? ['mcs: true'] : []), 'controller:', '  watchTimeout: 2s', 'clusters:',
    ...c('a', ['  staleAfter: 3s', '  services:', '  - namespace: shop', '    exportTo: [b, c]']),
    ...c('b', ['  services:', '  - namespace: pay', '    exportTo: [a, c]']),
    ...c('c', ['  services:', '  - namespace: ops', '    exportTo: [b]']),
  ].join('\n') + '\n';
}

/** What the page shows, read from its DOM: edges by their arrow, export rows by key. */
interface Shown {
  loads: number;
  nodes: Record<string, string>;
  edges: Record<string, string>;
  rows: Record<string, { sources: string; destinations: Record<string, string>; endpoints: string; staleness: string; latency: string }>;
  importsShown: boolean;
  imports: Record<string, { exporters: string; importedIn: string; typeIp: string[]; state: string }>;
}

const READ_DOM = `(() => {
  const text = (e) => (e ? e.textContent.trim() : '');
  const shown = { loads: Number(document.body.dataset.loads || 0), nodes: {}, edges: {}, rows: {}, imports: {},
    importsShown: !document.getElementById('imports-section').hidden };
  for (const n of document.querySelectorAll('#fleet g.node')) shown.nodes[n.dataset.cluster] = n.dataset.state;
  for (const e of document.querySelectorAll('#fleet g.edge')) shown.edges[e.dataset.source + '->' + e.dataset.destination] = e.dataset.state;
  for (const r of document.querySelectorAll('#exports tr')) {
    const td = r.querySelectorAll('td');
    const destinations = {};
    for (const b of td[2].querySelectorAll('[data-destination]')) destinations[b.dataset.destination] = b.dataset.state + ' ' + text(b);
    shown.rows[r.dataset.key] = { sources: text(td[1]), destinations, endpoints: text(td[3]), staleness: text(td[4]), latency: text(td[5]) };
  }
  for (const r of document.querySelectorAll('#imports tr')) {
    const td = r.querySelectorAll('td');
    shown.imports[r.dataset.key] = { exporters: text(td[1]), importedIn: text(td[2]), typeIp: [...td[3].querySelectorAll('div')].map(text),
      state: td[4].querySelector('.badge').dataset.state };
  }
  return shown;
})()`;

const shown = () => browser.page.evaluate<Shown>(READ_DOM);

/** Waits until the page, refreshing itself, shows `want` (checked against each new look). */
async function pageShows(what: string, want: (s: Shown) => boolean): Promise<Shown> {
  let last: Shown | undefined;
  try {
    return await waitFor(async () => {
      last = await shown();
      return want(last) ? last : undefined;
    }, { what: `the page to show ${what}`, timeoutMs: 60_000, intervalMs: 500 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast shown: ${JSON.stringify(last)}`);
  }
}

before(async () => {
  set = await startClusterSet({ names: ['a', 'b', 'c'], mcsCrds: true });
  for (const n of ['a', 'b', 'c']) pods[n] = new Pods(set.get(n));
  await serviceWithPod(pods.a!, 'shop', 'web');
  await serviceWithPod(pods.b!, 'pay', 'ledger', 5432);
  await serviceWithPod(pods.c!, 'ops', 'metrics', 9100);
  await pods.b!.ensureNamespace('ops');
  await pods.b!.core.createNamespacedService({ namespace: 'ops', body: { metadata: { name: 'metrics' }, spec: { ports: [{ port: 9100 }] } } });
  ctl = await startController(['--config', writeConfig(configText()), '--status-page']);
  await ctl.ready();
  browser = await launchChromium({ width: 1280, height: 900 });
});

after(async () => {
  await browser?.close();
  if (ctl) assert.equal(await ctl.stop(), 0);
  await set?.down();
});

describe('the status page of mcsync run', () => {
  test('is off unless --status-page is given, and served at / when it is', async () => {
    const page = await ctl.get('/');
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>mcsync status<\/title>/);
    const plain = await startController(['--config', writeConfig(configText('plain', false))]);
    try {
      assert.equal((await plain.get('/')).status, 404);
      assert.equal((await plain.get('/fleet')).status, 404);
    } finally {
      await plain.stop();
    }
  });

  test('draws every cluster and export, in sync where nothing is in the way and conflict where something is', async () => {
    // A change after start, so there is a propagation to time.
    await pods.a!.create({ namespace: 'shop', name: 'web-1', labels: { app: 'web' } });
    await browser.page.goto(`http://127.0.0.1:${ctl.port}/`);

    const s = await pageShows('every cluster up and every edge settled, with the new pod and its propagation', (v) =>
      Object.values(v.nodes).every((n) => n === 'up') && Object.keys(v.edges).length === 5 && Object.values(v.edges).every((st) => st !== 'pending') && v.rows['shop/web']?.endpoints === '2 / 2' && /a → b: /.test(v.rows['shop/web'].latency));

    assert.deepEqual(s.nodes, { a: 'up', b: 'up', c: 'up' });
    assert.deepEqual(s.edges, { 'a->b': 'in-sync', 'a->c': 'in-sync', 'b->a': 'in-sync', 'b->c': 'in-sync', 'c->b': 'conflict' });
    assert.deepEqual(Object.keys(s.rows), ['ops/metrics', 'pay/ledger', 'shop/web']);
    assert.deepEqual(s.rows['shop/web'], {
      ...s.rows['shop/web']!,
      sources: 'a',
      destinations: { b: 'in-sync b · in sync', c: 'in-sync c · in sync' },
      endpoints: '2 / 2',
      staleness: 'a: fresh',
    });
    assert.match(s.rows['shop/web']!.latency, /a → b: \d+(\.\d+)? (ms|s) \d+s ago/);
    assert.deepEqual(s.rows['ops/metrics']!.destinations, { b: 'conflict b · conflict' });
    assert.equal(s.importsShown, false, 'no ServiceExport yet: no Imports table');
  });

  test('with mcs on, a ServiceExport is an import row: exported by a, imported in every cluster, each with its clusterset IP', async () => {
    const objs = KubernetesObjectApi.makeApiClient(kubeConfigFor(set.get('a')));
    await objs.create({ apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'web', namespace: 'shop' } } as KubernetesObject);

    const s = await pageShows('shop/web imported everywhere with its IPs', (v) => v.imports['shop/web']?.state === 'in-sync' && v.imports['shop/web'].typeIp.length === 4);

    assert.equal(s.importsShown, true);
    const row = s.imports['shop/web']!;
    assert.deepEqual({ ...row, typeIp: row.typeIp.map((t) => t.replace(/\d+\.\d+\.\d+\.\d+/, 'IP')) }, {
      exporters: 'a', importedIn: 'a, b, c', typeIp: ['ClusterSetIP', 'a: IP', 'b: IP', 'c: IP'], state: 'in-sync',
    });
  });

  test('a source whose apiserver stops turns its edges stale, and a write into it shows as failing', async () => {
    const a = set.running.find((c) => c.name === 'a')!;
    await a.stop();
    try {
      const s = await pageShows('a stale', (v) => v.edges['a->b'] === 'stale' && v.edges['a->c'] === 'stale');
      assert.equal(s.nodes.a, 'stale');
      assert.match(s.rows['shop/web']!.staleness, /^a: stale for \d+s$/);
      assert.equal(s.rows['shop/web']!.endpoints, '2 / 2', 'its last known endpoints still count');

      // b's ledger changes; its replica in a cannot be written while a is down.
      await pods.b!.create({ namespace: 'pay', name: 'ledger-1', labels: { app: 'ledger' } });
      const f = await pageShows('b->a failing', (v) => v.edges['b->a'] === 'failing');
      assert.deepEqual(f.edges, { 'a->b': 'stale', 'a->c': 'stale', 'b->a': 'failing', 'b->c': 'in-sync', 'c->b': 'conflict' });
      if (process.env.MCSYNC_SCREENSHOT) await browser.page.screenshot(process.env.MCSYNC_SCREENSHOT, 1280);
    } finally {
      await a.restart();
    }
    const back = await pageShows('a back and in sync', (v) => v.edges['a->b'] === 'in-sync' && v.edges['b->a'] === 'in-sync');
    assert.equal(back.nodes.a, 'up');
  });
});
