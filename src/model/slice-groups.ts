// Which endpoints of a Service's exports belong together in replica slices: one group per
// source cluster, address type and port list, each endpoint rendered without the fields that
// name source-cluster objects (kept as provenance instead), one copy per address.
import { canonicalJson, cmp, cmpTuple, hash8 } from './canonical.ts';
import { normalizeSlicePorts } from './projection.ts';
import { serviceKind } from './service-kind.ts';
import { groupSignature, namePrefix } from './slice-names.ts';
import type { Export } from './types.ts';
import type { Endpoint, EndpointConditions, EndpointHints, EndpointPort, EndpointSlice } from '../vocab/objects.ts';

/** An endpoint is known by its first address: groups keep one endpoint per address, packing places them by it. */
export const firstAddress = (ep: Endpoint): string | undefined => ep.addresses?.[0];

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

/** A deep copy of an endpoint, without structuredClone's cost (it was a visible share of a reconcile). */
export function copyEndpoint(ep: Endpoint): Endpoint {
  const out: Endpoint = { addresses: [...ep.addresses] };
  if (ep.conditions !== undefined) out.conditions = { ...ep.conditions };
  if (ep.hostname !== undefined) out.hostname = ep.hostname;
  if (ep.zone !== undefined) out.zone = ep.zone;
  if (ep.nodeName !== undefined) out.nodeName = ep.nodeName;
  if (ep.targetRef !== undefined) out.targetRef = { ...ep.targetRef };
  if (ep.hints !== undefined) {
    const hints: EndpointHints = {};
    if (ep.hints.forZones !== undefined) hints.forZones = ep.hints.forZones.map((z) => ({ name: z.name }));
    if (ep.hints.forNodes !== undefined) hints.forNodes = ep.hints.forNodes.map((n) => ({ name: n.name }));
    out.hints = hints;
  }
  if (ep.deprecatedTopology !== undefined) out.deprecatedTopology = { ...ep.deprecatedTopology };
  return out;
}

/** Where an address came from, kept as an annotation because nodeName/targetRef would name objects the destination does not have. */
function originOf(ep: Endpoint, namespace: string): string | undefined {
  const pod = ep.targetRef?.name ? `${ep.targetRef.namespace ?? namespace}/${ep.targetRef.name}` : '';
  const node = ep.nodeName ? `@${ep.nodeName}` : '';
  return pod || node ? pod + node : undefined;
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

/** The slice groups of one Service from its exports, sorted by signature, each with a name prefix of its own. */
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
