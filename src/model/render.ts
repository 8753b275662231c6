// What should exist in one destination for one exported namespace/name: the replica Service
// and its EndpointSlices. Pure: existing slices come in as data so packing can stay stable.
import type { Config, CopyFilter } from '../config/types.ts';
import { canonicalJson, cmp, cmpTuple, hash8, sortedRecord } from './canonical.ts';
import {
  DEFAULT_COPY_EXCLUDES,
  ENDPOINT_ORIGINS,
  isOwned,
  MCS_SERVICE_NAME,
  MCS_SOURCE_CLUSTER,
  ownershipLabels,
  SERVICE_NAME,
  SLICE_MANAGED_BY,
  SLICE_MANAGED_BY_VALUE,
  SOURCES,
} from '../vocab/labels.ts';
import type { Conflict, Export } from './types.ts';
import type { Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Service, ServicePort } from '../vocab/objects.ts';

/** The built-in EndpointSlice controller's default, so replicas look like native slices to kube-proxy. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

/** The distinctions the apiserver refuses to change in place (spec.clusterIP and type ExternalName are immutable that way). */
export type ServiceKind = 'ClusterIP' | 'Headless' | 'ExternalName';

export function serviceKind(svc: Service): ServiceKind {
  if (svc.spec.type === 'ExternalName') return 'ExternalName';
  if (svc.spec.clusterIP === 'None') return 'Headless';
  return 'ClusterIP';
}

function describeKind(kind: ServiceKind): string {
  return kind === 'ClusterIP' ? 'a ClusterIP Service' : kind === 'Headless' ? 'a headless Service' : 'an ExternalName Service';
}

