// The one table of what mcsync needs from the Kubernetes API of each cluster, and which of it a
// given cluster must grant. doctor asks the apiserver about exactly these needs, and a unit test
// holds deploy/rbac and the Helm chart to them (everything needed is granted, nothing more).
//
// Derived from the code: src/kube/read.ts and the controller's reflectors (list + watch), the
// GETs of src/kube/write.ts and the controller (ownership re-checks), the POST / PUT / DELETE of
// src/kube/write.ts and the Lease of src/kube/lease.ts. mcsync never patches, applies or
// deletes collections.
import { localityWanted } from '../model/locality/plan.ts';
import type { Config } from '../config/types.ts';
import { sourceCollections } from '../kube/read.ts';

/** What a need is for: sync covers sync, plan and run; lease only `run --leader-elect`. */
export type Purpose = 'sync' | 'lease';

export interface AccessNeed {
  verb: string;
  /** '' for the core group. */
  group: string;
  resource: string;
  /** undefined: cluster-wide. */
  namespace?: string;
  /** sync: what sync, plan and run need; lease: only `run --leader-elect`. */
  purpose: Purpose;
}

export interface ApiRule {
  group: string;
  resource: string;
  verbs: readonly string[];
}

/** A job a cluster can do for mcsync, and the API access it takes. */
export type Job = 'read-replicated' | 'read-nodes' | 'read-places' | 'read-namespaces' | 'write-replicas' | 'create-namespaces' | 'read-pods' | 'write-companions' | 'read-exports' | 'write-imports' | 'post-events' | 'lease' | 'self-review';

export interface Requirement {
  rules: readonly ApiRule[];
  purpose: Purpose | 'doctor';
  why: string;
}

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'update', 'delete'] as const;

