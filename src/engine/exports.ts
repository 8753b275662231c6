// `mcsync export` / `unexport`: the ServiceExport of one Service in one cluster, written or
// deleted for the user (it is theirs: mcsync never writes one on its own). Nothing else is
// touched; the controller, or the next sync, does the importing.
import { KubeApiError, type ApiClient } from '../kube/client.ts';
import { PATHS } from '../kube/read.ts';
import { MCS_API_VERSION, type ServiceExport } from '../vocab/mcs.ts';
import type { Service } from '../vocab/objects.ts';

export type ExportOutcome =
  | { outcome: 'exported'; serviceExists: boolean }
  | { outcome: 'already-exported'; conditions: NonNullable<ServiceExport['status']>['conditions'] }
  | { outcome: 'unexported' }
  | { outcome: 'not-exported' };

async function getOrUndefined<T>(client: ApiClient, path: string): Promise<T | undefined> {
  try {
    return await client.request<T>('GET', path);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

export async function writeServiceExport(client: ApiClient, namespace: string, name: string): Promise<ExportOutcome> {
  const existing = await getOrUndefined<ServiceExport>(client, PATHS.serviceExport(namespace, name));
  if (existing) return { outcome: 'already-exported', conditions: existing.status?.conditions ?? [] };
  const service = await getOrUndefined<Service>(client, PATHS.service(namespace, name));
  const body: ServiceExport = { apiVersion: MCS_API_VERSION, kind: 'ServiceExport', metadata: { name, namespace } };
  await client.request('POST', PATHS.serviceExports(namespace), { body, query: { fieldManager: 'mcsync' } });
  return { outcome: 'exported', serviceExists: service !== undefined };
}

export async function deleteServiceExport(client: ApiClient, namespace: string, name: string): Promise<ExportOutcome> {
  try {
    await client.request('DELETE', PATHS.serviceExport(namespace, name));
    return { outcome: 'unexported' };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { outcome: 'not-exported' };
    throw err;
  }
}
