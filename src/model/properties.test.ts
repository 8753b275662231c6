// Property tests over random source clusters, configs and destination contents (including
// debris: objects of other owners, of other instances, half-deleted, misnamed, wrongly typed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planAll, planDestination } from './plan.ts';
import { selectExports } from './select.ts';
import { normalizeSlicePorts } from './projection.ts';
import { MAX_ZONE_HINTS, usesZoneHints } from './routing.ts';
import { sourceSliceForCache } from './cache-projections.ts';
import { replicaSliceName } from './slice-names.ts';
import { canonicalJson, cmp } from './canonical.ts';
import { applyPlan, cluster, config, destination, rule, type Serial } from './fixtures.test-util.ts';
import { INSTANCE, isOwned, MCS_SOURCE_CLUSTER, ownershipLabels, SERVICE_NAME, SOURCE_CLUSTER_NAME, SOURCES } from '../vocab/labels.ts';
import type { Config } from '../config/types.ts';
import type { Action, DestinationSnapshot, Export, Plan, SourceSnapshot } from './types.ts';
import type { Endpoint, EndpointPort, EndpointSlice, Service, ServicePort } from '../vocab/objects.ts';

const CLUSTERS = ['east', 'west', 'north'];
const NAMESPACES = ['shop', 'data'];
const NAMES = ['web', 'db', 'api'];
const KEYS = NAMESPACES.flatMap((ns) => NAMES.map((name) => ({ ns, name })));
const TIMES = ['2023-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'];
const SERVICE_PORTS: ServicePort[][] = [
  [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
  [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090, appProtocol: 'grpc', protocol: 'TCP' }],
  [{ port: 53, protocol: 'UDP' }],
];
const SLICE_PORTS: EndpointPort[][] = [
  [{ name: 'http', protocol: 'TCP', port: 8080 }],
  [{ name: 'http', port: 8081 }],
  [{ name: 'grpc', port: 9090, protocol: 'TCP', appProtocol: 'grpc' }, { name: 'http', port: 8080 }],
];
const ADDRESS_TYPES = ['IPv4', 'IPv4', 'IPv6', 'FQDN'] as const;
const KINDS = ['ClusterIP', 'Headless', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const DISTRIBUTIONS = [undefined, 'PreferClose', 'PreferSameZone', 'PreferSameNode'] as const;

// ---------------------------------------------------------------------------------------------
// Generators

interface EpGen {
  idx: number;
  ready: boolean | undefined;
  serving: boolean | undefined;
  terminating: boolean | undefined;
  hostname: boolean;
  zone: string | undefined;
  node: boolean;
  pod: boolean;
}
interface SliceGen {
  addressType: number;
  ports: number;
  endpoints: EpGen[];
}
interface SvcGen {
  kind: number;
  ports: number;
  created: number;
  labels: Record<string, string>;
  slices: SliceGen[];
  /** A replica of ours sitting in the source: must never be exported again. */
  replica: boolean;
  /** Index into DISTRIBUTIONS: the source's trafficDistribution. */
  distribution: number;
  dualStack: boolean;
  localPolicy: boolean;
}

const arbEp: fc.Arbitrary<EpGen> = fc.record({
  idx: fc.nat({ max: 40 }),
  ready: fc.option(fc.boolean(), { nil: undefined }),
  serving: fc.option(fc.boolean(), { nil: undefined }),
  terminating: fc.option(fc.boolean(), { nil: undefined }),
  hostname: fc.boolean(),
  zone: fc.option(fc.constantFrom('z1', 'z2'), { nil: undefined }),
  node: fc.boolean(),
  pod: fc.boolean(),
});
const arbSlice: fc.Arbitrary<SliceGen> = fc.record({
  addressType: fc.nat({ max: ADDRESS_TYPES.length - 1 }),
  ports: fc.nat({ max: SLICE_PORTS.length - 1 }),
  endpoints: fc.array(arbEp, { maxLength: 14 }),
});
const arbSvc: fc.Arbitrary<SvcGen> = fc.record({
  kind: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3) }, { weight: 1, arbitrary: fc.constant(4) }),
  ports: fc.nat({ max: SERVICE_PORTS.length - 1 }),
  created: fc.nat({ max: TIMES.length - 1 }),
  labels: fc.dictionary(fc.constantFrom('app', 'tier', 'helm.sh/chart', 'team/x'), fc.constantFrom('a', 'b')),
  slices: fc.array(arbSlice, { maxLength: 3 }),
  replica: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  distribution: fc.nat({ max: DISTRIBUTIONS.length - 1 }),
  dualStack: fc.boolean(),
  localPolicy: fc.boolean(),
});

