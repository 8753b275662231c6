// The Multi-Cluster Services API (KEP-1645, multicluster.x-k8s.io) as mcsync reads and writes
// it: ServiceExport (a user's, in the exporting cluster; mcsync writes only its status) and
// ServiceImport (mcsync's, in every cluster that has the namespace). Plain data.
import type { ObjectMeta } from './objects.ts';

export const MCS_GROUP = 'multicluster.x-k8s.io';
/** The storage version; v1alpha1 is served too (what CoreDNS 1.14's multicluster option reads). */
export const MCS_VERSION = 'v1beta1';
export const MCS_API_VERSION = `${MCS_GROUP}/${MCS_VERSION}`;

/** On a ServiceImport: the Service in the same namespace that holds its clusterset IP and slices. */
export const DERIVED_SERVICE = 'multicluster.kubernetes.io/derived-service';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ServiceExport {
  apiVersion?: typeof MCS_API_VERSION;
  kind?: 'ServiceExport';
  metadata: ObjectMeta & { generation?: number };
  spec?: {
    exportedLabels?: Record<string, string>;
    exportedAnnotations?: Record<string, string>;
  };
  status?: { conditions?: Condition[] };
}

export interface McsPort {
  name?: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

export type ServiceImportType = 'ClusterSetIP' | 'Headless';

export interface ServiceImport {
  apiVersion?: typeof MCS_API_VERSION;
  kind?: 'ServiceImport';
  metadata: ObjectMeta;
  spec: {
    ports: McsPort[];
    ips?: string[];
    type: ServiceImportType;
    sessionAffinity?: string;
    sessionAffinityConfig?: unknown;
    ipFamilies?: string[];
    internalTrafficPolicy?: string;
    trafficDistribution?: string;
  };
  status?: {
    clusters?: { cluster: string }[];
    endpointSliceObjects?: 'Present' | 'Absent';
    conditions?: Condition[];
  };
}
