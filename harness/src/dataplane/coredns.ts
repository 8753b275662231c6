// A real CoreDNS per cluster, run as that cluster's DNS pod: its `kubernetes` plugin watches the
// cluster's own apiserver and serves cluster.local, so a replica is resolved exactly as a local
// Service is. Nothing is forwarded upstream: the test network has no upstream.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningCluster } from '../controlplane/cluster.ts';
import { startProcess, type Supervised } from '../util/process.ts';
import type { PodNetns } from './network.ts';
import { waitUp } from './wait-up.ts';

export const CLUSTER_DOMAIN = 'cluster.local';
/** The Multi-Cluster Services API's zone: ServiceImports answer there (CoreDNS's `multicluster` option). */
export const CLUSTERSET_DOMAIN = 'clusterset.local';

export function corefile(kubeconfigPath: string, context: string, opts: { clusterset?: boolean } = {}): string {
  const zones = opts.clusterset ? [CLUSTER_DOMAIN, CLUSTERSET_DOMAIN, 'in-addr.arpa'] : [CLUSTER_DOMAIN, 'in-addr.arpa'];
  return [
    `${zones.map((z) => `${z}:53`).join(' ')} {`,
    '    errors',
    '    ready :8181',
    `    kubernetes ${zones.join(' ')} {`,
    `        kubeconfig ${kubeconfigPath} ${context}`,
    '        pods insecure',
    // Needs list + watch of ServiceImports (the MCS CRDs installed before CoreDNS starts).
    ...(opts.clusterset ? [`        multicluster ${CLUSTERSET_DOMAIN}`] : []),
    // Short TTLs: a test (and a person) sees a replica's change within seconds.
    '        ttl 2',
    '    }',
    '}',
    '',
  ].join('\n');
}

export async function startCoreDns(cluster: RunningCluster, pod: PodNetns, binary: string, opts: { clusterset?: boolean } = {}): Promise<Supervised> {
  const path = join(cluster.dir, 'Corefile');
  writeFileSync(path, corefile(cluster.kubeconfigPath, cluster.name, opts));
  const proc = startProcess(`${cluster.name}/coredns`, 'ip', ['netns', 'exec', pod.ns, binary, '-conf', path],
    join(cluster.dir, 'logs', 'coredns.log'));
  // `ready` answers 200 once the kubernetes plugin has synced with the apiserver.
  await waitUp(proc, `http://${pod.ip}:8181/ready`, 60_000);
  return proc;
}