function address(ci: number, type: string, idx: number): string {
  if (type === 'IPv6') return `fd00:${ci}::${idx.toString(16)}`;
  if (type === 'FQDN') return `ep${idx}.c${ci}.example.com`;
  return `10.${ci}.${idx >> 8}.${idx & 255}`;
}

function buildEndpoint(ci: number, type: string, ns: string, e: EpGen): Endpoint {
  const out: Endpoint = { addresses: [address(ci, type, e.idx)] };
  const conditions: Endpoint['conditions'] = {};
  if (e.ready !== undefined) conditions.ready = e.ready;
  if (e.serving !== undefined) conditions.serving = e.serving;
  if (e.terminating !== undefined) conditions.terminating = e.terminating;
  out.conditions = conditions;
  if (e.hostname) out.hostname = `pod-${e.idx}`;
  if (e.zone) out.zone = e.zone;
  if (e.node) out.nodeName = `node-${e.idx % 3}`;
  if (e.pod) out.targetRef = { kind: 'Pod', namespace: ns, name: `pod-${e.idx}`, uid: `u${e.idx}` };
  return out;
}

function buildSource(ci: number, gens: (SvcGen | undefined)[]): SourceSnapshot {
  const services: Service[] = [];
  const slices = new Map<string, EndpointSlice[]>();
  KEYS.forEach(({ ns, name }, k) => {
    const g = gens[k];
    if (!g) return;
    const kind = KINDS[g.kind]!;
    const spec: Service['spec'] = { ports: structuredClone(SERVICE_PORTS[g.ports]!) };
    if (kind === 'ExternalName') Object.assign(spec, { type: 'ExternalName', externalName: `${name}.example.com` });
    else Object.assign(spec, { type: kind === 'Headless' ? 'ClusterIP' : kind, clusterIP: kind === 'Headless' ? 'None' : `10.9${ci}.0.${k}`, selector: { app: name } });
    if (kind === 'NodePort' || kind === 'LoadBalancer') spec.ports = spec.ports!.map((p, i) => ({ ...p, nodePort: 30000 + i }));
    if (DISTRIBUTIONS[g.distribution] !== undefined) spec.trafficDistribution = DISTRIBUTIONS[g.distribution]!;
    if (kind !== 'ExternalName') {
      spec.internalTrafficPolicy = g.localPolicy ? 'Local' : 'Cluster';
      Object.assign(spec, g.dualStack ? { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } : { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
      if (kind !== 'Headless') spec.externalIPs = ['192.0.2.7'];
    }
    const labels = g.replica ? { ...g.labels, ...ownershipLabels('default') } : g.labels;
    services.push({ metadata: { name, namespace: ns, uid: `src-${ci}-${k}`, creationTimestamp: TIMES[g.created]!, labels }, spec });
    slices.set(
      `${ns}/${name}`,
      g.slices.map((s, i) => {
        const type = ADDRESS_TYPES[s.addressType]!;
        return {
          metadata: { name: `${name}-src${i}`, namespace: ns, labels: { [SERVICE_NAME]: name } },
          addressType: type,
          ports: structuredClone(SLICE_PORTS[s.ports]!),
          endpoints: s.endpoints.map((e) => buildEndpoint(ci, type, ns, e)),
        };
      }),
    );
  });
  return { cluster: CLUSTERS[ci]!, services, slices };
}

interface ConfigGen {
  exportTo: string[][];
  policy: ('skip' | 'merge')[];
  createNamespaces: boolean;
  max: number;
}
const arbConfig: fc.Arbitrary<ConfigGen> = fc.record({
  exportTo: fc.tuple(...CLUSTERS.map((c) => fc.subarray(CLUSTERS.filter((o) => o !== c)))),
  policy: fc.tuple(...CLUSTERS.map(() => fc.constantFrom('skip' as const, 'merge' as const))),
  createNamespaces: fc.boolean(),
  max: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(100)),
});
function buildConfig(g: ConfigGen): Config {
  return config(
    CLUSTERS.map((c, i) => cluster(c, [rule({ exportTo: g.exportTo[i]!, conflictPolicy: g.policy[i]! })], { replicaLabels: i === 0 ? { region: 'eu' } : {} })),
    { createNamespaces: g.createNamespaces },
  );
}

type Owner = 'mine' | 'none' | 'other';
const arbOwner = fc.constantFrom<Owner>('mine', 'mine', 'none', 'other');
const ownerLabels = (o: Owner) => (o === 'mine' ? ownershipLabels('default') : o === 'other' ? ownershipLabels('blue') : { app: 'local' });

interface DestSvcGen {
  owner: Owner;
  kind: number;
  ports: number;
  sources: string[];
  deleting: boolean;
}
interface DestSliceGen {
  key: number;
  grouped: boolean;
  source: number;
  addressType: number;
  ports: number;
  n: number;
  owner: Owner;
  deleting: boolean;
  endpoints: EpGen[];
}
const arbDeleting = fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const arbDestSvc: fc.Arbitrary<DestSvcGen> = fc.record({
  owner: arbOwner,
  kind: fc.nat({ max: KINDS.length - 1 }),
  ports: fc.nat({ max: SERVICE_PORTS.length - 1 }),
  sources: fc.subarray(CLUSTERS),
  deleting: arbDeleting,
});
const arbDestSlice: fc.Arbitrary<DestSliceGen> = fc.record({
  key: fc.nat({ max: KEYS.length - 1 }),
  grouped: fc.boolean(),
  source: fc.nat({ max: CLUSTERS.length - 1 }),
  addressType: fc.nat({ max: ADDRESS_TYPES.length - 1 }),
  ports: fc.nat({ max: SLICE_PORTS.length - 1 }),
  n: fc.integer({ min: 1, max: 3 }),
  owner: arbOwner,
  deleting: arbDeleting,
  endpoints: fc.array(arbEp, { maxLength: 4 }),
});
interface DestGen {
  namespaces: string[];
  services: (DestSvcGen | undefined)[];
  slices: DestSliceGen[];
}
const arbDest: fc.Arbitrary<DestGen> = fc.record({
  namespaces: fc.subarray(NAMESPACES),
  services: fc.tuple(...KEYS.map(() => fc.option(arbDestSvc, { nil: undefined, freq: 2 }))),
  slices: fc.array(arbDestSlice, { maxLength: 5 }),
});

function buildDest(di: number, g: DestGen): DestinationSnapshot {
  const present = new Set(g.namespaces);
  const services: Service[] = [];
  KEYS.forEach(({ ns, name }, k) => {
    const s = g.services[k];
    // Debris only where the namespace exists: a listing cannot return objects of a missing namespace.
    if (!s || !present.has(ns)) return;
    const kind = KINDS[s.kind]!;
    const spec: Service['spec'] = { ports: structuredClone(SERVICE_PORTS[s.ports]!) };
    if (kind === 'ExternalName') Object.assign(spec, { type: 'ExternalName', externalName: 'x.example.com' });
    else Object.assign(spec, { type: kind === 'Headless' ? 'ClusterIP' : kind, clusterIP: kind === 'Headless' ? 'None' : `10.96.${di}.${k}` });
    const metadata: Service['metadata'] = { name, namespace: ns, uid: `d${di}-svc-${k}`, resourceVersion: `${k + 1}`, labels: ownerLabels(s.owner) };
    if (s.owner === 'mine') metadata.annotations = { [SOURCES]: s.sources.join(',') };
    if (s.deleting) metadata.deletionTimestamp = '2024-09-09T00:00:00Z';
    services.push({ metadata, spec });
  });
  const slices: EndpointSlice[] = [];
  const names = new Set<string>();
  g.slices.forEach((s, i) => {
    const { ns, name } = KEYS[s.key]!;
    if (!present.has(ns)) return;
    const type = ADDRESS_TYPES[s.addressType]!;
    const sliceName = s.grouped ? replicaSliceName(name, CLUSTERS[s.source]!, type, SLICE_PORTS[s.ports], s.n) : `${name}-debris-${i}`;
    if (names.has(`${ns}/${sliceName}`)) return;
    names.add(`${ns}/${sliceName}`);
    const metadata: EndpointSlice['metadata'] = {
      name: sliceName,
      namespace: ns,
      uid: `d${di}-slice-${i}`,
      resourceVersion: `${100 + i}`,
      labels: { ...ownerLabels(s.owner), [SERVICE_NAME]: name, [MCS_SOURCE_CLUSTER]: CLUSTERS[s.source]! },
    };
    if (s.deleting) metadata.deletionTimestamp = '2024-09-09T00:00:00Z';
    slices.push({ metadata, addressType: type, ports: structuredClone(SLICE_PORTS[s.ports]!), endpoints: s.endpoints.map((e) => buildEndpoint(s.source, type, ns, e)) });
  });
  return destination(CLUSTERS[di]!, g.namespaces, services, slices);
}

interface World {
  cfg: Config;
  max: number;
  sources: SourceSnapshot[];
  dests: DestinationSnapshot[];
  unavailable: Set<string>;
}
const arbSources = fc.tuple(...CLUSTERS.map(() => fc.tuple(...KEYS.map(() => fc.option(arbSvc, { nil: undefined, freq: 2 })))));
const arbWorld = (withUnavailable: boolean): fc.Arbitrary<World> =>
  fc
    .record({
      cfg: arbConfig,
      sources: arbSources,
      dests: fc.tuple(...CLUSTERS.map(() => arbDest)),
      unavailable: withUnavailable ? fc.subarray(CLUSTERS, { maxLength: 1 }) : fc.constant([]),
    })
    .map((g) => ({
      cfg: buildConfig(g.cfg),
      max: g.cfg.max,
      sources: g.sources.map((s, ci) => buildSource(ci, s)),
      dests: g.dests.map((d, di) => buildDest(di, d)),
      unavailable: new Set(g.unavailable),
    }));

/** What the engine would pass: exports of the sources it could read this round. */
function exportsOf(w: World, sources = w.sources): Export[] {
  return selectExports(w.cfg, sources.filter((s) => !w.unavailable.has(s.cluster))).exports;
}
const optsOf = (w: World) => ({ unavailableSources: w.unavailable, maxEndpointsPerSlice: w.max });

function converge(w: World, exports: Export[], serial: Serial, opts = optsOf(w)): DestinationSnapshot[] {
  return w.dests.map((d) => applyPlan(d, planDestination(w.cfg, d, exports, opts), serial));
}

// Damage done to a converged destination by people and other tools: the debris that is most
// likely to collide with mcsync's own names.
const PERTURBATIONS = [
  'disown',
  'other-instance',
  'deleting',
  'source',
  'address-type',
  'scramble',
  'drop',
  'relabel',
  'svc-disown',
  'svc-deleting',
  'svc-kind',
  'svc-ports',
  'svc-drop',
] as const;
interface Perturbation {
  pick: number;
  how: (typeof PERTURBATIONS)[number];
}
const arbPerturbations = fc.array(fc.record({ pick: fc.nat(), how: fc.constantFrom(...PERTURBATIONS) }), { maxLength: 4 });

function perturb(d: DestinationSnapshot, ops: Perturbation[]): DestinationSnapshot {
  let services = d.services.map((s) => structuredClone(s));
  let slices = d.ownedSlices.map((s) => structuredClone(s));
  for (const { pick, how } of ops) {
    if (how.startsWith('svc-')) {
      const svc = services[pick % Math.max(services.length, 1)];
      if (!svc) continue;
      if (how === 'svc-disown') svc.metadata.labels = { app: 'local' };
      if (how === 'svc-deleting') svc.metadata.deletionTimestamp = '2024-09-09T00:00:00Z';
      if (how === 'svc-kind') {
        if (svc.spec.clusterIP === 'None') svc.spec.clusterIP = '10.96.9.9';
        else if (svc.spec.type !== 'ExternalName') svc.spec.clusterIP = 'None';
      }
      if (how === 'svc-ports') svc.spec.ports = [{ port: 1234, protocol: 'TCP', targetPort: 1234 }];
      if (how === 'svc-drop') services = services.filter((s) => s !== svc);
      continue;
    }
    const slice = slices[pick % Math.max(slices.length, 1)];
    if (!slice) continue;
    const labels = (slice.metadata.labels ??= {});
    if (how === 'disown') slice.metadata.labels = { [SERVICE_NAME]: labels[SERVICE_NAME] ?? '' };
    if (how === 'other-instance') labels[INSTANCE] = 'blue';
    if (how === 'deleting') slice.metadata.deletionTimestamp = '2024-09-09T00:00:00Z';
    if (how === 'source') {
      labels[MCS_SOURCE_CLUSTER] = CLUSTERS[(CLUSTERS.indexOf(labels[SOURCE_CLUSTER_NAME] ?? labels[MCS_SOURCE_CLUSTER] ?? '') + 1) % CLUSTERS.length]!;
      // As written before mcsync labelled its slices with the source's name too: the MCS label is read back.
      delete labels[SOURCE_CLUSTER_NAME];
    }
    if (how === 'address-type') slice.addressType = slice.addressType === 'IPv4' ? 'IPv6' : 'IPv4';
    if (how === 'scramble') slice.endpoints = (slice.endpoints ?? []).slice(1).reverse().map((e) => ({ ...e, conditions: { ready: !(e.conditions?.ready ?? true) } }));
    if (how === 'drop') slices = slices.filter((s) => s !== slice);
    if (how === 'relabel') {
      labels['x'] = 'y';
      delete slice.metadata.annotations;
    }
  }
  return { ...d, services, ownedSlices: slices };
}

/** What one planning round sees: a world and, at planning time, destinations and exports. */
interface Scenario {
  w: World;
  dests: DestinationSnapshot[];
  exports: Export[];
  label: string;
}
/** The same sources with about a third of the endpoints gone: what pod churn does between rounds. */
function thinned(sources: SourceSnapshot[], seed: number): SourceSnapshot[] {
  return sources.map((src) => ({
    ...src,
    slices: new Map(
      [...src.slices].map(([k, v]) => [
        k,
        v.map((sl) => ({ ...sl, endpoints: (sl.endpoints ?? []).filter((e) => (hashText(e.addresses[0]!) + seed) % 3 !== 0) })),
      ]),
    ),
  }));
}
function hashText(t: string): number {
  let h = 7;
  for (let i = 0; i < t.length; i++) h = (Math.imul(h, 31) + t.charCodeAt(i)) >>> 0;
  return h;
}

type Later = 'same' | 'churn' | 'new';
const arbScenario = (withUnavailable: boolean): fc.Arbitrary<Scenario> =>
  fc
    .tuple(
      arbWorld(withUnavailable),
      arbSources,
      fc.tuple(...CLUSTERS.map(() => arbPerturbations)),
      fc.constantFrom<'raw' | Later>('raw', 'same', 'churn', 'new'),
      fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(100)),
      fc.nat(),
    )
    .map(([w, laterGen, ops, mode, earlierMax, seed]) => {
      if (mode === 'raw') return { w, dests: w.dests, exports: exportsOf(w), label: 'random destination' };
      // Converged while every source was reachable (and perhaps with another slice size); then
      // sources change, some become unreachable, and people meddle with the replicas.
      const earlier = converge(w, selectExports(w.cfg, w.sources).exports, { n: 1 }, { unavailableSources: new Set<string>(), maxEndpointsPerSlice: earlierMax });
      const later = mode === 'same' ? w.sources : mode === 'churn' ? thinned(w.sources, seed) : laterGen.map((s, ci) => buildSource(ci, s));
      return { w, dests: earlier.map((d, i) => perturb(d, ops[i]!)), exports: exportsOf(w, later), label: `converged, then ${mode}` };
    });

