// Builders for model tests, and a pure stand-in for an apiserver that applies a Plan to a
// DestinationSnapshot. Named *.test-util.ts so node --test does not run it as a test file.
import type { ClusterConfig, Config, ExportRule } from '../config/types.ts';
import type { Action, DestinationSnapshot, Export, Plan, SourceSnapshot } from './types.ts';
import type { Endpoint, EndpointPort, EndpointSlice, Service, ServicePort } from '../vocab/objects.ts';

const pos = { file: '', line: 0, field: '' };

export function rule(over: Partial<ExportRule> = {}): ExportRule {
  return { exportTo: [], conflictPolicy: 'skip', force: false, pos, ...over };
}

export function cluster(name: string, exports: ExportRule[] = [], over: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    name,
    kubeconfig: `/kube/${name}`,
    inCluster: false,
    staleAfterMs: 300_000,
    stalePolicy: 'keep',
    exports,
    replicaLabels: {},
    replicaAnnotations: {},
    pos,
    kubeconfigPos: pos,
    ...over,
  };
}

export function config(clusters: ClusterConfig[], over: Partial<Config> = {}): Config {
  return {
    file: '',
    instance: 'default',
    createNamespaces: true,
    copyLabels: { exclude: [] },
    copyAnnotations: { exclude: [] },
    concurrency: 8,
    networkPolicies: false,
    mcs: false,
    controller: { writeQps: 20, writeBurst: 40, resyncMs: 600_000, watchTimeoutSeconds: 300 },
    leaderElection: { namespace: 'kube-system', name: 'mcsync-default', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    clusters,
    ...over,
  };
}

/** Two clusters exporting everything (outside protected namespaces) to each other. */
export function pair(over: Partial<ExportRule> = {}, cfg: Partial<Config> = {}): Config {
  return config([cluster('east', [rule({ exportTo: ['west'], ...over })]), cluster('west', [rule({ exportTo: ['east'], ...over })])], cfg);
}

export interface SvcOptions {
  type?: string;
  clusterIP?: string;
  ports?: ServicePort[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  created?: string;
  spec?: Partial<Service['spec']>;
}

export function svc(namespace: string, name: string, o: SvcOptions = {}): Service {
  const metadata: Service['metadata'] = { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: '1' };
  metadata.creationTimestamp = o.created ?? '2024-01-01T00:00:00Z';
  if (o.labels) metadata.labels = o.labels;
  if (o.annotations) metadata.annotations = o.annotations;
  const spec: Service['spec'] = {
    type: o.type ?? 'ClusterIP',
    selector: { app: name },
    clusterIP: o.clusterIP ?? '10.0.0.10',
    ports: o.ports ?? [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
    ...o.spec,
  };
  return { apiVersion: 'v1', kind: 'Service', metadata, spec };
}

export function ep(address: string, o: Partial<Endpoint> = {}): Endpoint {
  return { addresses: [address], conditions: { ready: true, serving: true, terminating: false }, ...o };
}

export function slice(
  namespace: string,
  service: string,
  sliceName: string,
  endpoints: Endpoint[],
  o: { addressType?: EndpointSlice['addressType']; ports?: EndpointPort[]; labels?: Record<string, string> } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName,
      namespace,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', ...o.labels },
    },
    addressType: o.addressType ?? 'IPv4',
    endpoints,
    ports: o.ports ?? [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}

export function source(name: string, services: Service[], slices: EndpointSlice[] = []): SourceSnapshot {
  const map = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const key = `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}`;
    map.set(key, [...(map.get(key) ?? []), s]);
  }
  return { cluster: name, services, slices: map };
}

export function destination(name: string, namespaces: string[], services: Service[] = [], ownedSlices: EndpointSlice[] = []): DestinationSnapshot {
  return { cluster: name, namespaces: new Set(namespaces), services, ownedSlices };
}

// ---------------------------------------------------------------------------------------------
// A pure apiserver stand-in. It rejects what a real one would (create over an existing name,
// stale resourceVersion, writes in a missing namespace) and defaults fields the way a real one
// does, so a plan that converges against it converges against the normalization in plan.ts too.

export interface Serial {
  n: number;
}

const fresh = (serial: Serial) => String(++serial.n);

function defaultService(s: Service, serial: Serial): Service {
  const out = structuredClone(s);
  out.metadata.uid = `uid-${fresh(serial)}`;
  out.metadata.resourceVersion = fresh(serial);
  out.metadata.creationTimestamp = '2030-01-01T00:00:00Z';
  out.spec.sessionAffinity ??= 'None';
  if (out.spec.type !== 'ExternalName') {
    // An IPv4-only cluster: PreferDualStack gets one family; a selectorless headless Service
    // defaults to RequireDualStack and is given both families, having no address to allocate.
    const headless = out.spec.clusterIP === 'None' && Object.keys(out.spec.selector ?? {}).length === 0;
    out.spec.ipFamilyPolicy ??= headless ? 'RequireDualStack' : 'SingleStack';
    out.spec.ipFamilies = headless && out.spec.ipFamilyPolicy !== 'SingleStack' ? ['IPv4', 'IPv6'] : ['IPv4'];
    out.spec.clusterIP ??= `10.96.0.${serial.n % 250}`;
    out.spec.clusterIPs = [out.spec.clusterIP];
    out.spec.internalTrafficPolicy ??= 'Cluster';
  }
  out.spec.ports = out.spec.ports?.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }));
  return out;
}

