// "Pods" without a kubelet, the way KWOK does it: a Node object and Pods bound to it whose
// status (phase, Ready condition, pod IP) we set through the status subresource. The cluster's
// real EndpointSlice controller then writes real EndpointSlices for them.
import { CoreV1Api, KubeConfig, type V1ContainerPort, type V1Pod } from '@kubernetes/client-node';
import type { ClusterInfo } from '../controlplane/cluster.ts';
import { nthAddress6 } from '../dataplane/ipv6.ts';
import { nodeLabels, type NodeTopology } from './node-topology.ts';

export function kubeConfigFor(cluster: Pick<ClusterInfo, 'kubeconfigPath'>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ready?: boolean;
  /** Defaults to the next free address of the cluster's pod CIDR. */
  ip?: string;
  /** Extra addresses, e.g. an IPv6 one for a dual-stack pod. */
  extraIps?: string[];
  hostname?: string;
  subdomain?: string;
  ports?: V1ContainerPort[];
  nodeName?: string;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Marks the pods this helper makes and keeps the status of itself, so the data plane's pod
 * runtime (dataplane/kubelet/pod-runtime.ts), which runs every other pod bound to the same Node,
 * leaves them alone.
 */
export const HARNESS_POD_ANNOTATION = 'harness.mcsync.io/status-by';

export class Pods {
  readonly core: CoreV1Api;
  readonly nodeName: string;
  private readonly base: number;
  private readonly size: number;
  private next = 10;
  private used?: Set<string>;
  private nodeReady?: Promise<void>;

  readonly cluster: Pick<ClusterInfo, 'name' | 'kubeconfigPath' | 'podCidr' | 'podCidr6'>;
  private next6 = 10;

  /** Where the Node sits (its zone and region labels); the cluster's default zone when empty. */
  private readonly topology: NodeTopology;

  constructor(cluster: Pick<ClusterInfo, 'name' | 'kubeconfigPath' | 'podCidr' | 'podCidr6'>, topology: NodeTopology = {}) {
    this.cluster = cluster;
    this.topology = topology;
    this.core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
    this.nodeName = `${cluster.name}-node-0`;
    const [addr, bits] = cluster.podCidr.split('/');
    this.base = ipv4ToInt(addr!);
    this.size = 2 ** (32 - Number(bits));
  }

  /** The Node every pod is bound to, with the cluster's pod CIDR, created once. */
  ensureNode(): Promise<void> {
    this.nodeReady ??= (async () => {
      const existing = await this.core.readNode({ name: this.nodeName }).catch(() => undefined);
      if (existing) return;
      const node = await this.core.createNode({
        body: {
          metadata: { name: this.nodeName, labels: nodeLabels(this.cluster.name, this.nodeName, this.topology) },
          spec: { podCIDR: this.cluster.podCidr, podCIDRs: [this.cluster.podCidr, ...(this.cluster.podCidr6 ? [this.cluster.podCidr6] : [])] },
        },
      });
      node.status = {
        conditions: [{ type: 'Ready', status: 'True', reason: 'HarnessNode', message: 'no kubelet; status set by the mcsync harness', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }],
        addresses: [{ type: 'InternalIP', address: intToIpv4(this.base + 1) }],
      };
      await this.core.replaceNodeStatus({ name: this.nodeName, body: node });
    })();
    return this.nodeReady;
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.core.createNamespace({ body: { metadata: { name } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  /** The next free address of the cluster's pod CIDR (also for the data plane's pod runtime). */
  async allocateIp(): Promise<string> {
    if (!this.used) {
      const pods = await this.core.listPodForAllNamespaces();
      this.used = new Set(pods.items.flatMap((p) => (p.status?.podIPs ?? []).map((x) => x.ip)));
    }
    while (this.next < this.size - 1) {
      const ip = intToIpv4(this.base + this.next++);
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new Error(`pod CIDR ${this.cluster.podCidr} of ${this.cluster.name} is exhausted`);
  }

  /** The next IPv6 address of a dual-stack cluster's pod range. */
  allocateIp6(): string {
    if (!this.cluster.podCidr6) throw new Error(`${this.cluster.name} has no IPv6 pod range`);
    return nthAddress6(this.cluster.podCidr6, this.next6++);
  }

  /** Gives an address back once its pod is gone. */
  release(ip: string): void {
    this.used?.delete(ip);
  }

  /** Creates a pod bound to the harness node and gives it a Running status with an IP. */
  async create(spec: PodSpec): Promise<V1Pod> {
    await this.ensureNode();
    const ip = spec.ip ?? (await this.allocateIp());
    this.used?.add(ip);
    const body: V1Pod = {
      metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels ?? {}, annotations: { [HARNESS_POD_ANNOTATION]: 'pods.ts' } },
      spec: {
        nodeName: spec.nodeName ?? this.nodeName,
        automountServiceAccountToken: false,
        hostname: spec.hostname,
        subdomain: spec.subdomain,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'app', image: 'mcsync.invalid/no-image:never-pulled', ports: spec.ports }],
      },
    };
    const created = await this.retryAdmission(() => this.core.createNamespacedPod({ namespace: spec.namespace, body }));
    return this.writeStatus(created, spec.ready ?? true, [ip, ...(spec.extraIps ?? [])]);
  }

  async setReady(namespace: string, name: string, ready: boolean): Promise<V1Pod> {
    const pod = await this.core.readNamespacedPod({ namespace, name });
    return this.writeStatus(pod, ready, (pod.status?.podIPs ?? []).map((p) => p.ip));
  }

  /** Deletes at once: with no kubelet, a graceful delete would leave it terminating forever. */
  async delete(namespace: string, name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
    this.used = undefined;
  }

  /** What a rescheduled pod looks like from outside: gone, and back with another IP. */
  async changeIp(namespace: string, name: string, newIp?: string): Promise<V1Pod> {
    const old = await this.core.readNamespacedPod({ namespace, name });
    await this.delete(namespace, name);
    await this.waitGone(namespace, name);
    const ready = old.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const oldIps = (old.status?.podIPs ?? []).map((p) => p.ip);
    // A rescheduled pod gets another address: never hand the one it just gave up straight back.
    let ip = newIp;
    while (ip === undefined || oldIps.includes(ip)) ip = await this.allocateIp();
    return this.create({
      namespace, name, labels: old.metadata?.labels, ready, ip,
      hostname: old.spec?.hostname, subdomain: old.spec?.subdomain, ports: old.spec?.containers[0]?.ports,
    });
  }

  private async waitGone(namespace: string, name: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const still = await this.core.readNamespacedPod({ namespace, name }).then(() => true, () => false);
      if (!still) return;
      await sleep(50);
    }
    throw new Error(`pod ${namespace}/${name} was not removed`);
  }

  private async writeStatus(pod: V1Pod, ready: boolean, ips: string[]): Promise<V1Pod> {
    const now = new Date();
    const cond = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
    pod.status = {
      phase: 'Running',
      hostIP: intToIpv4(this.base + 1),
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      startTime: pod.status?.startTime ?? now,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
      containerStatuses: [{
        name: 'app', image: 'mcsync.invalid/no-image:never-pulled', imageID: '', ready, restartCount: 0, started: true,
        state: { running: { startedAt: now } },
      }],
    };
    return this.core.replaceNamespacedPodStatus({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, body: pod });
  }

  /** Right after a namespace is made, its default ServiceAccount may not exist yet. */
  private async retryAdmission<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const body = String((err as { body?: unknown }).body ?? (err as Error).message);
        if (attempt < 50 && /serviceaccount|service account/i.test(body)) {
          await sleep(100);
          continue;
        }
        throw err;
      }
    }
  }
}
