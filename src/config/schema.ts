// The config file's schema. The seed's file (clusters[] with name, kubeconfig and services[]
// entries of namespace / nameMatches) is valid as it is; everything else is an optional
// extension. Objects are strict: an unknown key is an error, never silently ignored.
import { z } from 'zod';
import { DNS_LABEL, QUALIFIED_NAME } from '../vocab/names.ts';
import { DEFAULTS, defaultIs } from './defaults.ts';
import { DURATION_TEXT } from './duration.ts';
import { invalidSelectors } from '../vocab/cluster-selectors.ts';

/** A Kubernetes label value: what a cluster name becomes on every replica it sources. */
const clusterName = z
  .string()
  .min(1)
  .max(63)
  .regex(QUALIFIED_NAME, 'must be a valid label value: letters, digits, -, _ and . (at most 63), starting and ending alphanumeric');

const regexSource = z.string().min(1).superRefine((src, ctx) => {
  try {
    new RegExp(src);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
  }
});

const dnsLabel = z.string().regex(DNS_LABEL, 'must be a DNS label (lower-case letters, digits and -, at most 63)');

/** Kubernetes label selector syntax, checked by vocab/selector.ts when the config loads. */
const labelSelector = z.string().min(1);

const stringMap = z.record(z.string(), z.string());

/** "30s", "5m", "1h", "250ms", or a number of seconds. */
export const duration = z
  .union([z.number().positive(), z.string().regex(DURATION_TEXT, 'must be a duration like 250ms, 30s, 5m or 1h')])
  .describe('A duration: a number of seconds, or a string like 250ms, 30s, 5m, 1h.');

export const stalePolicy = z.enum(['keep', 'not-ready', 'last-resort', 'withdraw']).describe(
  'What `mcsync run` does with replicas of a source cluster it has not been able to watch for staleAfter: ' +
    '`keep` them as last seen, mark their endpoints `not-ready`, keep them as a `last-resort` (serving and terminating: ' +
    'kube-proxy sends traffic there only while no endpoint of the Service is ready anywhere), or `withdraw` them. ' +
    `${defaultIs(DEFAULTS.cluster.stalePolicy)}.`,
);

const propertySelectorRequirement = z.strictObject({
  key: z.string().min(1).describe('A cluster property, e.g. cluster.clusterset.k8s.io (the cluster\'s id) or region.'),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string().min(1)).optional().describe('For In and NotIn. "@SameAsImporter@" stands for the importing cluster\'s own value of the key.'),
});

/** KEP-5939's clusterSelectors: the locality tiers of an export, nearest first. */
export const clusterSelectors = z
  .array(z.strictObject({
    propertySelector: z.strictObject({
      matchProperties: stringMap.optional().describe('Properties the cluster must have with exactly these values ("@SameAsImporter@": the importing cluster\'s value).'),
      matchExpressions: z.array(propertySelectorRequirement).optional(),
    }),
  }))
  .superRefine((list, ctx) => {
    const why = invalidSelectors(list);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  })
  .describe('Locality tiers (KEP-5939 clusterSelectors), nearest first: in each importing cluster, traffic goes to the first tier with a ready endpoint, else to every cluster. docs/topology.md.');

const conflictPolicyText =
  'What to do when a destination already has a Service of that namespace/name that mcsync does not own: ' +
  '`skip` leaves it alone and reports a conflict; `merge` adds mcsync\'s EndpointSlices to it so kube-proxy balances across local and remote pods.';

export const conflictPolicy = z.enum(['skip', 'merge']).describe(conflictPolicyText);

export const serviceEntry = z
  .strictObject({
    namespace: dnsLabel.optional().describe('Namespace whose Services are exported; all namespaces when absent.'),
    nameMatches: z.array(regexSource).optional().describe('Keep only Services whose name matches one of these regular expressions.'),
    names: z.array(z.string().min(1)).optional().describe('Keep only Services with one of these exact names.'),
    labelSelector: labelSelector.optional().describe('Keep only Services whose labels match this Kubernetes label selector, e.g. "tier=web,env in (prod)".'),
    exclude: z.array(z.string().min(1)).optional().describe('Never export Services with these exact names.'),
    exportTo: z.array(clusterName).optional().describe('Destination clusters for this entry; overrides the cluster\'s exportTo.'),
    conflictPolicy: conflictPolicy.optional().describe(`${conflictPolicyText} Default: the top-level conflictPolicy.`),
    force: z.boolean().optional().describe('Allow exporting what is otherwise never exported: default/kubernetes and the kube-system, kube-public and kube-node-lease namespaces.'),
    clusterSelectors: clusterSelectors.optional(),
    stalePolicy: stalePolicy.optional().describe('This entry\'s Services\' stale policy, over the cluster\'s (`mcsync run` only): keep, not-ready, last-resort or withdraw.'),
  })
  .describe('Which Services of this cluster to export. Filters combine with AND.');