// ---------------------------------------------------------------------------------------------
// Copy filter

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `*` matches any run of characters, including `/`, so `example.com/*` covers every key of a prefix. */
export function globMatches(glob: string, key: string): boolean {
  return new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`, 's').test(key);
}

/**
 * The user's exclude beats everything; the user's include beats the built-in exclusions (so a
 * user can deliberately carry e.g. a helm annotation); with an include list nothing else passes.
 */
export function copyAllowed(filter: CopyFilter, key: string): boolean {
  // mcsync's own keys on a source Service describe that cluster's state, never a replica's.
  if (key.startsWith('mcsync.io/')) return false;
  const any = (globs: readonly string[] | undefined) => (globs ?? []).some((g) => globMatches(g, key));
  if (any(filter.exclude)) return false;
  if (filter.include !== undefined && any(filter.include)) return true;
  if (any(DEFAULT_COPY_EXCLUDES)) return false;
  return filter.include === undefined;
}

export function copyFiltered(filter: CopyFilter, map: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (copyAllowed(filter, k)) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replica Service

/** Oldest first: the Multi-Cluster Services API resolves disagreements in favour of the oldest export. */
export function byAge(exports: readonly Export[]): Export[] {
  // A Service without a timestamp has not been seen by an apiserver yet; it is treated as newest.
  const age = (e: Export) => [e.service.metadata.creationTimestamp ?? '\uffff', e.sourceCluster];
  return [...exports].sort((a, b) => cmpTuple(age(a), age(b)));
}

function replicaPorts(ports: readonly ServicePort[] | undefined): ServicePort[] {
  return (ports ?? []).map((p) => {
    const out: ServicePort = { port: p.port, protocol: p.protocol ?? 'TCP' };
    if (p.name !== undefined) out.name = p.name;
    if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
    return out;
  });
}

function describePorts(svc: Service): string {
  const ports = (svc.spec.ports ?? [])
    .map((p) => `${p.port}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`)
    .sort(cmp);
  return ports.length === 0 ? 'no ports' : ports.join(', ');
}

export function sourcesOf(svc: Service): string[] {
  const text = svc.metadata.annotations?.[SOURCES];
  return text ? text.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
}

export interface RenderedService {
  service: Service;
  /** The export whose spec, labels and annotations the replica carries. */
  winner: Export;
  conflicts: Conflict[];
}

/**
 * The replica Service for one namespace/name in `destination`, from every export of that key
 * that targets it. `extraSources` are clusters kept in SOURCES although they have no export
 * now (unavailable sources: their replicas must not look abandoned).
 */
export function renderService(config: Config, destination: string, exports: readonly Export[], extraSources: readonly string[] = []): RenderedService {
  const ordered = byAge(exports);
  const winner = ordered[0];
  if (!winner) throw new Error('renderService needs at least one export');
  const src = winner.service;
  const namespace = src.metadata.namespace ?? 'default';
  const name = src.metadata.name;
  const kind = serviceKind(src);

  const spec: Service['spec'] = {};
  if (kind === 'ExternalName') {
    spec.type = 'ExternalName';
    if (src.spec.externalName !== undefined) spec.externalName = src.spec.externalName;
  } else {
    // NodePort / LoadBalancer would allocate node ports or cloud load balancers in the destination.
    spec.type = 'ClusterIP';
    if (kind === 'Headless') spec.clusterIP = 'None';
  }
  const ports = replicaPorts(src.spec.ports);
  if (ports.length > 0) spec.ports = ports;
  if (src.spec.sessionAffinity !== undefined) spec.sessionAffinity = src.spec.sessionAffinity;
  if (src.spec.sessionAffinityConfig !== undefined) spec.sessionAffinityConfig = structuredClone(src.spec.sessionAffinityConfig);

  const sources = [...new Set([...ordered.map((e) => e.sourceCluster), ...extraSources])].sort(cmp);
  const labels = sortedRecord({
    ...copyFiltered(config.copyLabels, src.metadata.labels),
    ...winner.stampLabels,
    ...ownershipLabels(config.instance),
  });
  const annotations = sortedRecord({
    ...copyFiltered(config.copyAnnotations, src.metadata.annotations),
    ...winner.stampAnnotations,
    [SOURCES]: sources.join(','),
  });

  const conflicts: Conflict[] = [];
  const oldestWins = (kind: Conflict['kind'], other: Export, theirs: string, mine: string) => conflicts.push({
    kind, cluster: destination, namespace, name,
    message: `${other.sourceCluster} exports ${theirs}, ${winner.sourceCluster} ${mine}; ${winner.sourceCluster} has the oldest export and wins`,
  });
  const mine = describePorts(src);
  for (const other of ordered.slice(1)) {
    const otherKind = serviceKind(other.service);
    if (otherKind !== kind) oldestWins('type-mismatch', other, describeKind(otherKind), describeKind(kind));
    const theirs = describePorts(other.service);
    if (theirs !== mine) oldestWins('port-mismatch', other, theirs, mine);
  }

  return {
    service: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels, annotations }, spec },
    winner,
    conflicts,
  };
}

// ---------------------------------------------------------------------------------------------
// Replica EndpointSlices

/** Ports normalized as the apiserver returns them (name "" and protocol TCP by default), in a fixed order. */
export function normalizeSlicePorts(ports: readonly EndpointPort[] | null | undefined): EndpointPort[] {
  return (ports ?? [])
    .map((p) => {
      const out: EndpointPort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP' };
      if (p.port !== undefined) out.port = p.port;
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    })
    .sort((a, b) => cmp(canonicalJson(a), canonicalJson(b)));
}

function renderEndpoint(ep: Endpoint): Endpoint {
  const out: Endpoint = { addresses: [...ep.addresses] };
  if (ep.conditions) {
    const c: EndpointConditions = {};
    if (ep.conditions.ready !== undefined) c.ready = ep.conditions.ready;
    if (ep.conditions.serving !== undefined) c.serving = ep.conditions.serving;
    if (ep.conditions.terminating !== undefined) c.terminating = ep.conditions.terminating;
    out.conditions = c;
  }
  // hostname is what makes <pod>.<svc> DNS names of StatefulSets resolve in the destination.
  if (ep.hostname !== undefined) out.hostname = ep.hostname;
  if (ep.zone !== undefined) out.zone = ep.zone;
  return out;
}

/** Where an address came from, kept as an annotation because nodeName/targetRef would name objects the destination does not have. */
function originOf(ep: Endpoint, namespace: string): string | undefined {
  const pod = ep.targetRef?.name ? `${ep.targetRef.namespace ?? namespace}/${ep.targetRef.name}` : '';
  const node = ep.nodeName ? `@${ep.nodeName}` : '';
  return pod || node ? pod + node : undefined;
}

const firstAddress = (ep: Endpoint): string | undefined => ep.addresses?.[0];

function byFirstAddress(a: Endpoint, b: Endpoint): number {
  return cmp(firstAddress(a) ?? '', firstAddress(b) ?? '');
}

/** Room for "-<8 hex>-<number>" within the 253 characters of a DNS subdomain. */
const MAX_SERVICE_PART = 253 - 1 - 8 - 1 - 10;

function namePrefix(serviceName: string, hash: string): string {
  const svc = serviceName.slice(0, MAX_SERVICE_PART).replace(/[-.]+$/, '');
  return `${svc}-${hash}-`;
}

function groupSignature(sourceCluster: string, addressType: string, ports: readonly EndpointPort[]): string {
  return canonicalJson([sourceCluster, addressType, ports]);
}

/** The name of replica slice `n` of a group; exported so tests can build destination state by hand. */
export function replicaSliceName(serviceName: string, sourceCluster: string, addressType: string, ports: readonly EndpointPort[] | null | undefined, n: number): string {
  return `${namePrefix(serviceName, hash8(groupSignature(sourceCluster, addressType, normalizeSlicePorts(ports))))}${n}`;
}

/** Endpoints from one source cluster that share an address type and a port list: they pack together. */
export interface SliceGroup {
  sourceCluster: string;
  addressType: EndpointSlice['addressType'];
  ports: EndpointPort[];
  /** Every slice of this group is named prefix + a positive number. */
  prefix: string;
  /** Rendered, one per first address, sorted by first address. */
  endpoints: Endpoint[];
  /** First address -> "podNamespace/podName@nodeName". */
  origins: Map<string, string>;
  stampLabels: Record<string, string>;
  stampAnnotations: Record<string, string>;
}

interface Candidate {
  endpoint: Endpoint;
  origin: string | undefined;
}

/**
 * When one address sits in two source slices (the source controller moving it between slices),
 * keep the copy that can serve traffic; the tie-break is on content so input order never matters.
 */
function preferred(a: Candidate, b: Candidate): Candidate {
  const rank = (c: Candidate) => [
    c.endpoint.conditions?.ready === false ? '1' : '0',
    c.endpoint.conditions?.serving === false ? '1' : '0',
    c.endpoint.conditions?.terminating === true ? '1' : '0',
    canonicalJson([c.endpoint, c.origin ?? null]),
  ];
  return cmpTuple(rank(a), rank(b)) <= 0 ? a : b;
}

export function sliceGroups(namespace: string, serviceName: string, exports: readonly Export[]): SliceGroup[] {
  interface Draft {
    sourceCluster: string;
    addressType: EndpointSlice['addressType'];
    ports: EndpointPort[];
    signature: string;
    candidates: Map<string, Candidate>;
    stampLabels: Record<string, string>;
    stampAnnotations: Record<string, string>;
  }
  const drafts = new Map<string, Draft>();
  for (const ex of exports) {
    if (serviceKind(ex.service) === 'ExternalName') continue;
    for (const slice of ex.slices) {
      const ports = normalizeSlicePorts(slice.ports);
      const signature = groupSignature(ex.sourceCluster, slice.addressType, ports);
      let draft = drafts.get(signature);
      if (!draft) {
        draft = {
          sourceCluster: ex.sourceCluster,
          addressType: slice.addressType,
          ports,
          signature,
          candidates: new Map(),
          stampLabels: ex.stampLabels,
          stampAnnotations: ex.stampAnnotations,
        };
        drafts.set(signature, draft);
      }
      for (const ep of slice.endpoints ?? []) {
        const first = firstAddress(ep);
        if (first === undefined) continue;
        const candidate: Candidate = { endpoint: renderEndpoint(ep), origin: originOf(ep, namespace) };
        const previous = draft.candidates.get(first);
        draft.candidates.set(first, previous ? preferred(previous, candidate) : candidate);
      }
    }
  }
  const usedPrefixes = new Set<string>();
  return [...drafts.values()]
    .sort((a, b) => cmp(a.signature, b.signature))
    .map((d) => {
      // Two groups of one Service hashing alike is a 1-in-4-billion event, but names must never collide.
      let prefix = namePrefix(serviceName, hash8(d.signature));
      for (let salt = 1; usedPrefixes.has(prefix); salt++) prefix = namePrefix(serviceName, hash8(`${d.signature}#${salt}`));
      usedPrefixes.add(prefix);
      const firsts = [...d.candidates.keys()].sort(cmp);
      const origins = new Map<string, string>();
      for (const f of firsts) {
        const origin = d.candidates.get(f)!.origin;
        if (origin !== undefined) origins.set(f, origin);
      }
      return {
        sourceCluster: d.sourceCluster,
        addressType: d.addressType,
        ports: d.ports,
        prefix,
        endpoints: firsts.map((f) => d.candidates.get(f)!.endpoint),
        origins,
        stampLabels: d.stampLabels,
        stampAnnotations: d.stampAnnotations,
      };
    });
}

