// Which source Services are exported, and where to: the config's export rules applied to what
// each source cluster holds. Pure: the snapshots were read elsewhere.
import type { ClusterConfig, Config, ExportRule, StalePolicy } from '../config/types.ts';
import { cmp, cmpTuple } from './canonical.ts';
import { isReplica, PROTECTED_NAMESPACES, PROTECTED_SERVICES } from '../vocab/labels.ts';
import { matchesLabelSelector } from '../vocab/selector.ts';
import type { ExcludedService, Export, SourceSnapshot } from './types.ts';
import type { EndpointSlice, Service } from '../vocab/objects.ts';
import { guardSlices, MAX_SERVICE_PORTS, podRanges, type Rejection } from './endpoint-guard.ts';

export interface Selection {
  exports: Export[];
  excluded: ExcludedService[];
  /** What the endpoint guard dropped from exported Services: never replicated anywhere. */
  rejected: Rejection[];
  /** Source clusters whose pod ranges are unknown, so their addresses were not range-checked. */
  unguarded: { cluster: string; unchecked: number }[];
}

function ruleMatches(rule: ExportRule, svc: Service): boolean {
  const { name, namespace, labels } = svc.metadata;
  if (rule.namespace !== undefined && rule.namespace !== namespace) return false;
  if (rule.nameMatches && rule.nameMatches.length > 0 && !rule.nameMatches.some((re) => testRegExp(re, name))) return false;
  if (rule.names && !rule.names.includes(name)) return false;
  if (rule.selector && !matchesLabelSelector(rule.selector, labels)) return false;
  if (rule.exclude?.includes(name)) return false;
  return true;
}

/** A global or sticky RegExp keeps lastIndex between test() calls; a fresh copy keeps matching stateless. */
function testRegExp(re: RegExp, text: string): boolean {
  return re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')).test(text) : re.test(text);
}

function isProtected(namespace: string, name: string): boolean {
  return PROTECTED_NAMESPACES.includes(namespace) || PROTECTED_SERVICES.includes(`${namespace}/${name}`);
}

export function selectExports(config: Config, sources: SourceSnapshot[]): Selection {
  const exports: Export[] = [];
  const excluded: ExcludedService[] = [];
  const rejected: Rejection[] = [];
  const unguarded: Selection['unguarded'] = [];
  for (const cluster of config.clusters) {
    const snapshot = sources.find((s) => s.cluster === cluster.name);
    if (!snapshot) continue;
    const ranges = podRanges(cluster.podCIDRs ?? snapshot.podCidrs);
    let unchecked = 0;
    const seen = new Set<string>();
    for (const listed of snapshot.services) {
      // Everything downstream keys on the namespace, so an object listed without one gets the API's default.
      const namespace = listed.metadata.namespace ?? 'default';
      const svc: Service = listed.metadata.namespace === namespace ? listed : { ...listed, metadata: { ...listed.metadata, namespace } };
      const name = svc.metadata.name;
      const key = `${namespace}/${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // A replica (of any mcsync installation) exported again would bounce between clusters forever.
      if (isReplica(svc.metadata)) continue;
      const matching = cluster.exports.filter((rule) => ruleMatches(rule, svc));
      if (matching.length === 0) continue;
      const prot = isProtected(namespace, name);
      const allowed = matching.filter((rule) => !prot || rule.force);
      if (allowed.length === 0) {
        excluded.push({
          cluster: cluster.name,
          namespace,
          name,
          reason: PROTECTED_SERVICES.includes(key)
            ? `${key} is never exported unless the rule says force: true`
            : `namespace ${namespace} is never exported unless the rule says force: true`,
        });
        continue;
      }
      // Exporting something mid-deletion would create a replica only to delete it next round.
      if (svc.metadata.deletionTimestamp) {
        excluded.push({ cluster: cluster.name, namespace, name, reason: 'the Service is being deleted' });
        continue;
      }
      // No slice can carry more ports than this, so such a Service cannot be a faithful replica.
      const portCount = svc.spec.ports?.length ?? 0;
      if (portCount > MAX_SERVICE_PORTS) {
        excluded.push({ cluster: cluster.name, namespace, name, reason: `the Service has ${portCount} ports, more than the ${MAX_SERVICE_PORTS} an EndpointSlice can hold` });
        rejected.push({ cluster: cluster.name, namespace, name, reason: 'too-many-ports', what: `${portCount} ports`, count: portCount });
        continue;
      }
      const guarded = guardSlices(sourceSlices(snapshot, key), ranges);
      unchecked += guarded.unchecked;
      for (const r of guarded.rejected) rejected.push({ cluster: cluster.name, namespace, name, ...r });
      const destinations = [...new Set(allowed.flatMap((rule) => rule.exportTo))].filter((d) => d !== cluster.name).sort(cmp);
      exports.push({
        sourceCluster: cluster.name,
        service: svc,
        slices: guarded.slices,
        destinations,
        conflictPolicy: allowed.some((rule) => rule.conflictPolicy === 'merge') ? 'merge' : 'skip',
        stampLabels: { ...cluster.replicaLabels },
        stampAnnotations: { ...cluster.replicaAnnotations },
        ...tiersOf(allowed),
      });
    }
    if (unchecked > 0) unguarded.push({ cluster: cluster.name, unchecked });
  }
  exports.sort((a, b) =>
    cmpTuple([a.service.metadata.namespace!, a.service.metadata.name, a.sourceCluster], [b.service.metadata.namespace!, b.service.metadata.name, b.sourceCluster]),
  );
  excluded.sort((a, b) => cmpTuple([a.namespace, a.name, a.cluster], [b.namespace, b.name, b.cluster]));
  rejected.sort((a, b) => cmpTuple([a.cluster, a.namespace, a.name, a.reason, a.what], [b.cluster, b.namespace, b.name, b.reason, b.what]));
  return { exports, excluded, rejected, unguarded };
}

/**
 * The source's slices, minus any mcsync wrote there itself: with conflictPolicy merge a source
 * Service also carries replica slices from other clusters, and re-exporting those would loop.
 */
function sourceSlices(snapshot: SourceSnapshot, key: string): EndpointSlice[] {
  return (snapshot.slices.get(key) ?? [])
    .filter((s) => !isReplica(s.metadata))
    .sort((a, b) => cmp(a.metadata.name, b.metadata.name));
}

/** The tiers of the first matching rule that gives any: rules are read in the order written. */
function tiersOf(rules: readonly ExportRule[]): Pick<Export, 'clusterSelectors'> {
  const withTiers = rules.find((r) => r.clusterSelectors !== undefined);
  return withTiers ? { clusterSelectors: structuredClone(withTiers.clusterSelectors!) } : {};
}

/** The stale policy of a source's Service: the first matching rule's that sets one, else the cluster's. */
export function stalePolicyOf(cluster: Pick<ClusterConfig, 'exports' | 'stalePolicy'>, svc: Service | undefined): StalePolicy {
  const rule = svc ? cluster.exports.find((r) => r.stalePolicy !== undefined && ruleMatches(r, svc)) : undefined;
  return rule?.stalePolicy ?? cluster.stalePolicy;
}
