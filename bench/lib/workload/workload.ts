// The benchmark's source workload: S Services with selectors, E pods each, in one namespace of
// the source cluster, created through the harness's kubelet-less pods so the real EndpointSlice
// controller publishes the slices mcsync then replicates.
import { DiscoveryV1Api } from '@kubernetes/client-node';
import type { ClusterInfo } from '../../../harness/src/controlplane/cluster.ts';
import { Pods, kubeConfigFor } from '../../../harness/src/workload/pods.ts';
import { waitFor } from '../../../harness/src/util/wait.ts';
import { mapLimit } from '../../../src/kube/write.ts';

export interface Workload {
  namespace: string;
  services: string[];
  /** pod name → IP */
  pods: Map<string, string>;
  createSeconds: number;
}

export async function createWorkload(cluster: ClusterInfo, namespace: string, services: number, endpoints: number, progress: (s: string) => void): Promise<Workload> {
  const started = performance.now();
  const pods = new Pods(cluster);
  await pods.ensureNamespace(namespace);
  await pods.ensureNode();
  const names = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(5, '0')}`);
  await mapLimit(names, 16, (name) =>
    pods.core.createNamespacedService({ namespace, body: { metadata: { name, labels: { bench: 'yes' } }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } }),
  );
  const specs = names.flatMap((svc) => Array.from({ length: endpoints }, (_, j) => ({ svc, name: `${svc}-${j}` })));
  const ips = new Map<string, string>();
  let done = 0;
  // The first create lists the cluster's pods to learn which IPs are taken; do it alone.
  const first = specs.shift()!;
  ips.set(first.name, (await pods.create({ namespace, name: first.name, labels: { app: first.svc }, ports: [{ name: 'http', containerPort: 8080 }] })).status!.podIP!);
  await mapLimit(specs, 32, async (s) => {
    const p = await pods.create({ namespace, name: s.name, labels: { app: s.svc }, ports: [{ name: 'http', containerPort: 8080 }] });
    ips.set(s.name, p.status!.podIP!);
    if (++done % 2000 === 0) progress(`  ${done + 1}/${specs.length + 1} pods`);
  });
  const discovery = kubeConfigFor(cluster).makeApiClient(DiscoveryV1Api);
  const want = services * endpoints;
  await waitFor(async () => {
    const list = await discovery.listNamespacedEndpointSlice({ namespace });
    const n = list.items.reduce((acc, s) => acc + (s.endpoints ?? []).filter((e) => e.conditions?.ready).length, 0);
    return n === want;
  }, { what: `${want} ready endpoints in the source slices`, timeoutMs: 600_000, intervalMs: 1000 });
  return { namespace, services: names, pods: ips, createSeconds: (performance.now() - started) / 1000 };
}

export async function deleteNamespace(cluster: ClusterInfo, namespace: string): Promise<void> {
  const pods = new Pods(cluster);
  await pods.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await waitFor(async () => (await pods.core.readNamespace({ name: namespace }).then(() => false, () => true)), { what: `namespace ${namespace} gone`, timeoutMs: 600_000, intervalMs: 1000 });
}