export interface PackedSlice {
  n: number;
  endpoints: Endpoint[];
}

/**
 * Packs endpoints into numbered slices so that one pod's change rewrites one slice: endpoints
 * stay where they are, departed ones leave a gap that the next new endpoint fills, and only
 * then do new endpoints go to the lowest-numbered slice with room or to new slices.
 * `desired` has one endpoint per first address; `isFree(n)` says whether number n may be taken
 * by a new slice. Returns non-empty slices sorted by number, endpoints sorted by first address.
 */
export function packEndpoints(desired: readonly Endpoint[], existing: readonly PackedSlice[], max: number, isFree: (n: number) => boolean = () => true): PackedSlice[] {
  if (!Number.isInteger(max) || max < 1) throw new Error(`maxEndpointsPerSlice must be a positive integer, not ${max}`);
  const want = new Map<string, Endpoint>();
  for (const ep of desired) {
    const first = firstAddress(ep);
    if (first !== undefined && !want.has(first)) want.set(first, ep);
  }
  const placed = new Set<string>();
  const bins = [...existing]
    .sort((a, b) => a.n - b.n)
    .map(({ n, endpoints }) => {
      const kept: Endpoint[] = [];
      let lost = false;
      for (const ep of [...endpoints].sort(byFirstAddress)) {
        const first = firstAddress(ep);
        const now = first === undefined ? undefined : want.get(first);
        if (first === undefined || now === undefined || placed.has(first) || kept.length >= max) {
          lost = true;
          continue;
        }
        kept.push(now);
        placed.add(first);
      }
      return { n, endpoints: kept, lost };
    });
  const fresh = [...want.entries()].filter(([first]) => !placed.has(first)).sort(([a], [b]) => cmp(a, b)).map(([, ep]) => ep);
  let next = 0;
  for (const bin of [...bins.filter((b) => b.lost), ...bins.filter((b) => !b.lost)]) {
    while (bin.endpoints.length < max && next < fresh.length) bin.endpoints.push(fresh[next++]!);
  }
  const taken = new Set(bins.map((b) => b.n));
  let n = 1;
  while (next < fresh.length) {
    while (taken.has(n) || !isFree(n)) n++;
    bins.push({ n, endpoints: fresh.slice(next, next + max), lost: false });
    taken.add(n);
    next += max;
  }
  return bins
    .filter((b) => b.endpoints.length > 0)
    .map((b) => ({ n: b.n, endpoints: [...b.endpoints].sort(byFirstAddress) }))
    .sort((a, b) => a.n - b.n);
}

