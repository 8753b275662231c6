// Building actions: every action names its Service key and one ref, made here so the ref of
// a create, an update and a delete of the same object always agree.
import type { ServiceKey } from '../vocab/keys.ts';
import { namespaceOf } from '../vocab/keys.ts';
import type { EndpointSlice, Namespace, NetworkPolicy, ObjectMeta, ObjectRef, ResourceKind, Service } from '../vocab/objects.ts';
import type { Action } from './types.ts';
import type { ServiceExport, ServiceImport } from '../vocab/mcs.ts';

/** The ref of an object as it is (uid and resourceVersion included when the server set them). */
function refOf(kind: ResourceKind, obj: { metadata: ObjectMeta }): ObjectRef {
  const ref: ObjectRef = { kind, name: obj.metadata.name };
  if (kind !== 'Namespace') ref.namespace = namespaceOf(obj.metadata);
  if (obj.metadata.uid !== undefined) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion !== undefined) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export function createAction(cluster: string, key: ServiceKey, kind: ResourceKind, object: Service | EndpointSlice | Namespace | NetworkPolicy | ServiceImport, reason: string): Action {
  return { verb: 'create', cluster, key, ref: refOf(kind, object), object, reason };
}

export function updateAction(cluster: string, key: ServiceKey, kind: 'Service' | 'EndpointSlice' | 'NetworkPolicy' | 'ServiceImport', object: Service | EndpointSlice | NetworkPolicy | ServiceImport, reason: string): Action {
  return { verb: 'update', cluster, key, ref: refOf(kind, object), object, reason };
}

/** A write of the status alone: the conditions of a user's ServiceExport, or a ServiceImport's clusters. */
export function statusAction(cluster: string, key: ServiceKey, kind: 'ServiceImport' | 'ServiceExport', object: ServiceImport | ServiceExport, reason: string): Action {
  return { verb: 'update', cluster, key, ref: refOf(kind, object), object, reason, subresource: 'status' };
}

export function deleteAction(cluster: string, key: ServiceKey, kind: ResourceKind, existing: { metadata: ObjectMeta }, reason: string): Action {
  return { verb: 'delete', cluster, key, ref: refOf(kind, existing), reason };
}

/** "namespace/name" of the object an action touches, or the name of a cluster-scoped one. */
export function actionTarget(a: Action): string {
  return a.ref.namespace ? `${a.ref.namespace}/${a.ref.name}` : a.ref.name;
}
