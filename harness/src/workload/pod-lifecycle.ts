// What a harness cluster started with `pods: true` runs so that Deployments, ReplicaSets and
// bare Pods behave as on a real cluster without any kubelet: kube-scheduler binds pods to one
// fake Node, and kwok (sigs.k8s.io/kwok) plays that Node's kubelet: it heartbeats the Node, gives
// each pod an IP from the cluster's pod CIDR and marks it Running and Ready. No image is ever
// pulled, so a pod naming an image that does not exist turns Running all the same.
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { HarnessError } from '../util/errors.ts';
import { kubeConfigFor } from './pods.ts';

/** The annotation kwok selects its Nodes by (kwok's own convention, as kwokctl uses it). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
const KWOK_NODE_VALUE = 'fake';

/** kube-controller-manager controllers Deployments and StatefulSets need on top of the harness's default list. */
export const POD_CONTROLLERS = ['deployment-controller', 'replicaset-controller', 'statefulset-controller'];

/** kwok's Stages, copied from kwok (see the file's header). */
export const KWOK_STAGES_PATH = new URL('../../kwok/stages.yaml', import.meta.url).pathname;

/** How long a kwok Node's lease lasts: kwok renews it well inside that, as a kubelet would. */
const NODE_LEASE_SECONDS = 40;

export function kwokNodeName(clusterName: string): string {
  return `${clusterName}-kwok-0`;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * Where kwok's pods get their IPs: the upper half of the cluster's pod CIDR. The pod helper
 * (pods.ts) hands out addresses from the bottom of the same CIDR, so pods of both kinds can live
 * in one cluster without ever sharing an IP. The Node's own address is the range's last usable
 * one, which kwok's allocator (counting up from the start) does not reach.
 */
export function kwokAddresses(podCidr: string): { podCidr: string; nodeIp: string } {
  const [addr, bitsText] = podCidr.split('/');
  const bits = Number(bitsText);
  if (!addr || !Number.isInteger(bits) || bits < 8 || bits > 28 || addr.includes(':')) {
    throw new HarnessError(`kwok needs an IPv4 pod CIDR from /8 to /28, not ${podCidr}`);
  }
  const size = 2 ** (32 - bits);
  const start = ipv4ToInt(addr) + size / 2;
  return { podCidr: `${intToIpv4(start)}/${bits + 1}`, nodeIp: intToIpv4(start + size / 2 - 2) };
}

export function schedulerArgs(o: { kubeconfig: string; port: number; certDir: string }): string[] {
  return [
    '--kubeconfig', o.kubeconfig,
    '--authentication-kubeconfig', o.kubeconfig, '--authorization-kubeconfig', o.kubeconfig,
    '--bind-address', '127.0.0.1', '--secure-port', String(o.port),
    '--leader-elect=false',
    '--cert-dir', o.certDir,
    '--v', '1',
  ];
}

/**
 * kwok's options. They go on the command line rather than in a KwokConfiguration document:
 * kwok defaults only the configuration it makes itself, so one read from a file would leave
 * every option it does not name at zero (and kwok refuses a lease parallelism of 0).
 */
export function kwokArgs(o: { kubeconfig: string; stages: string; podCidr: string; nodeIp: string; port: number }): string[] {
  return [
    '--kubeconfig', o.kubeconfig,
    // Stages only: what kwok does to the Nodes and Pods it manages.
    '--config', o.stages,
    '--manage-nodes-with-annotation-selector', `${KWOK_NODE_ANNOTATION}=${KWOK_NODE_VALUE}`,
    '--cidr', o.podCidr,
    '--node-ip', o.nodeIp,
    // Health, metrics and the debugging handlers all share this one server.
    '--server-address', `127.0.0.1:${o.port}`,
    '--node-lease-duration-seconds', String(NODE_LEASE_SECONDS),
  ];
}

/** The fake Node kwok manages: untainted, so pods without tolerations land on it. */
export function kwokNode(clusterName: string, podCidr: string): V1Node {
  const name = kwokNodeName(clusterName);
  const { podCidr: range } = kwokAddresses(podCidr);
  return {
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_VALUE },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'type': 'kwok', 'topology.kubernetes.io/zone': `${clusterName}-zone-a` },
    },
    spec: { podCIDR: range, podCIDRs: [range] },
  };
}

/** Creates the Node when it is missing (a restarted cluster keeps it). */
export async function ensureKwokNode(cluster: { name: string; kubeconfigPath: string; podCidr: string }): Promise<void> {
  const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  try {
    await core.createNode({ body: kwokNode(cluster.name, cluster.podCidr) });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** What the apiserver puts on every new Node (admission, TaintNodesByCondition) until it is seen Ready. */
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/**
 * 200 once kwok has marked its Node Ready and the Node is schedulable; for the harness's
 * readiness probe, which calls it until then. Elsewhere the node-lifecycle controller lifts the
 * not-ready taint from a Ready Node; the harness runs without it (it would also judge the pod
 * helper's kubelet-less Node dead and evict its pods), so the probe lifts it itself, once.
 */
export async function kwokNodeReady(cluster: { name: string; kubeconfigPath: string }): Promise<number> {
  const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  const node = await core.readNode({ name: kwokNodeName(cluster.name) });
  if (!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return 503;
  const taints = node.spec?.taints ?? [];
  if (!taints.some((t) => t.key === NOT_READY_TAINT)) return 200;
  // A conflict with kwok's own status writes fails this attempt; the probe comes back.
  node.spec = { ...node.spec, taints: taints.filter((t) => t.key !== NOT_READY_TAINT) };
  await core.replaceNode({ name: node.metadata!.name!, body: node });
  return 503;
}