export const REQUIREMENTS: Readonly<Record<Job, Requirement>> = {
  'read-replicated': {
    rules: [{ group: '', resource: 'services', verbs: READ }, { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: READ }],
    purpose: 'sync',
    why: 'list + watch of a source\'s exported Services and slices and of a destination\'s replicas; get before a create and after a 409',
  },
  'read-nodes': {
    rules: [{ group: '', resource: 'nodes', verbs: ['list', 'watch'] }],
    purpose: 'sync',
    why: 'a source without podCIDRs in the config (with mcs: true, any cluster): its Nodes\' spec.podCIDRs bound the endpoint addresses replicated from it (`sync` lists them, `run` lists and watches them; without the grant the range check is off for that cluster)',
  },
  'read-places': {
    rules: [{ group: '', resource: 'nodes', verbs: ['list', 'watch'] }, { group: 'about.k8s.io', resource: 'clusterproperties', verbs: ['list', 'watch'] }],
    purpose: 'sync',
    why: 'locality tiers (clusterSelectors, or mcs: true): the zones of the Nodes of every cluster written to, which the tiers\' hints name, and each cluster\'s ClusterProperty objects, which tiers select on (without the grant, or without the About API, the cluster has only the properties the config gives)',
  },
  'read-namespaces': {
    rules: [{ group: '', resource: 'namespaces', verbs: ['list', 'watch'] }],
    purpose: 'sync',
    why: 'replicas go only into namespaces that exist; the controller re-plans when one appears',
  },
  'write-replicas': {
    rules: [{ group: '', resource: 'services', verbs: WRITE }, { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: WRITE }],
    purpose: 'sync',
    why: 'POST, PUT with resourceVersion and DELETE with preconditions of replicas',
  },
  'create-namespaces': {
    rules: [{ group: '', resource: 'namespaces', verbs: ['create'] }],
    purpose: 'sync',
    why: 'createNamespaces: true; a namespace mcsync made is never updated or deleted',
  },
  'read-pods': {
    rules: [{ group: '', resource: 'pods', verbs: ['list', 'watch'] }],
    purpose: 'sync',
    why: 'networkPolicies: true; the pods of every cluster a spanned NetworkPolicy may name, matched against its peers (with the namespaces\' labels)',
  },
  'write-companions': {
    rules: [{ group: 'networking.k8s.io', resource: 'networkpolicies', verbs: [...READ, ...WRITE] }],
    purpose: 'sync',
    why: 'networkPolicies: true; list + watch of the user\'s NetworkPolicies, POST, PUT and DELETE of companions, get after a 409',
  },
  'read-exports': {
    rules: [{ group: 'multicluster.x-k8s.io', resource: 'serviceexports', verbs: READ }],
    purpose: 'sync',
    why: 'mcs: true; list + watch of every ServiceExport (any namespace may export), with the Services and slices they name',
  },
  'write-imports': {
    rules: [
      { group: 'multicluster.x-k8s.io', resource: 'serviceimports', verbs: [...READ, ...WRITE] },
      { group: 'multicluster.x-k8s.io', resource: 'serviceimports/status', verbs: ['update'] },
      { group: 'multicluster.x-k8s.io', resource: 'serviceexports/status', verbs: ['update'] },
    ],
    purpose: 'sync',
    why: 'mcs: true; POST, PUT and DELETE of ServiceImports (labelled as mcsync\'s) and their status, and the conditions of the cluster\'s own ServiceExports (status only: the exports themselves are the user\'s)',
  },
  'post-events': {
    rules: [{ group: '', resource: 'events', verbs: ['create'] }],
    purpose: 'sync',
    why: 'a Warning Event on an exported Service whose endpoints the guard dropped, and (networkPolicies: true) on a spanned NetworkPolicy that is bad input',
  },
  lease: {
    rules: [{ group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'] }],
    purpose: 'lease',
    why: 'the Lease of `run --leader-elect`, in leaderElection.namespace of the Lease cluster',
  },
  'self-review': {
    rules: [{ group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', verbs: ['create'] }],
    purpose: 'doctor',
    // Not asked by doctor itself (a review cannot vouch for reviews) and not required of the
    // manifests: Kubernetes grants it to every authenticated user (system:basic-user).
    why: 'doctor asks the apiserver, per need, whether it is granted',
  },
};

/** How mcsync is run against the fleet: push (one instance writes everywhere) or pull. */
export interface Mode {
  /** Pull mode (`--local-cluster`): the one cluster this instance writes to. */
  localCluster?: string;
}

/** Clusters some export rule names as a destination. */
export function destinationClusters(config: Config): Set<string> {
  return new Set(config.clusters.flatMap((c) => c.exports.flatMap((r) => r.exportTo)));
}

/** Clusters this instance writes replicas to: the destinations, in pull mode only the local one. */
export function writtenClusters(config: Config, mode: Mode = {}): Set<string> {
  const all = destinationClusters(config);
  if (mode.localCluster === undefined) return all;
  return all.has(mode.localCluster) ? new Set([mode.localCluster]) : new Set();
}

/** The cluster holding the Lease of `run --leader-elect`, as `run` picks it. */
export function leaseCluster(config: Config, mode: Mode = {}): string {
  return config.leaderElection.cluster ?? mode.localCluster ?? config.clusters[0]!.name;
}

/**
 * The jobs a cluster does, each with the namespaces it is needed in (undefined: cluster-wide).
 * In push mode, and for the local cluster in pull mode, every cluster is read cluster-wide:
 * it is a possible destination whose replicas may need collecting, which also covers a
 * source's reads in its exported namespaces. In pull mode another cluster is only read as a
 * source, in the namespaces its rules name.
 */
export function jobsOf(config: Config, cluster: string, mode: Mode = {}): { job: Job; namespaces?: string[] }[] {
  const jobs: { job: Job; namespaces?: string[] }[] = [];
  const c = config.clusters.find((x) => x.name === cluster);
  const readAsDestination = mode.localCluster === undefined || mode.localCluster === cluster;
  if (readAsDestination) {
    jobs.push({ job: 'read-replicated' }, { job: 'read-namespaces' });
  } else if (c && c.exports.length > 0) {
    const scope = sourceCollections(c);
    // undefined: a rule names no namespace, so the cluster is read everywhere.
    jobs.push(scope.includes(undefined) ? { job: 'read-replicated' } : { job: 'read-replicated', namespaces: scope as string[] });
  }
  // A source read with a writer credential (push mode; pull mode: the local cluster): its Nodes
  // bound what it may export, and rejected endpoints are reported on its Services.
  if (readAsDestination && c && c.exports.length > 0) {
    if (c.podCIDRs === undefined) jobs.push({ job: 'read-nodes' });
    jobs.push({ job: 'post-events' });
  }
  if (writtenClusters(config, mode).has(cluster)) {
    jobs.push({ job: 'write-replicas' });
    if (config.createNamespaces) jobs.push({ job: 'create-namespaces' });
  }
  if (config.networkPolicies && c) {
    // Every cluster may be a remote of some spanned policy: its pods and namespaces are read.
    jobs.push({ job: 'read-pods' });
    if (!readAsDestination) jobs.push({ job: 'read-namespaces' });
    // Companions are rendered next to the user's policies, in every cluster mcsync writes to.
    if (readAsDestination) jobs.push({ job: 'write-companions' });
    if (readAsDestination && !jobs.some((j) => j.job === 'post-events')) jobs.push({ job: 'post-events' });
  }
  if (config.mcs && c) {
    // Any cluster may export, in any namespace; every cluster written to gets imports.
    jobs.push({ job: 'read-exports' });
    const wide = jobs.find((j) => j.job === 'read-replicated');
    if (!wide) jobs.push({ job: 'read-replicated' });
    else delete wide.namespaces;
    if (readAsDestination) {
      // Every cluster may export: its Nodes bound its exports' endpoints as they do a replica source's.
      if (c.podCIDRs === undefined && !jobs.some((j) => j.job === 'read-nodes')) jobs.push({ job: 'read-nodes' });
      jobs.push({ job: 'write-imports' });
      if (!jobs.some((j) => j.job === 'read-namespaces')) jobs.push({ job: 'read-namespaces' });
      if (!jobs.some((j) => j.job === 'write-replicas')) jobs.push({ job: 'write-replicas' });
      if (!jobs.some((j) => j.job === 'post-events')) jobs.push({ job: 'post-events' });
    }
  }
  if (readAsDestination && c && localityWanted(config)) jobs.push({ job: 'read-places' });
  if (leaseCluster(config, mode) === cluster) jobs.push({ job: 'lease', namespaces: [config.leaderElection.namespace] });
  return jobs;
}

/** Every need a cluster must grant, one per verb, in table order: what doctor asks about. */
export function requiredAccess(config: Config, cluster: string, mode: Mode = {}): AccessNeed[] {
  const needs: AccessNeed[] = [];
  for (const { job, namespaces } of jobsOf(config, cluster, mode)) {
    const { rules, purpose } = REQUIREMENTS[job];
    if (purpose === 'doctor') continue;
    for (const namespace of namespaces ?? [undefined]) {
      for (const r of rules) {
        for (const verb of r.verbs) needs.push({ verb, group: r.group, resource: r.resource, purpose, ...(namespace !== undefined ? { namespace } : {}) });
      }
    }
  }
  return needs;
}
