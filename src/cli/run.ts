// `mcsync run`: the controller as a long-running process — metrics and health endpoints,
// optional leader election, SIGTERM for a bounded graceful stop, SIGHUP (or an edited config
// file) for a reload that is refused, keeping the running config, when the new one is bad.
import { watchFile, unwatchFile } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/load.ts';
import { resolveInventory } from '../engine/inventory.ts';
import { InventoryWatch } from '../engine/inventory-watch.ts';
import type { Config } from '../config/types.ts';
import { clientFor, closeAll, connectAll, type Connected } from '../engine/clusters.ts';
import { Manager } from '../engine/controller/manager.ts';
import { fleetOf } from '../engine/controller/fleet-view.ts';
import type { KubeClient } from '../kube/client.ts';
import { leaseCluster } from '../engine/requirements.ts';
import { checkLocalCluster } from '../engine/local-cluster.ts';
import { LeaderElector, leaseIdentity } from '../kube/lease.ts';
import { durationMs } from '../config/duration.ts';
import { DEFAULT_WORKER_STUCK_MS, judgeLiveness, livenessBounds } from '../engine/liveness.ts';
import { startHttpServer } from '../server/http.ts';
import { ControllerMetrics } from '../server/metrics.ts';
import type { StatusPageView } from '../server/page-script.ts';

export interface RunOptions {
  file: string;
  log: Logger;
  localCluster?: string;
  leaderElect: boolean;
  identity?: string;
  listen: string;
  shutdownTimeoutMs: number;
  /** Reload when the file changes on disk, as well as on SIGHUP. */
  watchConfig: boolean;
  fieldManager?: string;
  /** Serve the read-only status page at / and its data at /fleet. */
  statusPage?: boolean;
}

