// What a user writes in karmada-apiserver to make a provider's Service reachable by its own
// name in consumer clusters: the Service as a template, and a MultiClusterService of type
// CrossCluster naming the provider and the consumers. Karmada then collects the provider's
// EndpointSlices and dispatches copies named <provider>-<slice> into each consumer.
import { KubeClient } from '../../../src/kube/client.ts';
import { mapLimit } from '../../../src/kube/write.ts';
import { ensure, type RunningKarmada } from './controlplane.ts';

/** The label Karmada puts on the EndpointSlices it dispatches into consumers. */
export const DISPATCHED_SLICES = 'endpointslice.kubernetes.io/managed-by=endpointslice-dispatch-controller.karmada.io';

export interface ServiceTemplate {
  name: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: number }[];
}

export async function exportCrossCluster(karmada: RunningKarmada, namespace: string, services: ServiceTemplate[], provider: string, consumers: string[], concurrency = 8): Promise<void> {
  const k: KubeClient = karmada.client();
  try {
    await ensure(k, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await mapLimit(services, concurrency, async (s) => {
      await ensure(k, `/api/v1/namespaces/${namespace}/services`, {
        apiVersion: 'v1', kind: 'Service',
        // The provider already runs this Service; the binding Karmada makes for a
        // MultiClusterService overwrites it with this template (the same spec), so no annotation.
        metadata: { name: s.name, namespace },
        spec: { selector: s.selector, ports: s.ports.map((p) => ({ ...p, protocol: 'TCP' })) },
      });
      await ensure(k, `/apis/networking.karmada.io/v1alpha1/namespaces/${namespace}/multiclusterservices`, {
        apiVersion: 'networking.karmada.io/v1alpha1', kind: 'MultiClusterService', metadata: { name: s.name, namespace },
        spec: { types: ['CrossCluster'], providerClusters: [{ name: provider }], consumerClusters: consumers.map((name) => ({ name })) },
      });
    });
  } finally {
    k.close();
  }
}