const RUNS = { numRuns: 150 };

// ---------------------------------------------------------------------------------------------

test('(a) idempotence: plan, apply, plan again gives nothing to do', () => {
  fc.assert(
    fc.property(arbScenario(true), ({ w, dests, exports, label }) => {
      const serial = { n: 50_000 };
      for (const d of dests) {
        const first = planDestination(w.cfg, d, exports, optsOf(w));
        const applied = applyPlan(d, first, serial);
        const second = planDestination(w.cfg, applied, exports, optsOf(w));
        assert.deepEqual(second.actions, [], `${label}, ${d.cluster}: ${JSON.stringify(second.actions.map((a) => [a.verb, a.reason]))}`);
        assert.deepEqual(second.conflicts, first.conflicts);
      }
    }),
    RUNS,
  );
});

function target(d: DestinationSnapshot, kind: string, ns: string | undefined, name: string) {
  const list: (Service | EndpointSlice)[] = kind === 'Service' ? d.services : d.ownedSlices;
  return list.find((o) => o.metadata.namespace === ns && o.metadata.name === name);
}

test('(b) safety: nothing mcsync does not own, nothing being deleted, nothing of an unavailable source is ever updated or deleted', () => {
  fc.assert(
    fc.property(arbScenario(true), ({ w, dests, exports }) => {
      for (const d of dests) {
        const plan = planDestination(w.cfg, d, exports, optsOf(w));
        const deleted = new Set<string>();
        for (const a of plan.actions) {
          assert.equal(a.cluster, d.cluster);
          if (a.verb === 'create') {
            if (a.ref.kind === 'Namespace') {
              assert.ok(!d.namespaces.has(a.object.metadata.name));
              continue;
            }
            const id = `${a.ref.kind}/${a.object.metadata.namespace}/${a.object.metadata.name}`;
            assert.ok(!target(d, a.ref.kind, a.object.metadata.namespace, a.object.metadata.name) || deleted.has(id), `create over existing ${id}`);
            assert.ok(isOwned(a.object.metadata, 'default'), 'everything created carries the ownership labels');
            continue;
          }
          const [kind, ns, name] = a.verb === 'update' ? [a.ref.kind, a.object.metadata.namespace, a.object.metadata.name] : [a.ref.kind, a.ref.namespace, a.ref.name];
          const existing = target(d, kind, ns, name);
          assert.ok(existing, `${a.verb} of something absent: ${kind} ${ns}/${name}`);
          assert.ok(isOwned(existing.metadata, 'default'), `${a.verb} of ${kind} ${ns}/${name} which mcsync does not own`);
          assert.equal(existing.metadata.deletionTimestamp, undefined, `${a.verb} of ${ns}/${name} being deleted`);
          const source = existing.metadata.labels?.[SOURCE_CLUSTER_NAME] ?? existing.metadata.labels?.[MCS_SOURCE_CLUSTER];
          if (kind === 'EndpointSlice') assert.ok(source === undefined || !w.unavailable.has(source), 'slice of an unavailable source touched');
          if (kind === 'Service' && a.verb === 'delete' && a.reason !== 'type changed') {
            const sources = existing.metadata.annotations?.[SOURCES]?.split(',') ?? [];
            assert.ok(!sources.some((s) => w.unavailable.has(s)), 'replica of an unavailable source deleted');
          }
          if (kind === 'Service' && a.verb === 'update') {
            const kept = (existing.metadata.annotations?.[SOURCES]?.split(',') ?? []).filter((s) => w.unavailable.has(s));
            const now = a.object.metadata.annotations?.[SOURCES]?.split(',') ?? [];
            assert.ok(kept.every((s) => now.includes(s)), 'an unavailable source dropped from SOURCES');
          }
          if (a.verb === 'update') assert.equal(a.object.metadata.resourceVersion, existing.metadata.resourceVersion);
          if (a.verb === 'delete') {
            assert.equal(a.ref.uid, existing.metadata.uid);
            deleted.add(`${kind}/${ns}/${name}`);
          }
        }
        // And an apiserver accepts the whole plan in order.
        applyPlan(d, plan);
      }
    }),
    RUNS,
  );
});

