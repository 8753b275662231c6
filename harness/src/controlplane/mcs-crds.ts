// The Multi-Cluster Services API CRDs (ServiceExport, ServiceImport; deploy/mcs/crds/, copied
// from sigs.k8s.io/mcs-api) applied to a cluster, for sets started with `mcsCrds: true`. A CRD
// is usable only once Established, so applying waits for that, as `kubectl wait` would.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { ClusterInfo } from './cluster.ts';
import { kubeConfigFor } from '../workload/pods.ts';
import { waitFor } from '../util/wait.ts';

export const MCS_API_MODULE = 'sigs.k8s.io/mcs-api';
export const MCS_API_VERSION = 'v0.5.2';

const crdDir = fileURLToPath(new URL('../../../deploy/mcs/crds/', import.meta.url));

export function mcsCrdPaths(): string[] {
  // Code-unit order, never the locale's: the same list on every host.
  return readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((f) => join(crdDir, f));
}

export function mcsCrds(): V1CustomResourceDefinition[] {
  return mcsCrdPaths().map((p) => parse(readFileSync(p, 'utf8')) as V1CustomResourceDefinition);
}

/** Creates each CRD the cluster lacks (an existing one is left as it is) and waits until all are Established. */
export async function applyMcsCrds(cluster: Pick<ClusterInfo, 'name' | 'kubeconfigPath'>): Promise<void> {
  const api = kubeConfigFor(cluster).makeApiClient(ApiextensionsV1Api);
  const crds = mcsCrds();
  for (const body of crds) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
  for (const crd of crds) {
    const name = crd.metadata!.name!;
    await waitFor(async () => {
      const got = await api.readCustomResourceDefinition({ name });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { what: `${cluster.name}: CRD ${name} to be Established` });
  }
}
