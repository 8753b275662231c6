// Loads the config, connects to its clusters, runs a command's work and always disconnects.
// A bad config or (for commands that write) an unreachable cluster ends the command with exit 2.
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { closeAll, connectAll, connectAvailable, type ConnectFailure, type Connected } from '../engine/clusters.ts';
import { loadResolved, type InventoryView } from '../engine/inventory.ts';
import { EXIT, type Io } from './io.ts';
import { createLogger } from './log.ts';
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

export async function withClusters<T>(
  opts: CommonOpts,
  io: Io,
  fn: (s: Session) => Promise<T>,
  how: { allowUnreachable?: boolean } = {},
): Promise<T | undefined> {
  const file = opts.config ?? opts.clusterSvcCfgFile;
  if (!file) {
    io.err('error: --config FILE is required');
    io.setExitCode(EXIT.config);
    return undefined;
  }
  const log = createLogger(opts.debug ? 'debug' : opts.logLevel);
  let clusters: Map<string, Connected> | undefined;
  try {
    // Read-only views carry on past profiles that cannot become clusters, and show them.
    const { config, inventory } = await loadResolved(file, { tolerateProfileProblems: how.allowUnreachable ?? false });
    for (const i of inventory?.problems ?? []) log.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    let unavailable: ConnectFailure[] = [];
    if (how.allowUnreachable) {
      const fleet = await connectAvailable(config);
      clusters = fleet.connected;
      unavailable = fleet.unavailable;
      for (const { issue: i } of unavailable) log.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    } else {
      clusters = await connectAll(config);
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