/** "source|ns|service|addressType|ports|address" for every endpoint that should be replicated into d. */
function expectedEndpoints(cfg: Config, exports: Export[], d: DestinationSnapshot): string[] {
  const out = new Set<string>();
  const byKey = new Map<string, Export[]>();
  for (const e of exports) {
    if (e.sourceCluster === d.cluster || !e.destinations.includes(d.cluster)) continue;
    const key = `${e.service.metadata.namespace}/${e.service.metadata.name}`;
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  for (const [key, group] of byKey) {
    const [ns, name] = key.split('/') as [string, string];
    if (!d.namespaces.has(ns) && !cfg.createNamespaces) continue;
    const existing = d.services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
    let contributing: Export[];
    if (existing && !isOwned(existing.metadata, cfg.instance)) {
      contributing = group.filter((e) => e.conflictPolicy === 'merge');
    } else {
      const winner = [...group].sort((a, b) =>
        `${a.service.metadata.creationTimestamp}|${a.sourceCluster}` < `${b.service.metadata.creationTimestamp}|${b.sourceCluster}` ? -1 : 1,
      )[0]!;
      contributing = winner.service.spec.type === 'ExternalName' ? [] : group;
    }
    for (const e of contributing) {
      if (e.service.spec.type === 'ExternalName') continue;
      for (const s of e.slices) {
        for (const ep of s.endpoints ?? []) out.add(`${e.sourceCluster}|${ns}|${name}|${s.addressType}|${canonicalJson(normalizeSlicePorts(s.ports))}|${ep.addresses[0]}`);
      }
    }
  }
  return [...out].sort(cmp);
}

function actualEndpoints(d: DestinationSnapshot): string[] {
  return d.ownedSlices
    .filter((s) => isOwned(s.metadata, 'default') && !s.metadata.deletionTimestamp)
    .flatMap((s) =>
      (s.endpoints ?? []).map(
        (ep) =>
          `${s.metadata.labels?.[MCS_SOURCE_CLUSTER]}|${s.metadata.namespace}|${s.metadata.labels?.[SERVICE_NAME]}|${s.addressType}|${canonicalJson(normalizeSlicePorts(s.ports))}|${ep.addresses[0]}`,
      ),
    )
    .sort(cmp);
}

test('(c) every desired endpoint lands in exactly one replica slice, none over the limit, whatever state it repacks from', () => {
  fc.assert(
    fc.property(arbScenario(false), ({ w, dests, exports }) => {
      for (const d of dests) {
        const after = applyPlan(d, planDestination(w.cfg, d, exports, optsOf(w)), { n: 50_000 });
        assert.deepEqual(actualEndpoints(after), expectedEndpoints(w.cfg, exports, d));
        for (const s of after.ownedSlices) {
          if (isOwned(s.metadata, 'default') && !s.metadata.deletionTimestamp) {
            assert.ok((s.endpoints ?? []).length <= w.max, `${s.metadata.name} holds ${(s.endpoints ?? []).length} > ${w.max}`);
            assert.ok((s.endpoints ?? []).length > 0, `${s.metadata.name} is empty`);
            assert.ok(s.metadata.name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.metadata.name));
          }
        }
      }
    }),
    RUNS,
  );
});

