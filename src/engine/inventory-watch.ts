// The inventory while `mcsync run` runs: a list+watch of the hub's ClusterProfiles, and the
// fleet kept equal to them. A profile added becomes a cluster exactly as at start
// (config/inventory.ts), is connected and checked as at start (engine/clusters.ts), and joins
// the running controller; one that cannot (no provider offered, a plugin that fails, an
// apiserver that does not answer) is unavailable, with the reason on /status, and is tried
// again. A profile deleted is a *removed* cluster: it leaves the controller, and
// `inventory.onRemove` says what becomes of what it sourced.
//
// Only membership follows the hub here. A running cluster's profile that changes (another
// server, provider or rule) keeps its connection until the next reload, as does every setting
// of the config file: the file's changes go through the full reload (cli/run.ts).
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { joinInventory, profileToCluster, type ProfileOutcome } from '../config/inventory.ts';
import type { KubeClient } from '../kube/client.ts';
import { Reflector } from '../kube/reflector.ts';
import { Store } from '../kube/store.ts';
import { INVENTORY_API_VERSION, type ClusterProfile } from '../vocab/inventory.ts';
import { connectAvailable, type Connected } from './clusters.ts';
import { hubClient } from './inventory.ts';

/** How often profiles that could not join are tried again, besides at each change on the hub. */
export const RETRY_UNAVAILABLE_MS = 30_000;

/** What the watch needs of the running controller (the Manager). */
export interface Fleet {
  readonly config: Config;
  has(cluster: string): boolean;
  /** Starts the join; need not wait for the cluster's watches to list. */
  join(connected: Connected, config: Config): Promise<void>;
  leave(cluster: string, config: Config, keep: boolean): Promise<void>;
}

/** A profile on the hub that is not part of the running fleet, and why. */
export interface UnavailableProfile {
  profile: string;
  cluster: string;
  reason: string;
  /** ISO time it was first found unavailable (in this run of failures). */
  since: string;
}

export interface InventoryWatchStatus {
  hub: string;
  namespace: string;
  labelSelector?: string;
  /** The profiles' watch has listed. */
  synced: boolean;
  onRemove: 'keep' | 'withdraw';
  unavailable: UnavailableProfile[];
}

export interface InventoryWatchOptions {
  /** The config file as loaded, before the inventory's clusters are joined to it. */
  file: Config;
  /** The running controller (it changes on a reload; a new watch is made then). */
  fleet: () => Fleet;
  /** Runs membership changes one at a time, in line with config reloads. */
  serialize: (work: () => Promise<void>) => Promise<void>;
  log: Logger;
  /** Tests and in-pod runs may hand in a client; default the inventory's hub. */
  client?: KubeClient;
}

export class InventoryWatch {
  readonly #o: InventoryWatchOptions;
  readonly #client: KubeClient;
  readonly #store = new Store<ClusterProfile>();
  readonly #reflector: Reflector<ClusterProfile>;
  readonly #unavailable = new Map<string, UnavailableProfile>();
  #pending = false;
  #stopped = false;
  #timer?: NodeJS.Timeout;

  constructor(o: InventoryWatchOptions) {
    const inv = o.file.inventory;
    if (!inv) throw new Error('the config has no inventory to watch');
    this.#o = o;
    this.#client = o.client ?? hubClient(inv);
    this.#reflector = new Reflector<ClusterProfile>({
      listerWatcher: this.#client,
      store: this.#store,
      path: `/apis/${INVENTORY_API_VERSION}/namespaces/${encodeURIComponent(inv.namespace)}/clusterprofiles`,
      ...(inv.labelSelector !== undefined ? { labelSelector: inv.labelSelector } : {}),
      watchTimeoutSeconds: o.file.controller.watchTimeoutSeconds,
      resyncMs: o.file.controller.resyncMs,
      onEvent: () => this.#schedule(),
      onError: (err) => o.log.warn({ hub: this.#client.server, err: err.message }, 'inventory watch error'),
    });
  }

