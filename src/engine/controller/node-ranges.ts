// The pod ranges a cluster's Nodes declare, as the controller knows them: a watch of the Nodes
// into a store of projections (name, resourceVersion, spec.podCIDR(s): nothing else of a Node is
// kept), and the CIDR set the endpoint guard bounds the cluster's exports by when the config
// names no podCIDRs for it. `sync` lists the Nodes once (kube/read.ts); this keeps them current,
// so a Node added with a new range lets its pods' addresses through without a restart.
//
// A credential that may not list or watch Nodes (403) is not an outage: the cluster works as
// `sync` has it, with the range check off ("guard off"), and its health is not touched. The
// reflector keeps re-asking at its backoff (at most every 30 s), so a grant given later turns the
// check on by itself. A grant withdrawn while running keeps the ranges last seen: dropping them
// would turn the check off, and a revoked grant is not a reason to trust a source more.
import type { Logger } from 'pino';
import type { ClusterConfig, Config } from '../../config/types.ts';
import { nodeForCache } from '../../model/cache-projections.ts';
import { nodePodCidrs } from '../../model/node-cidrs.ts';
import { KubeApiError } from '../../kube/client.ts';
import { PATHS } from '../../kube/read.ts';
import { Store, type CacheStore, type StoreEvent } from '../../kube/store.ts';
import type { InformerRegistry } from './informers.ts';
import { OptionalCollection } from './optional-collection.ts';
import { cmp } from '../../model/canonical.ts';
import { storeKey } from '../../vocab/keys.ts';
import type { Node } from '../../vocab/objects.ts';
import { ZONE_LABEL } from '../../vocab/labels.ts';
import { localityWanted } from '../../model/locality/plan.ts';

/** Whether a cluster can be a source (with mcs, any) and names no podCIDRs in the config. */
export function isRangelessSource(config: Config, c: ClusterConfig): boolean {
  return c.podCIDRs === undefined && (config.mcs || c.exports.length > 0);
}

/** The clusters that can be a source (with mcs, any) and name no podCIDRs in the config. */
export function rangelessSources(config: Config): ClusterConfig[] {
  return config.clusters.filter((c) => isRangelessSource(config, c));
}

/**
 * The clusters whose Nodes are watched: the rangeless sources read with a writer's credential,
 * which grants Nodes (deploy/rbac/destination-writer.yaml; engine/requirements.ts, read-nodes):
 * all of them in push mode, only the local cluster in pull mode (`localCluster`), and, where
 * locality tiers may apply, every cluster written to (their zones are what tiers hint for).
 * Another cluster is read in pull mode with a reader's credential, which is not asked for Nodes.
 */
export function nodeWatchedClusters(config: Config, localCluster?: string): ClusterConfig[] {
  return config.clusters.filter((c) => nodesWatched(config, c, localCluster));
}

/** Whether one cluster's Nodes are watched, by nodeWatchedClusters' rule. */
function nodesWatched(config: Config, c: ClusterConfig, localCluster: string | undefined): boolean {
  return (localCluster === undefined || localCluster === c.name) && (localityWanted(config) || isRangelessSource(config, c));
}

/** The answer of a Nodes list or watch that means the credential lacks the grant. */
export function isRefusal(err: Error): boolean {
  return err instanceof KubeApiError && err.status === 403;
}

export class NodeRanges extends OptionalCollection {
  readonly path = PATHS.nodes();
  /** The Nodes, as the watch keeps them; the controller hands in its shared informer's. */
  store: CacheStore<Node> = new Store<Node>(undefined, nodeForCache);
  /** The CIDRs each Node was counted with, and how many Nodes declare each CIDR. */
  readonly #byNode = new Map<string, string[]>();
  readonly #counts = new Map<string, number>();
  /** Sorted on first read after a change: a list of thousands of Nodes sorts once, not per Node. */
  #sorted: string[] | undefined;
  readonly #zoneByNode = new Map<string, string>();
  #zones: string[] | undefined;