export const clusterEntry = z.strictObject({
  name: clusterName.describe('Unique cluster name; written on replicas as multicluster.kubernetes.io/source-cluster.'),
  kubeconfig: z.string().min(1).optional().describe('Path to this cluster\'s kubeconfig, relative to the config file. Absent: the in-cluster ServiceAccount (mcsync running in this cluster).'),
  context: z.string().min(1).optional().describe('Context in the kubeconfig; its current-context when absent.'),
  services: z.array(serviceEntry).optional().describe('What this cluster exports; nothing when absent (it still receives replicas).'),
  nameMatches: z.array(regexSource).optional().describe('As in the original automation: applies to every entry of services that has no nameMatches of its own.'),
  exportTo: z.array(clusterName).optional().describe('Destination clusters for this cluster\'s exports; every other cluster when absent.'),
  replicaLabels: stringMap.optional().describe('Labels stamped on every replica (Service and EndpointSlices) sourced from this cluster.'),
  replicaAnnotations: stringMap.optional().describe('Annotations stamped on every replica sourced from this cluster.'),
  podCIDRs: z.array(z.string().min(1)).optional().describe('The address ranges of this cluster\'s pods (CIDR blocks). Only endpoint addresses inside them are replicated from this cluster. Absent: the Nodes\' spec.podCIDRs.'),
  staleAfter: duration.optional().describe(`How long \`mcsync run\` may lose its watch on this cluster before its replicas count as stale. ${defaultIs(DEFAULTS.cluster.staleAfter)}.`),
  stalePolicy: stalePolicy.optional(),
  properties: stringMap.optional().describe('This cluster\'s properties for locality tiers (e.g. region: eu-west1, zone: eu-west1-b), over its ClusterProperty objects of the same key. Its id property, cluster.clusterset.k8s.io, defaults to its name.'),
});

/** Which inventory clusters a rule is for; every field given must match (an empty match is every cluster). */
const inventoryMatch = z.strictObject({
  names: z.array(z.string().min(1)).optional().describe('ClusterProfile names this rule is for.'),
  nameMatches: z.array(regexSource).optional().describe('Regular expressions on the ClusterProfile name (anchored at the start, as nameMatches of services).'),
  labelSelector: labelSelector.optional().describe('A label selector on the cluster\'s labels: the ClusterProfile\'s own labels and its status.properties (e.g. "region=eu-west1").'),
}).describe('Which inventory clusters this rule is for. Fields combine with AND.');

export const inventoryRule = z.strictObject({
  match: inventoryMatch.optional(),
  services: z.array(serviceEntry).optional().describe('What the matched clusters export, as services of a file cluster; nothing when absent (they still receive replicas).'),
  nameMatches: z.array(regexSource).optional().describe('Applies to every entry of services that has no nameMatches of its own.'),
  exportTo: z.array(clusterName).optional().describe('Destination clusters of the matched clusters\' exports; every other cluster (file and inventory) when absent.'),
  replicaLabels: stringMap.optional().describe('Labels stamped on every replica sourced from a matched cluster.'),
  replicaAnnotations: stringMap.optional().describe('Annotations stamped on every replica sourced from a matched cluster.'),
  podCIDRs: z.array(z.string().min(1)).optional().describe('The address ranges of the matched clusters\' pods. Absent: each cluster\'s Nodes\' spec.podCIDRs.'),
  staleAfter: duration.optional().describe('As a file cluster\'s staleAfter, with the same default.'),
  stalePolicy: stalePolicy.describe('As a file cluster\'s stalePolicy, with the same default.').optional(),
}).describe('Settings and export rules for inventory clusters. The first rule whose match fits a cluster applies; a cluster no rule matches exports nothing and receives replicas.');

const inventory = z.strictObject({
  hub: z.strictObject({
    kubeconfig: z.string().min(1).optional().describe('Path to the hub cluster\'s kubeconfig, relative to the config file. Absent: the in-cluster ServiceAccount.'),
    context: z.string().min(1).optional().describe('Context in the kubeconfig; its current-context when absent.'),
  }).describe('The cluster that holds the ClusterProfiles.'),
  namespace: dnsLabel.describe('The namespace of the ClusterProfiles: one namespace is one inventory.'),
  labelSelector: labelSelector.optional().describe('Only ClusterProfiles whose labels match this label selector.'),
  providerFile: z.string().min(1).describe('Path to the access-provider file (KEP-5339: {"providers": [{"name", "execConfig"}]}), relative to the config file: which exec plugin gives credentials for each access provider.'),
  execTimeout: duration.optional().describe(`How long a credential plugin may run before it counts as failed. ${defaultIs(DEFAULTS.inventory.execTimeout)}.`),
  rules: z.array(inventoryRule).optional().describe('Settings and export rules for the inventory\'s clusters, first match wins.'),
  onRemove: z.enum(['keep', 'withdraw']).optional().describe(`What \`mcsync run\` does with the replicas a cluster sourced when its ClusterProfile is deleted while it runs: keep them in the other clusters from its last view, as its stalePolicy says, until the operator prunes them or sets withdraw (keep); or withdraw them (withdraw). Either way the replicas the removed cluster holds stay there. ${defaultIs(DEFAULTS.inventory.onRemove)}.`),
}).describe('Clusters read from a Cluster Inventory (multicluster.x-k8s.io ClusterProfiles on a hub cluster), joining those of clusters:.');

