// The Cluster Inventory API (KEP-4322, multicluster.x-k8s.io/v1alpha1 ClusterProfile, as
// sigs.k8s.io/cluster-inventory-api v0.1.2 ships it), the reserved extension names of KEP-5339
// (credentials for a profile through an exec plugin), client-go's exec-credential protocol
// (client.authentication.k8s.io) and the About API's cluster id (KEP-2149). Plain data.
import type { Condition } from './mcs.ts';
import type { ObjectMeta } from './objects.ts';

export const INVENTORY_GROUP = 'multicluster.x-k8s.io';
export const INVENTORY_VERSION = 'v1alpha1';
export const INVENTORY_API_VERSION = `${INVENTORY_GROUP}/${INVENTORY_VERSION}`;
export const CLUSTER_PROFILE_CRD = `clusterprofiles.${INVENTORY_GROUP}`;

/** The condition a cluster manager sets when the cluster's control plane answers. */
export const CONTROL_PLANE_HEALTHY = 'ControlPlaneHealthy';

/** On a profile's access-provider cluster: passed to the plugin as ExecCredential.spec.cluster.config. */
export const EXEC_EXTENSION = 'client.authentication.k8s.io/exec';
/** KEP-5339: per-profile arguments and environment of the plugin (applied as the provider file's policy says). */
export const EXTRA_ARGS_EXTENSION = 'clusterprofiles.multicluster.x-k8s.io/exec/additional-args';
export const EXTRA_ENVS_EXTENSION = 'clusterprofiles.multicluster.x-k8s.io/exec/additional-envs';

/** A kubeconfig cluster entry (clientcmd v1's Cluster), as access providers carry it. */
export interface AccessCluster {
  server?: string;
  'certificate-authority-data'?: string;
  'certificate-authority'?: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'proxy-url'?: string;
  extensions?: { name?: string; extension?: unknown }[];
}

export interface AccessProvider {
  name: string;
  cluster?: AccessCluster;
}

export interface ClusterProfile {
  apiVersion?: typeof INVENTORY_API_VERSION;
  kind?: 'ClusterProfile';
  metadata: ObjectMeta;
  spec?: { displayName?: string; clusterManager?: { name?: string } };
  status?: {
    conditions?: Condition[];
    version?: { kubernetes?: string };
    properties?: { name: string; value: string; lastObservedTime?: string }[];
    accessProviders?: AccessProvider[];
    /** The field's name before v0.1; still read, as the upstream library does. */
    credentialProviders?: AccessProvider[];
  };
}

// client-go's exec credential protocol (k8s.io/client-go/pkg/apis/clientauthentication).
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];
/** The environment variable an exec plugin reads its ExecCredential input from. */
export const EXEC_INFO_ENV = 'KUBERNETES_EXEC_INFO';

/** An exec plugin as a kubeconfig's users[].user.exec names it (the provider file's execConfig). */
export interface ExecConfig {
  apiVersion: ExecApiVersion;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  provideClusterInfo: boolean;
}

export interface ExecCredential {
  apiVersion: ExecApiVersion;
  kind: 'ExecCredential';
  spec: { interactive: boolean; cluster?: ExecClusterInfo };
  status?: ExecCredentialStatus;
}

export interface ExecClusterInfo {
  server: string;
  'certificate-authority-data'?: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'proxy-url'?: string;
  config?: unknown;
}

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

// The About API (KEP-2149): a cluster's own id, as a cluster-scoped ClusterProperty.
/** v1beta1 is the CRD's storage version; v1alpha1 is served too. */
export const ABOUT_API_VERSION = 'about.k8s.io/v1beta1';
export const CLUSTER_PROPERTY_CRD = 'clusterproperties.about.k8s.io';
export const CLUSTER_ID_PROPERTY = 'cluster.clusterset.k8s.io';
export const CLUSTERSET_PROPERTY = 'clusterset.k8s.io';

export interface ClusterProperty {
  metadata: ObjectMeta;
  spec: { value: string };
}