test('(d) stability: one endpoint changing readiness, address or zone in a converged state rewrites exactly one slice per destination holding it', () => {
  fc.assert(
    fc.property(arbWorld(false), fc.nat(), fc.nat(), fc.nat(), fc.constantFrom('ready', 'address', 'zone'), (w0, seed, pickA, pickB, change) => {
      const serial = { n: 1 };
      // Converge, lose a third of the pods, converge again: slices now carry the holes real churn leaves.
      const first = converge(w0, exportsOf(w0), serial);
      const w: World = { ...w0, dests: first, sources: thinned(w0.sources, seed) };
      const converged = converge(w, exportsOf(w), serial);
      // Pick an endpoint whose first address is unique in its source cluster, so dedupe cannot mask the change.
      const candidates: { ci: number; key: string; si: number; ei: number; addr: string }[] = [];
      w.sources.forEach((src, ci) => {
        const seen = new Map<string, number>();
        for (const slices of src.slices.values()) for (const s of slices) for (const e of s.endpoints ?? []) seen.set(e.addresses[0]!, (seen.get(e.addresses[0]!) ?? 0) + 1);
        for (const [key, slices] of src.slices) {
          slices.forEach((s, si) => (s.endpoints ?? []).forEach((e, ei) => {
            if (seen.get(e.addresses[0]!) === 1) candidates.push({ ci, key, si, ei, addr: e.addresses[0]! });
          }));
        }
      });
      fc.pre(candidates.length > 0);
      const c = candidates[pickA % candidates.length]!;
      const sources = w.sources.map((s) => ({ ...s, slices: new Map([...s.slices].map(([k, v]) => [k, structuredClone(v)])) }));
      const mutated = sources[c.ci]!.slices.get(c.key)![c.si]!;
      const ep = mutated.endpoints![c.ei]!;
      // Generated indexes stay below 41, so 1000+ is an address no endpoint has.
      if (change === 'address') ep.addresses = [address(c.ci, mutated.addressType, 1000 + (pickB % 500))];
      else if (change === 'ready') ep.conditions = { ...ep.conditions, ready: !(ep.conditions?.ready ?? true) };
      // Losing its zone (or gaining one) changes that endpoint's hint only: the others keep theirs.
      else if (ep.zone === undefined) ep.zone = 'z3';
      else delete ep.zone;
      const exports = exportsOf(w, sources);
      const [ns, name] = c.key.split('/');
      for (const d of converged) {
        const holds = d.ownedSlices.some(
          (s) =>
            !s.metadata.deletionTimestamp &&
            isOwned(s.metadata, 'default') &&
            s.metadata.namespace === ns &&
            s.metadata.labels?.[SERVICE_NAME] === name &&
            s.metadata.labels?.[MCS_SOURCE_CLUSTER] === CLUSTERS[c.ci] &&
            (s.endpoints ?? []).some((e) => e.addresses[0] === c.addr),
        );
        const plan = planDestination(w.cfg, d, exports, optsOf(w));
        const summary = plan.actions.map((a) => `${a.verb} ${a.ref.kind} ${a.reason}`);
        if (holds) assert.deepEqual(summary, ['update EndpointSlice endpoints changed'], d.cluster);
        else assert.deepEqual(summary, [], d.cluster);
      }
    }),
    RUNS,
  );
});