function buildSlice(config: Config, namespace: string, serviceName: string, group: SliceGroup, n: number, endpoints: Endpoint[]): EndpointSlice {
  const origins = endpoints
    .map((ep) => firstAddress(ep)!)
    .filter((f) => group.origins.has(f))
    .sort(cmp);
  const annotations: Record<string, string> = { ...group.stampAnnotations };
  if (origins.length > 0) {
    // Built by hand: JSON.stringify would reorder keys that look like integers (possible for FQDN addresses).
    annotations[ENDPOINT_ORIGINS] = `{${origins.map((f) => `${JSON.stringify(f)}:${JSON.stringify(group.origins.get(f))}`).join(',')}}`;
  }
  const labels = sortedRecord({
    ...group.stampLabels,
    [SERVICE_NAME]: serviceName,
    [SLICE_MANAGED_BY]: SLICE_MANAGED_BY_VALUE,
    [MCS_SOURCE_CLUSTER]: group.sourceCluster,
    [MCS_SERVICE_NAME]: serviceName,
    ...ownershipLabels(config.instance),
  });
  const metadata: EndpointSlice['metadata'] = { name: `${group.prefix}${n}`, namespace, labels };
  if (Object.keys(annotations).length > 0) metadata.annotations = sortedRecord(annotations);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata,
    addressType: group.addressType,
    endpoints: endpoints.map((ep) => structuredClone(ep)),
    ports: group.ports.map((p) => ({ ...p })),
  };
}

