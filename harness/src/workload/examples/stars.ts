// The seed's example: Calico's "stars" demo split across an on-premises cluster and an EKS
// cluster (../shared/seed/original-automation.md). Used by the demo, tests and benchmarks.
import type { V1Service } from '@kubernetes/client-node';
import type { ClusterInfo } from '../../controlplane/cluster.ts';
import { Pods } from '../pods.ts';
import { yamlString } from '../../util/yaml-text.ts';

export interface ExampleService {
  namespace: string;
  name: string;
  role: string;
  service: V1Service['spec'];
  containerPort: { name: string; containerPort: number };
  replicas: number;
}

export const ON_PREM_SERVICES: ExampleService[] = [
  { namespace: 'stars', name: 'backend', role: 'backend', replicas: 2,
    service: { ports: [{ port: 6379, targetPort: 6379, protocol: 'TCP' }] }, containerPort: { name: 'redis', containerPort: 6379 } },
  { namespace: 'stars', name: 'frontend', role: 'frontend', replicas: 2,
    service: { ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] }, containerPort: { name: 'http', containerPort: 80 } },
];

export const EKS_SERVICES: ExampleService[] = [
  { namespace: 'management-ui', name: 'management-ui', role: 'management-ui', replicas: 1,
    service: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 9001, protocol: 'TCP' }] }, containerPort: { name: 'ui', containerPort: 9001 } },
  { namespace: 'client', name: 'client', role: 'client', replicas: 1,
    service: { ports: [{ port: 9000, targetPort: 9000, protocol: 'TCP' }] }, containerPort: { name: 'client', containerPort: 9000 } },
];

/** One replica of an example service, as whoever runs the pods wants to start it. */
export interface ExamplePod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containerPort: { name: string; containerPort: number };
}

/**
 * Creates the example's namespaces and Services, and its pods: API-only ones by default, or
 * whatever `startPod` starts (the data-plane tests run each as a real process).
 */
export async function deployExample(
  cluster: ClusterInfo, services: ExampleService[], startPod?: (pod: ExamplePod) => Promise<unknown>,
): Promise<void> {
  const pods = new Pods(cluster);
  const start = startPod ?? ((p: ExamplePod) => pods.create({ namespace: p.namespace, name: p.name, labels: p.labels, ports: [p.containerPort] }));
  for (const s of services) {
    await pods.ensureNamespace(s.namespace);
    await pods.core.createNamespacedService({
      namespace: s.namespace,
      body: { metadata: { name: s.name, labels: { app: 'stars-demo' } }, spec: { ...s.service, selector: { role: s.role } } },
    });
    for (let i = 0; i < s.replicas; i++) {
      await start({ namespace: s.namespace, name: `${s.name}-${i}`, labels: { role: s.role }, containerPort: s.containerPort });
    }
  }
}

/**
 * The seed's config file as it was written, with the kubeconfig paths of the running clusters
 * (quoted: a directory someone chose may hold `#` or `: `).
 */
export function starsConfigYaml(onPrem: ClusterInfo, eks: ClusterInfo): string {
  return [
    'clusters:',
    '- name: onPremCluster1',
    `  kubeconfig: ${yamlString(onPrem.kubeconfigPath)}`,
    '  services:',
    '  - namespace: stars',
    '- name: eksCluster1',
    `  kubeconfig: ${yamlString(eks.kubeconfigPath)}`,
    '  services:',
    '  - namespace: management-ui',
    '  - namespace: client',
    '',
  ].join('\n');
}
