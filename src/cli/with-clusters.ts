// Loads the config, connects to its clusters, runs a command's work and always disconnects.
// A bad config or (for commands that write) an unreachable cluster ends the command with exit 2.
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { closeAll, connectAll, connectAvailable, type ConnectFailure, type Connected } from '../engine/clusters.ts';
import { loadResolved, type InventoryView } from '../engine/inventory.ts';
import { EXIT, type Io } from './io.ts';
import { createLogger, defaultLogFormat } from './log.ts';
import type { CommonOpts } from './options.ts';

export interface Session {
  config: Config;
  clusters: Map<string, Connected>;
  log: Logger;
  /** Configured clusters that could not be connected (only with allowUnreachable). */
  unavailable: ConnectFailure[];
  /** What the config's inventory gave, when it has one. */
  inventory?: InventoryView;
}

export interface SessionNeeds {
  /** Carry on without the clusters that cannot be reached (they are in Session.unavailable). */
  allowUnreachable?: boolean;
  /** Connect only this cluster: the command reads and writes nothing else, so no other cluster's state may stop it. */
  only?: string;
  /** Cluster names given on the command line, by flag (`--cluster`): each must be in the config, checked before any connection. */
  names?: Record<string, string | undefined>;
}

export async function withClusters<T>(
  opts: CommonOpts,
  io: Io,
  fn: (s: Session) => Promise<T>,
  how: SessionNeeds = {},
): Promise<T | undefined> {
  const file = opts.config ?? opts.clusterSvcCfgFile;
  if (!file) {
    io.err('error: --config FILE is required');
    io.setExitCode(EXIT.usage);
    return undefined;
  }
  const log = createLogger(opts.debug ? 'debug' : opts.logLevel, opts.logFormat ?? defaultLogFormat());
  let clusters: Map<string, Connected> | undefined;
  try {
    // Read-only views carry on past profiles that cannot become clusters, and show them.
    const { config, inventory } = await loadResolved(file, { tolerateProfileProblems: how.allowUnreachable ?? false });
    for (const i of inventory?.problems ?? []) log.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    // After the inventory is read: its clusters are names the flags may give.
    for (const [flag, name] of Object.entries(how.names ?? {})) {
      if (name !== undefined && !config.clusters.some((c) => c.name === name)) {
        io.err(`error: ${flag} ${name} is not in ${config.file} (its clusters: ${config.clusters.map((c) => c.name).join(', ')})`);
        io.setExitCode(EXIT.config);
        return undefined;
      }
    }
    const reached = how.only === undefined ? config : { ...config, clusters: config.clusters.filter((c) => c.name === how.only) };
    let unavailable: ConnectFailure[] = [];
    if (how.allowUnreachable) {
      const fleet = await connectAvailable(reached);
      clusters = fleet.connected;
      unavailable = fleet.unavailable;
      // At info: the commands that carry on without a cluster report it in their output.
      for (const { issue: i } of unavailable) log.info({ file: i.file, line: i.line, field: i.field }, i.message);
    } else {
      clusters = await connectAll(reached);
    }
    for (const c of clusters.values()) log.debug({ cluster: c.config.name, server: c.client.server, version: c.version }, 'connected');
    return await fn({ config, clusters, log, unavailable, ...(inventory !== undefined ? { inventory } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`error: ${err.message}`);
      io.setExitCode(EXIT.config);
      return undefined;
    }
    throw err;
  } finally {
    if (clusters) closeAll(clusters);
  }
}