export function parseListen(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:9090 or 0.0.0.0:9090), not "${v}"`);
  return { host: (m[1] || '0.0.0.0').replace(/^\[(.*)\]$/, '$1'), port };
}

/** How long one work item may run before /healthz fails: MCSYNC_WORKER_STUCK_AFTER, a duration, default 10m. */
export function workerStuckAfterMs(env: NodeJS.ProcessEnv): number {
  const v = env.MCSYNC_WORKER_STUCK_AFTER;
  if (v === undefined || v === '') return DEFAULT_WORKER_STUCK_MS;
  const ms = /^\d/.test(v) ? (() => { try { return durationMs(v); } catch { return 0; } })() : 0;
  if (ms > 0) return ms;
  throw new Error(`MCSYNC_WORKER_STUCK_AFTER must be a duration such as "90s" or "10m", not "${v}"`);
}

/** Resolves with the process exit code once the controller has stopped. */
export async function runController(o: RunOptions): Promise<number> {
  const { log } = o;
  const workerStuckMs = workerStuckAfterMs(process.env);
  let file = loadConfig(o.file);
  let config = (await resolveInventory(file)).config;
  checkLocalCluster(config, o.localCluster);
  let clusters: Map<string, Connected> = await connectAll(config);
  const metrics = new ControllerMetrics();
  const identity = o.identity ?? leaseIdentity();
  let leading = !o.leaderElect;
  let stopping = false;
  metrics.leader.set(leading ? 1 : 0);

  const newController = (cfg: Config, cl: Map<string, Connected>) =>
    new Manager({ config: cfg, clusters: cl, log, metrics, localCluster: o.localCluster, fieldManager: o.fieldManager, isLeader: () => leading && !stopping });
  let controller = newController(config, clusters);

  // Every membership change and every reload, one at a time, in order.
  let reloading: Promise<void> = Promise.resolve();
  const serialize = (work: () => Promise<void>): Promise<void> => (reloading = reloading.then(work));
  // With an inventory, its ClusterProfiles are watched: clusters join and leave the running controller.
  const watchInventory = (f: Config): InventoryWatch | undefined => {
    if (!f.inventory) return undefined;
    const w = new InventoryWatch({
      file: f, serialize, log,
      fleet: () => ({
        config: controller.config,
        has: (name) => controller.has(name),
        join: async (c, cfg) => {
          clusters.set(c.config.name, c);
          // Not awaited: a cluster whose watches never list must not hold up every later change.
          void controller.join(c, cfg).catch((err: unknown) => log.error({ cluster: c.config.name, error: (err as Error).message }, 'cluster failed to join'));
        },
        leave: async (name, cfg, keep) => {
          await controller.leave(name, cfg, keep);
          // Nothing reads or writes there any more.
          clusters.get(name)?.client.close();
          clusters.delete(name);
        },
      }),
    });
    w.start();
    return w;
  };
  let inventoryWatch = watchInventory(file);

  let elector: LeaderElector | undefined;
  const { host, port } = parseListen(o.listen);
  const server = await startHttpServer({
    host, port, metrics,
    // Red only for a loop that stopped (engine/liveness.ts), never for an unreachable cluster.
    health: () => {
      if (stopping) return { ok: false, detail: { problems: ['stopping'] } };
      const verdict = judgeLiveness({ ...controller.liveness(), ...(elector ? { lease: elector.liveness() } : {}) }, Date.now(), livenessBounds(config, workerStuckMs));
      return { ok: verdict.ok, detail: verdict };
    },
    ready: () => ({ ok: !stopping && controller.synced, detail: { leader: leading, synced: controller.synced } }),
    status: () => ({
      identity, leader: leading, localCluster: o.localCluster ?? null, config: config.file, clusters: controller.health(),
      // Clusters whose ClusterProfile was deleted while running, and what was kept of each.
      removedClusters: controller.removed(),
      ...(inventoryWatch ? { inventory: inventoryWatch.status() } : {}),
      // Each capability's own part: spanned policies, multi-cluster services.
      ...controller.status(),
      // Each watch and how far it has seen, and the work queued and running.
      progress: controller.progress(),
    }),
    ...(o.statusPage ? { fleet: (): StatusPageView => ({ instance: config.instance, identity, leader: leading, ...fleetOf(controller) }) } : {}),
  });
  log.info({ listen: `${host}:${server.port}`, identity, leaderElect: o.leaderElect, localCluster: o.localCluster, statusPage: o.statusPage ?? false }, 'mcsync run started');

  let electorClient: KubeClient | undefined;
  if (o.leaderElect) {
    const le = config.leaderElection;
    const leaseHolder = leaseCluster(config, { localCluster: o.localCluster });
    const c = config.clusters.find((x) => x.name === leaseHolder)!;
    // Its own connection, so a config reload never interrupts lease renewal.
    electorClient = clientFor(c);
    elector = new LeaderElector({
      client: electorClient, namespace: le.namespace, name: le.name, identity,
      leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs,
      onStartedLeading: () => {
        leading = true;
        metrics.leader.set(1);
        log.info({ identity, lease: `${leaseHolder}/${le.namespace}/${le.name}` }, 'became leader');
        controller.resyncAll();
      },
      onStoppedLeading: () => {
        leading = false;
        metrics.leader.set(0);
        if (!stopping) log.warn({ identity }, 'lost leadership; writes stopped');
      },
      onNewLeader: (holder) => { if (holder !== identity) log.info({ leader: holder }, 'another instance leads'); },
      log: (msg, fields) => log.debug(fields ?? {}, msg),
    });
    elector.start();
  }

  const reload = (why: string) => {
    void serialize(async () => {
      if (stopping) return;
      let next: Config;
      let nextFile: Config;
      let nextClusters: Map<string, Connected>;
      try {
        nextFile = loadConfig(o.file);
        next = (await resolveInventory(nextFile)).config;
        checkLocalCluster(next, o.localCluster);
        nextClusters = await connectAll(next);
      } catch (err) {
        metrics.configReloads.inc({ result: 'rejected' });
        log.error({ why, error: (err as Error).message }, 'new config rejected; the running config stays in force');
        return;
      }
      const old = controller;
      const oldClusters = clusters;
      const running = old.config;
      await inventoryWatch?.stop();
      await old.stop();
      closeAll(oldClusters);
      // A dropped cluster's last values (stale 1, say) would otherwise be exported forever.
      for (const gone of running.clusters.filter((c) => !next.clusters.some((n) => n.name === c.name))) await metrics.removeCluster(gone.name);
      config = next;
      file = nextFile;
      clusters = nextClusters;
      controller = newController(next, nextClusters);
      inventoryWatch = watchInventory(file);
      metrics.configReloads.inc({ result: 'ok' });
      log.info({ why }, 'config reloaded');
      void controller.start().catch((err: unknown) => log.error({ error: (err as Error).message }, 'controller failed to start'));
    });
  };

  return new Promise<number>((resolve) => {
    const onHup = () => reload('SIGHUP');
    const onTerm = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: no new work, finishing writes in flight');
      const force = setTimeout(() => {
        log.error({ timeoutMs: o.shutdownTimeoutMs }, 'shutdown timed out');
        resolve(1);
      }, o.shutdownTimeoutMs);
      force.unref();
      void (async () => {
        await inventoryWatch?.stop();
        await reloading;
        await controller.stop();
        await elector?.stop({ release: true });
        electorClient?.close();
        closeAll(clusters);
        await server.close();
        if (o.watchConfig) unwatchFile(o.file);
        process.off('SIGHUP', onHup);
        clearTimeout(force);
        log.info('stopped');
        resolve(0);
      })();
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => onTerm('SIGTERM'));
    process.once('SIGINT', () => onTerm('SIGINT'));
    if (o.watchConfig) {
      // stat follows symlinks, so a ConfigMap volume's update (the kubelet swaps its `..data`
      // symlink to a new directory) shows as another file: another inode, whose mtime may
      // equal the old one's, so the mtime alone would miss it.
      watchFile(o.file, { interval: 1000 }, (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.dev !== prev.dev || cur.size !== prev.size) reload('config file changed');
      });
    }
    void controller.start().catch((err: unknown) => {
      log.error({ error: (err as Error).message }, 'controller failed to start');
    });
  });
}