  start(): void {
    this.#reflector.start();
    // The first pass once listed: a profile added or deleted since the config was resolved counts too.
    void this.#reflector.whenSynced().then(() => this.#schedule());
    this.#timer = setInterval(() => {
      if (this.#unavailable.size > 0) this.#schedule();
    }, RETRY_UNAVAILABLE_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#reflector.stop();
    if (!this.#o.client) this.#client.close();
  }

  status(): InventoryWatchStatus {
    const inv = this.#o.file.inventory!;
    return {
      hub: this.#client.server,
      namespace: inv.namespace,
      ...(inv.labelSelector !== undefined ? { labelSelector: inv.labelSelector } : {}),
      synced: this.#reflector.synced,
      onRemove: inv.onRemove,
      unavailable: [...this.#unavailable.values()],
    };
  }

  /** Coalesced: many events while one pass is queued make one pass, which reads the store as it then is. */
  #schedule(): void {
    if (this.#pending || this.#stopped || !this.#reflector.synced) return;
    this.#pending = true;
    void this.#o.serialize(async () => {
      this.#pending = false;
      if (this.#stopped) return;
      await this.#reconcile();
    }).catch((err: unknown) => this.#o.log.error({ error: (err as Error).message }, 'inventory change failed'));
  }

  /** Brings the running fleet in line with the profiles the hub holds now. */
  async #reconcile(): Promise<void> {
    const inv = this.#o.file.inventory!;
    const fleet = this.#o.fleet();
    const profiles = [...this.#store.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    const outcomes = new Map(profiles.map((p) => [p.metadata.name, profileToCluster(p, inv)]));
    const running = fleet.config.clusters.filter((c) => c.origin?.kind === 'inventory');
    for (const name of this.#unavailable.keys()) if (!outcomes.has(name)) this.#unavailable.delete(name);
    // Removed first: a profile deleted and another added in one pass never counts both.
    for (const c of running) {
      if (outcomes.has(c.name)) continue;
      const keep = inv.onRemove === 'keep';
      const next = this.#fleetConfig(fleet, running.filter((r) => r.name !== c.name && outcomes.has(r.name)).map((r) => r.name), outcomes);
      this.#o.log.warn({ cluster: c.name, profile: `${inv.namespace}/${c.name}`, onRemove: inv.onRemove }, 'ClusterProfile deleted: removing the cluster from the fleet');
      await fleet.leave(c.name, next, keep);
    }
    for (const [name, outcome] of outcomes) {
      if (fleet.has(name) || this.#stopped) continue;
      await this.#join(fleet, name, outcome, outcomes);
    }
  }

  async #join(fleet: Fleet, name: string, outcome: ProfileOutcome, outcomes: ReadonlyMap<string, ProfileOutcome>): Promise<void> {
    const profile = `${outcome.namespace}/${outcome.name}`;
    const unavailable = (reason: string) => {
      const was = this.#unavailable.get(name);
      if (was?.reason !== reason) this.#o.log.warn({ cluster: name, profile, reason }, 'ClusterProfile cannot join the fleet');
      this.#unavailable.set(name, { profile, cluster: name, reason, since: was?.since ?? new Date().toISOString() });
    };
    if (outcome.problem !== undefined || !outcome.cluster) {
      unavailable(`${outcome.provider !== undefined ? `provider "${outcome.provider}": ` : ''}${outcome.problem ?? 'no cluster'}`);
      return;
    }
    if (this.#o.file.clusters.some((c) => c.name === name)) {
      unavailable(`cluster "${name}" is also in clusters: of the config file; one name is one cluster`);
      return;
    }
    const live = fleet.config.clusters.filter((c) => c.origin?.kind === 'inventory' && outcomes.has(c.name)).map((c) => c.name);
    const config = this.#fleetConfig(fleet, [...live, name], outcomes);
    const cluster = config.clusters.find((c) => c.name === name)!;
    // The same checks as at start: reachable through its plugin's credentials, and serving the MCS API when mcs is on.
    const reached = await connectAvailable({ ...config, clusters: [cluster] });
    const failed = reached.unavailable[0];
    const connected = reached.connected.get(name);
    if (failed || !connected) {
      unavailable(failed?.issue.message ?? `cluster ${name} could not be connected`);
      return;
    }
    if (this.#stopped) {
      connected.client.close();
      return;
    }
    this.#unavailable.delete(name);
    this.#o.log.info({ cluster: name, profile, provider: outcome.provider, version: connected.version }, 'ClusterProfile added: the cluster joins the fleet');
    await fleet.join(connected, config);
  }

  /**
   * The fleet's config with these inventory clusters (in name order, as at start) after the
   * file's, each from its profile as it reads now (so a rule's written exportTo naming a cluster
   * that just joined reaches it); a running cluster whose profile no longer resolves keeps the
   * settings it runs with until the next reload.
   */
  #fleetConfig(fleet: Fleet, names: readonly string[], outcomes: ReadonlyMap<string, ProfileOutcome>): Config {
    const chosen = [...new Set(names)].sort().flatMap((n): ProfileOutcome[] => {
      const o = outcomes.get(n);
      if (o?.cluster) return [o];
      const running = fleet.config.clusters.find((c) => c.name === n);
      return running && o ? [{ ...o, cluster: running }] : [];
    });
    return joinInventory(this.#o.file, chosen.map(({ problem: _p, ...o }) => o)).config;
  }
}