function defaultSlice(s: EndpointSlice, serial: Serial, uid?: string): EndpointSlice {
  const out = structuredClone(s);
  out.metadata.uid = uid ?? `uid-${fresh(serial)}`;
  out.metadata.resourceVersion = fresh(serial);
  out.ports = out.ports?.map((p) => ({ ...p, name: p.name ?? '', protocol: p.protocol ?? 'TCP' })) ?? null;
  return out;
}

const id = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;

export function applyPlan(dest: DestinationSnapshot, plan: Plan | Action[], serial: Serial = { n: 1000 }): DestinationSnapshot {
  const namespaces = new Set(dest.namespaces);
  let services = [...dest.services];
  let slices = [...dest.ownedSlices];
  const actions = Array.isArray(plan) ? plan : plan.actions;
  for (const a of actions) {
    if (a.cluster !== dest.cluster) continue;
    if (a.verb === 'create') {
      if (a.ref.kind === 'Namespace') {
        if (namespaces.has(a.object.metadata.name)) throw new Error(`namespace ${a.object.metadata.name} exists`);
        namespaces.add(a.object.metadata.name);
        continue;
      }
      if (!namespaces.has(a.object.metadata.namespace!)) throw new Error(`create ${id(a.object)}: namespace missing`);
      if (a.ref.kind === 'Service') {
        if (services.some((s) => id(s) === id(a.object))) throw new Error(`create ${id(a.object)}: Service exists`);
        services.push(defaultService(a.object as Service, serial));
      } else {
        if (slices.some((s) => id(s) === id(a.object))) throw new Error(`create ${id(a.object)}: slice exists`);
        slices.push(defaultSlice(a.object as EndpointSlice, serial));
      }
    } else if (a.verb === 'update') {
      const list: { metadata: { namespace?: string; name: string; resourceVersion?: string; uid?: string } }[] = a.ref.kind === 'Service' ? services : slices;
      const i = list.findIndex((s) => id(s) === id(a.object));
      if (i < 0) throw new Error(`update ${id(a.object)}: not found`);
      if (list[i]!.metadata.resourceVersion !== a.object.metadata.resourceVersion) throw new Error(`update ${id(a.object)}: stale resourceVersion`);
      if (a.ref.kind === 'Service') {
        const before = list[i] as Service;
        const after = a.object as Service;
        // What the apiserver refuses to change in place (or mcsync promises never to change so).
        if ((before.spec.clusterIP === 'None') !== (after.spec.clusterIP === 'None')) throw new Error(`update ${id(a.object)}: clusterIP is immutable`);
        if ((before.spec.type === 'ExternalName') !== (after.spec.type === 'ExternalName')) throw new Error(`update ${id(a.object)}: ExternalName change in place`);
        const next = structuredClone(after);
        next.metadata.resourceVersion = fresh(serial);
        services[i] = next;
      } else {
        if ((list[i] as EndpointSlice).addressType !== (a.object as EndpointSlice).addressType) throw new Error(`update ${id(a.object)}: addressType is immutable`);
        slices[i] = defaultSlice(a.object as EndpointSlice, serial, list[i]!.metadata.uid);
      }
    } else {
      const match = (o: { metadata: { namespace?: string; name: string; uid?: string; resourceVersion?: string } }) =>
        o.metadata.namespace === a.ref.namespace && o.metadata.name === a.ref.name;
      const list: { metadata: { namespace?: string; name: string; uid?: string; resourceVersion?: string } }[] = a.ref.kind === 'Service' ? services : slices;
      const found = list.find(match);
      if (!found) throw new Error(`delete ${a.ref.namespace}/${a.ref.name}: not found`);
      if (a.ref.uid !== undefined && found.metadata.uid !== a.ref.uid) throw new Error(`delete ${a.ref.name}: uid precondition failed`);
      if (a.ref.resourceVersion !== undefined && found.metadata.resourceVersion !== a.ref.resourceVersion) throw new Error(`delete ${a.ref.name}: resourceVersion precondition failed`);
      if (a.ref.kind === 'Service') services = services.filter((s) => !match(s));
      else slices = slices.filter((s) => !match(s));
    }
  }
  return { cluster: dest.cluster, namespaces, services, ownedSlices: slices };
}

/** One export of `service` from `sourceCluster` to west, as selectExports would build it. */
export function exportOf(service: Service, slices: EndpointSlice[] = [], sourceCluster = 'east', over: Partial<Export> = {}): Export {
  return { sourceCluster, service, slices, destinations: ['west'], conflictPolicy: 'skip', stampLabels: {}, stampAnnotations: {}, ...over };
}