const controller = z.strictObject({
  writeQps: z.number().positive().optional().describe(`Write requests per second to each destination apiserver. ${defaultIs(DEFAULTS.controller.writeQps)}.`),
  writeBurst: z.number().int().min(1).optional().describe(`Writes that may go at once before writeQps applies. ${defaultIs(DEFAULTS.controller.writeBurst)}.`),
  resyncInterval: duration.optional().describe(`Full relist and reconcile of everything, repairing whatever a missed event left behind. ${defaultIs(DEFAULTS.controller.resyncInterval)}.`),
  watchTimeout: duration.optional().describe(`Server-side timeout of each watch request; the watch is then re-opened. ${defaultIs(DEFAULTS.controller.watchTimeout)}.`),
}).describe('Settings of the controller (`mcsync run`).');

const leaderElection = z.strictObject({
  cluster: clusterName.optional().describe('Cluster holding the Lease. Default: the --local-cluster in pull mode, else the first cluster.'),
  namespace: dnsLabel.optional().describe(`Namespace of the Lease. ${defaultIs(DEFAULTS.leaderElection.namespace)}.`),
  name: z.string().min(1).max(253).optional().describe(`Lease name. ${defaultIs(DEFAULTS.leaderElection.name)}.`),
  leaseDuration: duration.optional().describe(`How long a Lease holds after its last renewal; followers wait this long before taking over. ${defaultIs(DEFAULTS.leaderElection.leaseDuration)}.`),
  renewDeadline: duration.optional().describe(`How long the leader keeps trying to renew before it gives up leadership; shorter than leaseDuration. ${defaultIs(DEFAULTS.leaderElection.renewDeadline)}.`),
  retryPeriod: duration.optional().describe(`Time between attempts to acquire or renew the Lease; shorter than renewDeadline. ${defaultIs(DEFAULTS.leaderElection.retryPeriod)}.`),
}).describe('Lease-based leader election for `mcsync run --leader-elect` (client-go\'s timings by default).');

const copyFilter = z.strictObject({
  include: z.array(z.string().min(1)).optional().describe('Copy only keys matching one of these globs (`*` matches any run of characters).'),
  exclude: z.array(z.string().min(1)).optional().describe('Never copy keys matching these globs; added to the built-in exclusions.'),
});

export const configSchema = z
  .strictObject({
    // The format's version (docs/upgrading.md): optional, and v1 is the only one, so every
    // config written so far is a v1 config. A later format will need a new value here.
    apiVersion: z.literal('mcsync.io/v1').optional().describe('Version of this config format; `mcsync.io/v1`, the only one, when absent. A config with another value is refused.'),
    instance: dnsLabel.optional().describe(`Name of this mcsync installation, written on everything it owns, so two installations never collect each other's replicas. ${defaultIs(DEFAULTS.instance)}.`),
    createNamespaces: z.boolean().optional().describe(`Create a missing destination namespace (labelled as created by mcsync). ${defaultIs(DEFAULTS.createNamespaces)}, as the original did.`),
    conflictPolicy: conflictPolicy.optional().describe(`${conflictPolicyText} ${defaultIs(DEFAULTS.conflictPolicy)}; a service entry may set its own.`),
    copyLabels: copyFilter.optional().describe('Which source Service labels replicas carry.'),
    copyAnnotations: copyFilter.optional().describe('Which source Service annotations replicas carry.'),
    concurrency: z.number().int().min(1).max(64).optional().describe(`Write requests in flight per destination cluster. ${defaultIs(DEFAULTS.concurrency)}.`),
    mcs: z.boolean().optional().describe(`Speak the Multi-Cluster Services API (multicluster.x-k8s.io): every Service with a ServiceExport of its name is exported to the clusterset, and every cluster with its namespace gets a ServiceImport with a clusterset IP and the exporting clusters' endpoints. Needs the MCS CRDs in every cluster. ${defaultIs(DEFAULTS.mcs)}.`),
    networkPolicies: z.boolean().optional().describe(`Keep companion NetworkPolicies for every NetworkPolicy annotated mcsync.io/remote-clusters: its peers matched against the pods of those clusters, written as ipBlocks. ${defaultIs(DEFAULTS.networkPolicies)}.`),
    controller: controller.optional(),
    leaderElection: leaderElection.optional(),
    clusters: z.array(clusterEntry).min(1).optional().describe('Every cluster of the flat network, with what each exports. Required unless an inventory gives the clusters.'),
    inventory: inventory.optional(),
  })
  .describe('mcsync configuration');

export type RawConfig = z.infer<typeof configSchema>;
export type ConflictPolicy = z.infer<typeof conflictPolicy>;
export type RawInventoryRule = z.infer<typeof inventoryRule>;
