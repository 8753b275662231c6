// The About API's ClusterProperty objects of each cluster (KEP-2149: cluster-scoped, name = the
// property, spec.value = its value), which locality tiers select on next to the config's
// `properties`. Watched only where tiers may apply; a cluster without the About API (404) or
// without the grant (403) simply has no such properties: an absence, not an outage.
import type { Config } from '../../config/types.ts';
import { KubeApiError } from '../../kube/client.ts';
import { Store, type CacheStore, type StoreEvent } from '../../kube/store.ts';
import { localityWanted } from '../../model/locality/plan.ts';
import { ABOUT_API_VERSION, type ClusterProperty } from '../../vocab/inventory.ts';
import type { InformerRegistry } from './informers.ts';
import { OptionalCollection } from './optional-collection.ts';

export const CLUSTER_PROPERTIES_PATH = `/apis/${ABOUT_API_VERSION}/clusterproperties`;

/** Only what selection reads: the name and the value. */
function propertyForCache(p: ClusterProperty): ClusterProperty {
  const { name, resourceVersion } = p.metadata;
  return { metadata: { name, ...(resourceVersion !== undefined ? { resourceVersion } : {}) }, spec: { value: p.spec?.value ?? '' } };
}

export class ClusterPropertyObjects extends OptionalCollection {
  readonly path = CLUSTER_PROPERTIES_PATH;
  store: CacheStore<ClusterProperty> = new Store<ClusterProperty>(undefined, propertyForCache);

  /** Property name → value, as the cluster declares them now. */
  values(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of this.store.values()) out[p.metadata.name] = p.spec.value;
    return out;
  }

  protected readonly missing = 'list, watch clusterproperties.about.k8s.io';

  protected isAbsence(err: Error): boolean {
    return err instanceof KubeApiError && (err.status === 404 || err.status === 403);
  }

  protected absentMessage(err: Error): string {
    return (err as KubeApiError).status === 404
      ? 'the cluster does not serve the About API (ClusterProperty): locality tiers see only the properties the config gives it'
      : 'the ClusterProperties may not be read (grant list and watch on clusterproperties.about.k8s.io): locality tiers see only the properties the config gives it';
  }

  protected backMessage(): string {
    return 'the cluster\'s ClusterProperties can be read: locality tiers select on them';
  }
}

/**
 * The ClusterProperty watches of every cluster, where locality tiers may apply (in pull mode only
 * the local cluster's credential is asked for them); `onEvent` gets each change.
 */
export function declareClusterProperties(config: Config, localCluster: string | undefined, registry: InformerRegistry, onEvent: (p: ClusterPropertyObjects, e: StoreEvent<ClusterProperty>) => void): Map<string, ClusterPropertyObjects> {
  const out = new Map<string, ClusterPropertyObjects>();
  for (const c of config.clusters) {
    const p = declareJoiningClusterProperties(config, c.name, localCluster, registry, onEvent);
    if (p) out.set(c.name, p);
  }
  return out;
}

/** The ClusterProperty watch of one cluster (also one joining at run time), when tiers may apply and it is read with a writer's credential. */
export function declareJoiningClusterProperties(config: Config, cluster: string, localCluster: string | undefined, registry: InformerRegistry, onEvent: (p: ClusterPropertyObjects, e: StoreEvent<ClusterProperty>) => void): ClusterPropertyObjects | undefined {
  if (!localityWanted(config) || (localCluster !== undefined && localCluster !== cluster)) return undefined;
  const p = new ClusterPropertyObjects(cluster);
  p.store = registry.need<ClusterProperty>({ cluster, resource: 'clusterproperties', path: () => p.path, projection: { name: 'cluster-property', of: propertyForCache } }, (e) => onEvent(p, e));
  return p;
}
