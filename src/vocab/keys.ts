// How objects are named inside mcsync. A ServiceKey ("namespace/name") is the unit everything
// is grouped by: the controller's queue, a plan's actions, status rows. A store key is how a
// cache holds an object: "namespace/name" for namespaced objects, the name for cluster-scoped.
import { SERVICE_NAME } from './labels.ts';

/** "namespace/name" of a Service. */
export type ServiceKey = string;

/** What the apiserver assumes when a namespaced object is listed without a namespace. */
export const DEFAULT_NAMESPACE = 'default';

export function namespaceOf(meta: { namespace?: string }): string {
  return meta.namespace ?? DEFAULT_NAMESPACE;
}

export function serviceKey(namespace: string, name: string): ServiceKey {
  return `${namespace}/${name}`;
}

/** The inverse of serviceKey; a namespace never contains "/", a name may not either. */
export function splitServiceKey(key: ServiceKey): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function serviceKeyOf(obj: { metadata: { namespace?: string; name: string } }): ServiceKey {
  return serviceKey(namespaceOf(obj.metadata), obj.metadata.name);
}

/** The Service an EndpointSlice belongs to, by its kubernetes.io/service-name label. */
export function serviceKeyOfSlice(slice: { metadata: { namespace?: string; labels?: Record<string, string> } }): ServiceKey | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME];
  return name ? serviceKey(namespaceOf(slice.metadata), name) : undefined;
}

/** The key a cache stores an object under. */
export function storeKey(obj: { metadata: { namespace?: string; name: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}