/** Deterministic shuffle, so a failing case replays. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function reordered(w: World, seed: number): { sources: SourceSnapshot[]; dests: DestinationSnapshot[] } {
  const sources = shuffled(w.sources, seed).map((s, i) => ({
    cluster: s.cluster,
    services: shuffled(s.services, seed + i),
    slices: new Map(
      shuffled([...s.slices], seed + 7 * i).map(([k, v], j) => [k, shuffled(v, seed + j).map((sl, m) => ({ ...sl, endpoints: shuffled(sl.endpoints ?? [], seed + m) }))]),
    ),
  }));
  const dests = shuffled(w.dests, seed + 3).map((d, i) => ({
    cluster: d.cluster,
    namespaces: new Set(shuffled([...d.namespaces], seed + i)),
    services: shuffled(d.services, seed + 11 * i),
    ownedSlices: shuffled(d.ownedSlices, seed + 13 * i),
  }));
  return { sources, dests };
}

test('(e) determinism: the same inputs in any order give the same plan', () => {
  fc.assert(
    fc.property(arbWorld(true), fc.nat(), (w, seed) => {
      const plan = (sources: SourceSnapshot[], dests: DestinationSnapshot[], shuffleExports: boolean): Plan => {
        const exports = selectExports(w.cfg, sources.filter((s) => !w.unavailable.has(s.cluster))).exports;
        return planAll(w.cfg, shuffleExports ? shuffled(exports, seed) : exports, dests, optsOf(w));
      };
      const a = plan(w.sources, w.dests, false);
      const r = reordered(w, seed);
      const b = plan(r.sources, r.dests, true);
      assert.equal(JSON.stringify(b), JSON.stringify(a));
      assert.deepEqual(
        selectExports(w.cfg, r.sources).exports.map((e) => canonicalJson([e.sourceCluster, e.service.metadata, e.destinations])),
        selectExports(w.cfg, w.sources).exports.map((e) => canonicalJson([e.sourceCluster, e.service.metadata, e.destinations])),
      );
    }),
    RUNS,
  );
});

test('the planner never writes an object without the ownership label, across every verb (sanity on generated plans)', () => {
  fc.assert(
    fc.property(arbWorld(true), (w) => {
      const p = planAll(w.cfg, exportsOf(w), w.dests, optsOf(w));
      const writes = p.actions.filter((a): a is Extract<Action, { object: unknown }> => a.verb !== 'delete');
      for (const a of writes) assert.ok(isOwned(a.object.metadata, 'default'));
    }),
    { numRuns: 100 },
  );
});

test('(cache) a plan from source slices as the controller caches them equals the plan from the whole objects', () => {
  const withNoise = (s: EndpointSlice): EndpointSlice => ({
    ...s,
    metadata: { ...s.metadata, uid: `uid-${s.metadata.name}`, ownerReferences: [{ kind: 'Service', name: 'x' }], creationTimestamp: TIMES[0]!, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': TIMES[1]! } },
    endpoints: (s.endpoints ?? []).map((ep) => ({ ...ep, hints: { forZones: [{ name: 'z' }] }, deprecatedTopology: { a: 'b' } })),
  });
  fc.assert(
    fc.property(arbWorld(false), (w) => {
      const whole = w.sources.map((s) => ({ ...s, slices: new Map([...s.slices].map(([k, v]) => [k, v.map(withNoise)])) }));
      const cached = whole.map((s) => ({ ...s, slices: new Map([...s.slices].map(([k, v]) => [k, v.map(sourceSliceForCache)])) }));
      for (const d of w.dests) {
        assert.deepEqual(planDestination(w.cfg, d, exportsOf(w, cached), optsOf(w)).actions, planDestination(w.cfg, d, exportsOf(w, whole), optsOf(w)).actions);
      }
    }),
    RUNS,
  );
});

test('(hints) a Service asking for a distribution: every zoned endpoint mcsync writes is for its own zone, so with every ready endpoint zoned none lacks a hint; no node hints; others carry no hints', () => {
  fc.assert(
    fc.property(arbWorld(false), (w) => {
      const converged = converge(w, exportsOf(w), { n: 1 });
      for (const d of converged) {
        for (const s of d.ownedSlices) {
          if (!isOwned(s.metadata, 'default') || s.metadata.deletionTimestamp) continue;
          const svc = d.services.find((x) => x.metadata.namespace === s.metadata.namespace && x.metadata.name === s.metadata.labels?.[SERVICE_NAME]);
          // A Service going away keeps its last spec; what its slices are rendered for is the next one.
          if (svc?.metadata.deletionTimestamp) continue;
          const hinted = usesZoneHints(svc?.spec.trafficDistribution);
          const eps = s.endpoints ?? [];
          for (const e of eps) {
            const where = `${d.cluster} ${s.metadata.name} ${e.addresses[0]}`;
            if (hinted && e.zone) assert.deepEqual(e.hints, { forZones: [{ name: e.zone }] }, where);
            else assert.equal(e.hints, undefined, where);
            assert.ok((e.hints?.forZones?.length ?? 0) <= MAX_ZONE_HINTS);
          }
          const ready = eps.filter((e) => e.conditions?.ready !== false);
          if (hinted && ready.every((e) => e.zone)) assert.ok(ready.every((e) => (e.hints?.forZones?.length ?? 0) > 0), `${d.cluster} ${s.metadata.name}: a ready endpoint without a hint`);
        }
      }
    }),
    RUNS,
  );
});

test('(hints) changing only a Service\'s distribution rewrites its slices and nothing of any other Service', () => {
  fc.assert(
    fc.property(arbWorld(false), fc.nat(), fc.nat({ max: DISTRIBUTIONS.length - 1 }), (w, pick, to) => {
      const serial = { n: 1 };
      const converged = converge(w, exportsOf(w), serial);
      const all = w.sources.flatMap((s, ci) => s.services.map((svc, si) => ({ ci, si, svc })));
      fc.pre(all.length > 0);
      const { ci, si, svc } = all[pick % all.length]!;
      const changed = structuredClone(svc);
      if (DISTRIBUTIONS[to] === undefined) delete changed.spec.trafficDistribution;
      else changed.spec.trafficDistribution = DISTRIBUTIONS[to]!;
      const sources = w.sources.map((s, i) => (i === ci ? { ...s, services: s.services.map((x, j) => (j === si ? changed : x)) } : s));
      for (const d of converged) {
        for (const a of planDestination(w.cfg, d, exportsOf(w, sources), optsOf(w)).actions) {
          assert.equal(a.key, `${svc.metadata.namespace}/${svc.metadata.name}`, `${d.cluster}: ${a.verb} ${a.ref.kind} ${a.ref.name} (${a.reason})`);
        }
      }
    }),
    RUNS,
  );
});
