// Where a data-plane client's connections land, for tests that prove routing by the clusters
// whose pods answered (every pod of the data plane answers with its own cluster's name).
import type { Attempt, DataPlane, RealPod } from '../../harness/src/dataplane/dataplane.ts';

/**
 * The clusters of the pods that answered `count` fresh connections from `client` to `host:port`,
 * or undefined when any of them got no answer (a routing change still settling: poll again).
 */
export async function landedOn(dp: DataPlane, client: RealPod, host: string, port = 80, count = 12): Promise<Set<string> | undefined> {
  const attempts: Attempt[] = await dp.get(client, host, port, count);
  if (attempts.some((a) => !a.reply)) return undefined;
  return new Set(attempts.map((a) => a.reply!.cluster));
}

/** Whether `got` is exactly the clusters `want`, in any order. */
export function sameClusters(got: Set<string> | undefined, want: readonly string[]): boolean {
  return got !== undefined && [...got].sort().join(',') === [...want].sort().join(',');
}
