import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { config, cluster, svc, slice, ep } from '../fixtures.test-util.ts';
import type { Action } from '../types.ts';
import type { ServiceExport, ServiceImport } from '../../vocab/mcs.ts';
import type { EndpointSlice, Service } from '../../vocab/objects.ts';
import { mergeConstituents, type Constituent } from './merge.ts';
import { planMcs, type ImportView } from './plan.ts';
import { derivedServiceName } from './render.ts';

const cfg = config([cluster('a'), cluster('b')]);
const NOW = '2026-12-02T00:00:00Z';

function se(cluster: string): ServiceExport {
  return { apiVersion: 'multicluster.x-k8s.io/v1beta1', kind: 'ServiceExport', metadata: { name: 'hello', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z', uid: `se-${cluster}`, resourceVersion: '5', generation: 1 } };
}

function constituentA(): Constituent {
  const s = slice('ns', 'hello', 'hello-x1', [ep('10.100.0.5')], { ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] });
  return { cluster: 'a', serviceExport: se('a'), service: svc('ns', 'hello'), slices: [s] };
}

/** Applies creates and updates as an apiserver would, allocating an IP to a created Service. */
function apply(view: ImportView, actions: Action[], exports: Map<string, ServiceExport>): ImportView {
  const next: ImportView = { ...view, slices: [...view.slices] };
  let rv = 100;
  for (const a of actions) {
    if (a.verb === 'delete') {
      if (a.ref.kind === 'ServiceImport') delete next.serviceImport;
      if (a.ref.kind === 'Service') delete next.derived;
      if (a.ref.kind === 'EndpointSlice') next.slices = next.slices.filter((s) => s.metadata.name !== a.ref.name);
      continue;
    }
    if (a.ref.kind === 'ServiceExport') {
      exports.set(a.cluster, { ...(a.object as ServiceExport), metadata: { ...a.object.metadata, resourceVersion: String(rv++) } });
      continue;
    }
    if (a.cluster !== view.cluster) continue;
    const meta = { ...a.object.metadata, uid: a.object.metadata.uid ?? `u-${a.ref.name}`, resourceVersion: String(rv++) };
    if (a.ref.kind === 'Service') {
      const s = a.object as Service;
      next.derived = { ...s, metadata: meta, spec: { ...s.spec, clusterIP: '10.200.0.9', clusterIPs: ['10.200.0.9'], ipFamilies: ['IPv4'] } };
    } else if (a.ref.kind === 'ServiceImport') {
      const si = a.object as ServiceImport;
      // A create or a spec update keeps the status that is there; a status write changes only the status.
      next.serviceImport = a.verb === 'update' && a.subresource === 'status'
        ? { ...next.serviceImport!, metadata: meta, status: si.status }
        : { ...si, metadata: meta, status: next.serviceImport?.status ?? {} };
    } else if (a.ref.kind === 'EndpointSlice') {
      next.slices = [...next.slices.filter((s) => s.metadata.name !== a.ref.name), { ...(a.object as EndpointSlice), metadata: meta }];
    }
  }
  return next;
}

function converge(constituents: Constituent[], views: ImportView[], exports: Map<string, ServiceExport>, unavailable = new Set<string>()): { views: ImportView[]; rounds: Action[][] } {
  const rounds: Action[][] = [];
  for (let i = 0; i < 5; i++) {
    const merge = mergeConstituents('ns', 'hello', constituents);
    const { actions } = planMcs(cfg, { namespace: 'ns', name: 'hello', merge, views, exports, unavailable, now: NOW });
    if (actions.length === 0) return { views, rounds };
    rounds.push(actions);
    views = views.map((v) => apply(v, actions.filter((a) => a.cluster === v.cluster || a.ref.kind === 'ServiceExport'), exports));
  }
  throw new Error(`no convergence: ${JSON.stringify(rounds.at(-1))}`);
}

const empty = (cluster: string): ImportView => ({ cluster, hasNamespace: true, slices: [] });

describe('planMcs', () => {
  it('an export in a yields, in a and b, a derived Service, a ServiceImport with its IP and clusters, MCS-labelled slices, and conditions on the export', () => {
    const exports = new Map([['a', se('a')]]);
    const { views, rounds } = converge([constituentA()], [empty('a'), empty('b')], exports);
    assert.deepEqual(rounds[0]!.filter((a) => a.cluster === 'b').map((a) => `${a.verb} ${a.ref.kind}`), ['create Service', 'create ServiceImport', 'create EndpointSlice']);
    for (const v of views) {
      assert.equal(v.derived!.metadata.name, derivedServiceName('hello'));
      assert.equal(v.derived!.spec.selector, undefined);
      assert.deepEqual(v.serviceImport!.spec.ips, ['10.200.0.9']);
      assert.deepEqual(v.serviceImport!.spec.ipFamilies, ['IPv4']);
      assert.deepEqual(v.serviceImport!.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80 }]);
      assert.deepEqual(v.serviceImport!.status!.clusters, [{ cluster: 'a' }]);
      assert.equal(v.serviceImport!.status!.endpointSliceObjects, 'Present');
      assert.equal(v.serviceImport!.metadata.annotations!['multicluster.kubernetes.io/derived-service'], derivedServiceName('hello'));
      const labels = v.slices[0]!.metadata.labels!;
      assert.equal(labels['multicluster.kubernetes.io/service-name'], 'hello');
      assert.equal(labels['multicluster.kubernetes.io/source-cluster'], 'a');
      assert.equal(labels['kubernetes.io/service-name'], derivedServiceName('hello'));
      assert.equal(labels['endpointslice.kubernetes.io/managed-by'], 'mcsync.io');
    }
    const conditions = exports.get('a')!.status!.conditions!;
    assert.deepEqual(conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Valid=True/Valid', 'Ready=True/Exported', 'Conflict=False/NoConflicts']);
    assert.ok(conditions.every((c) => c.lastTransitionTime === NOW && c.observedGeneration === 1));
  });

  it('the last export going deletes the import, the derived Service and the slices everywhere', () => {
    const exports = new Map([['a', se('a')]]);
    const { views } = converge([constituentA()], [empty('a'), empty('b')], exports);
    const gone = converge([], views, new Map());
    assert.deepEqual(gone.rounds[0]!.filter((a) => a.cluster === 'b').map((a) => `${a.verb} ${a.ref.kind}`).sort(), ['delete EndpointSlice', 'delete Service', 'delete ServiceImport']);
    assert.ok(gone.views.every((v) => !v.serviceImport && !v.derived && v.slices.length === 0));
  });

  it('an unavailable source keeps its slices and the import as they are', () => {
    const exports = new Map([['a', se('a')]]);
    const { views } = converge([constituentA()], [empty('a'), empty('b')], exports);
    const merge = mergeConstituents('ns', 'hello', []);
    const { actions } = planMcs(cfg, { namespace: 'ns', name: 'hello', merge, views, exports: new Map(), unavailable: new Set(['a']), now: NOW });
    assert.deepEqual(actions, []);
  });

  it('with an inventory that keeps (onRemove: keep), an exporter that is no cluster of the fleet any more keeps its part; with withdraw it goes', () => {
    const exports = new Map([['a', se('a')]]);
    const { views } = converge([constituentA()], [empty('a'), empty('b')], exports);
    const merge = mergeConstituents('ns', 'hello', []);
    // a's profile deleted: the fleet is b alone.
    const fleet = (onRemove: 'keep' | 'withdraw') => config([cluster('b')], { inventory: { onRemove } as NonNullable<typeof cfg.inventory> });
    const input = { namespace: 'ns', name: 'hello', merge, views: views.filter((v) => v.cluster === 'b'), exports: new Map(), unavailable: new Set<string>(), now: NOW };
    assert.deepEqual(planMcs(fleet('keep'), input).actions, []);
    assert.deepEqual(planMcs(fleet('withdraw'), input).actions.map((a) => `${a.verb} ${a.ref.kind}`).sort(), ['delete EndpointSlice', 'delete Service', 'delete ServiceImport']);
  });

  it('a ServiceImport or derived Service that is not mcsync\'s is left alone and reported', () => {
    const foreign: ServiceImport = { metadata: { name: 'hello', namespace: 'ns', uid: 'x' }, spec: { type: 'ClusterSetIP', ports: [] } };
    const merge = mergeConstituents('ns', 'hello', [constituentA()]);
    const { actions, problems } = planMcs(cfg, { namespace: 'ns', name: 'hello', merge, views: [{ ...empty('b'), serviceImport: foreign }], exports: new Map(), unavailable: new Set(), now: NOW });
    assert.deepEqual(actions, []);
    assert.match(problems[0]!.message, /not mcsync's/);
  });

  it('no import where the namespace does not exist', () => {
    const merge = mergeConstituents('ns', 'hello', [constituentA()]);
    const { actions } = planMcs(cfg, { namespace: 'ns', name: 'hello', merge, views: [{ ...empty('b'), hasNamespace: false }], exports: new Map(), unavailable: new Set(), now: NOW });
    assert.deepEqual(actions, []);
  });

  it('a condition that did not change keeps its lastTransitionTime', () => {
    const exports = new Map([['a', se('a')]]);
    converge([constituentA()], [empty('a')], exports);
    const later = '2026-12-03T00:00:00Z';
    const b: Constituent = { cluster: 'b', serviceExport: { ...se('b'), metadata: { ...se('b').metadata, creationTimestamp: '2026-02-01T00:00:00Z' } }, service: svc('ns', 'hello', { clusterIP: 'None' }), slices: [] };
    exports.set('b', b.serviceExport);
    const merge = mergeConstituents('ns', 'hello', [constituentA(), b]);
    const { actions } = planMcs(cfg, { namespace: 'ns', name: 'hello', merge, views: [], exports, unavailable: new Set(), now: later });
    const onA = actions.find((a) => a.cluster === 'a' && a.ref.kind === 'ServiceExport')!;
    assert.equal(onA.verb, 'update');
    const conds = ((onA as Extract<Action, { verb: 'update' }>).object as ServiceExport).status!.conditions!;
    assert.equal(conds.find((c) => c.type === 'Valid')!.lastTransitionTime, NOW);
    const conflict = conds.find((c) => c.type === 'Conflict')!;
    assert.equal(conflict.status, 'True');
    assert.equal(conflict.reason, 'TypeConflict');
    assert.equal(conflict.lastTransitionTime, later);
  });
});
