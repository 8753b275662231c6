// Pull mode names one cluster of the config as the only one written to; a name that is not
// in the config is a config error, reported like the file's own mistakes.
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/types.ts';

export function checkLocalCluster(config: Config, local: string | undefined): void {
  if (local !== undefined && !config.clusters.some((c) => c.name === local)) {
    throw new ConfigError([{ file: config.file, line: 1, field: 'clusters', message: `--local-cluster ${local} is not one of the clusters (${config.clusters.map((c) => c.name).join(', ')})` }]);
  }
}