export interface RenderSlicesOptions {
  maxEndpointsPerSlice?: number;
  /** Sources whose slices are left exactly as they are (unavailable clusters). */
  skipSources?: ReadonlySet<string>;
}

/**
 * The replica slices of one Service in one destination. `existing` is what the destination
 * holds in that namespace (owned or not): slices of a group keep their endpoints, and names
 * taken by anything else are never reused.
 */
export function renderSlices(
  config: Config,
  namespace: string,
  serviceName: string,
  exports: readonly Export[],
  existing: readonly EndpointSlice[],
  opts: RenderSlicesOptions = {},
): EndpointSlice[] {
  const max = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
  const skip = opts.skipSources ?? new Set<string>();
  const groups = sliceGroups(namespace, serviceName, exports).filter((g) => !skip.has(g.sourceCluster));
  const members = new Map<SliceGroup, PackedSlice[]>(groups.map((g) => [g, []]));
  const memberNames = new Set<string>();
  for (const slice of existing) {
    if ((slice.metadata.namespace ?? namespace) !== namespace) continue;
    // Only a live slice of ours, from the same source, is ours to repack; anything else keeps its name.
    if (!isOwned(slice.metadata, config.instance) || slice.metadata.deletionTimestamp) continue;
    for (const g of groups) {
      const n = numberAfter(slice.metadata.name, g.prefix);
      if (n === undefined || slice.metadata.labels?.[MCS_SOURCE_CLUSTER] !== g.sourceCluster) continue;
      members.get(g)!.push({ n, endpoints: slice.endpoints ?? [] });
      memberNames.add(slice.metadata.name);
    }
  }
  const reserved = new Set(existing.map((s) => s.metadata.name).filter((name) => !memberNames.has(name)));
  const out: EndpointSlice[] = [];
  for (const g of groups) {
    const packed = packEndpoints(g.endpoints, members.get(g)!, max, (n) => !reserved.has(`${g.prefix}${n}`));
    for (const p of packed) out.push(buildSlice(config, namespace, serviceName, g, p.n, p.endpoints));
  }
  return out.sort((a, b) => cmp(a.metadata.name, b.metadata.name));
}

function numberAfter(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^[1-9][0-9]{0,9}$/.test(rest) ? Number(rest) : undefined;
}
