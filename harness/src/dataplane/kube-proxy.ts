// A real kube-proxy per cluster, in that cluster's node namespace, programming the node's
// nftables (or iptables) from the cluster's Services and EndpointSlices, replicas included.
import { join } from 'node:path';
import type { RunningCluster } from '../controlplane/cluster.ts';
import { startProcess, type Supervised } from '../util/process.ts';
import type { NodeNetns } from './network.ts';
import { waitUp } from './wait-up.ts';

export type ProxyMode = 'nftables' | 'iptables';

export async function startKubeProxy(
  cluster: RunningCluster, node: NodeNetns, nodeName: string, binary: string, mode: ProxyMode,
): Promise<Supervised> {
  const args = [
    'netns', 'exec', node.ns, binary,
    '--kubeconfig', cluster.kubeconfigPath,
    '--hostname-override', nodeName,
    '--proxy-mode', mode,
    // Traffic from the cluster's own pods is local: kube-proxy leaves its source alone. (It
    // masquerades only traffic to a ClusterIP from outside the pod CIDR, which no test sends.)
    '--detect-local-mode', 'ClusterCIDR', '--cluster-cidr', cluster.podCidr6 ? `${cluster.podCidr},${cluster.podCidr6}` : cluster.podCidr,
    '--bind-address', node.address,
    '--healthz-bind-address', `${node.address}:10256`,
    '--metrics-bind-address', `${node.address}:10249`,
    // Conntrack limits are machine-wide sysctls a node namespace may not set: leave them as they are.
    '--conntrack-max-per-core', '0',
    '--conntrack-tcp-timeout-established', '0', '--conntrack-tcp-timeout-close-wait', '0',
    '--v', '2',
  ];
  const proc = startProcess(`${cluster.name}/kube-proxy`, 'ip', args, join(cluster.dir, 'logs', 'kube-proxy.log'));
  // healthz answers 200 only once the first full sync of the rules is done.
  await waitUp(proc, `http://${node.address}:10256/healthz`, 60_000);
  return proc;
}