  /** The distinct zone labels of the Nodes, sorted (none labelled: empty). */
  get zones(): string[] {
    return (this.#zones ??= [...new Set([...this.#zoneByNode.values()])].sort(cmp));
  }

  /** Takes in a change the reflector made to the store; true when the set of zones changed. */
  applyZone(e: StoreEvent<Node>): boolean {
    const key = storeKey(e.object);
    const zone = this.store.get(key)?.metadata.labels?.[ZONE_LABEL];
    const before = this.zones.join();
    if (zone !== undefined && zone !== '') this.#zoneByNode.set(key, zone);
    else this.#zoneByNode.delete(key);
    this.#zones = undefined;
    return this.zones.join() !== before;
  }

  /** The sorted, de-duplicated CIDRs the Nodes declare; undefined while none does or they cannot be read. */
  get cidrs(): string[] | undefined {
    if (this.#counts.size === 0) return undefined;
    return (this.#sorted ??= [...this.#counts.keys()].sort(cmp));
  }

  /**
   * Takes in a change the reflector made to the store (which it has already applied); true when
   * the cluster's CIDR set changed. The store is the truth: a Node counts with what it holds now.
   */
  apply(e: StoreEvent<Node>): boolean {
    const key = storeKey(e.object);
    const now = this.store.get(key);
    const after = now ? nodePodCidrs([now]) ?? [] : [];
    const before = this.#byNode.get(key) ?? [];
    if (after.length > 0) this.#byNode.set(key, after);
    else this.#byNode.delete(key);
    // Counts that reach 0 and counts that leave it; a CIDR in both (a Node modified) is still there.
    const gone = new Set<string>();
    const fresh = new Set<string>();
    for (const c of before) {
      const n = this.#counts.get(c)! - 1;
      if (n > 0) this.#counts.set(c, n);
      else {
        this.#counts.delete(c);
        gone.add(c);
      }
    }
    for (const c of after) {
      const n = (this.#counts.get(c) ?? 0) + 1;
      this.#counts.set(c, n);
      if (n === 1) fresh.add(c);
    }
    const changed = [...gone].some((c) => !fresh.has(c)) || [...fresh].some((c) => !gone.has(c));
    if (changed) this.#sorted = undefined;
    return changed;
  }

  protected readonly missing = 'list, watch nodes';

  protected isAbsence(err: Error): boolean {
    return isRefusal(err);
  }

  protected absentMessage(): string {
    return this.cidrs ? 'the Nodes may not be read any more: the pod ranges last seen stay in force' : 'the Nodes may not be read: the endpoint guard\'s range check is off for this cluster (grant list and watch on nodes, or set podCIDRs in the config)';
  }

  protected backMessage(): string {
    return 'the Nodes can be read again: their pod ranges bound this cluster\'s endpoints';
  }
}

/** One NodeRanges per watched cluster, shared by the replica and the MCS paths. */
export function nodeRangesOf(config: Config, localCluster?: string): Map<string, NodeRanges> {
  return new Map(nodeWatchedClusters(config, localCluster).map((c) => [c.name, new NodeRanges(c.name)]));
}

/**
 * The Nodes watches of every cluster that needs one, on the shared registry; `onEvent` gets each
 * change. In pull mode the other clusters are read with a reader's credential, which is not
 * asked for Nodes: said once at start.
 */
export function declareNodeRanges(config: Config, localCluster: string | undefined, registry: InformerRegistry, log: Pick<Logger, 'warn'>, onEvent: (n: NodeRanges, e: StoreEvent<Node>) => void): Map<string, NodeRanges> {
  const nodes = nodeRangesOf(config, localCluster);
  for (const c of rangelessSources(config)) {
    if (!nodes.has(c.name)) log.warn({ cluster: c.name }, 'pull mode reads this cluster with a reader\'s credential, whose Nodes are not read: its endpoints are replicated without the pod-range check (set podCIDRs for it in the config)');
  }
  for (const n of nodes.values()) declareNodesWatch(n, registry, onEvent);
  return nodes;
}

function declareNodesWatch(n: NodeRanges, registry: InformerRegistry, onEvent: (n: NodeRanges, e: StoreEvent<Node>) => void): void {
  n.store = registry.need<Node>({ cluster: n.cluster, resource: 'nodes', path: () => n.path, projection: { name: 'node', of: nodeForCache } }, (e) => onEvent(n, e));
}

/** The Nodes watch of one cluster joining at run time, when it needs one (as declareNodeRanges decides for the others). */
export function declareJoiningNodeRanges(config: Config, cluster: ClusterConfig, localCluster: string | undefined, registry: InformerRegistry, onEvent: (n: NodeRanges, e: StoreEvent<Node>) => void): NodeRanges | undefined {
  if (!nodesWatched(config, cluster, localCluster)) return undefined;
  const n = new NodeRanges(cluster.name);
  declareNodesWatch(n, registry, onEvent);
  return n;
}
