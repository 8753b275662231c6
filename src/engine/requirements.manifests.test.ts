// The RBAC shipped in deploy/rbac and the Helm chart, held to the requirements table: each role
// grants every need of the clusters it is meant for, and nothing beyond (least privilege).
// Reads the manifests as text; no server, no helm binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { cluster, config, rule } from '../model/fixtures.test-util.ts';
import { REQUIREMENTS, requiredAccess, type AccessNeed } from './requirements.ts';

const ROOT = new URL('../../', import.meta.url);
/** Stands in for every `{{ ... }}` expression of a Helm template. */
const TPL = 'TPL';

interface Grant {
  group: string;
  resource: string;
  verb: string;
  /** undefined: cluster-wide (a ClusterRole). */
  namespace?: string;
  names?: string[];
}

interface RbacRule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }
interface RoleDoc { kind?: string; metadata?: { name?: string; namespace?: string }; rules?: RbacRule[] }

/** Helm's control lines dropped, its inline expressions replaced: what is left is the YAML. */
function untemplate(text: string): string {
  return text.split('\n')
    .filter((l) => !/^\s*\{\{-?[^}]*-?\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{-?[^}]*?-?\}\}/g, TPL))
    .join('\n');
}

/** Every (Cluster)Role of a manifest file, by name, its rules expanded to one grant per verb. */
function roles(path: string): Map<string, Grant[]> {
  let text = readFileSync(new URL(path, ROOT), 'utf8');
  if (path.includes('/templates/')) text = untemplate(text);
  const out = new Map<string, Grant[]>();
  for (const doc of parseAllDocuments(text)) {
    assert.deepEqual(doc.errors, [], `${path} parses`);
    const d = doc.toJS() as RoleDoc | null;
    if (d?.kind !== 'ClusterRole' && d?.kind !== 'Role') continue;
    const namespace = d.kind === 'Role' ? d.metadata?.namespace : undefined;
    const grants = (d.rules ?? []).flatMap((r) => (r.apiGroups ?? []).flatMap((group) => (r.resources ?? []).flatMap((resource) =>
      (r.verbs ?? []).map((verb): Grant => ({ group, resource, verb, ...(namespace !== undefined ? { namespace } : {}), ...(r.resourceNames ? { names: r.resourceNames } : {}) })))));
    out.set(d.metadata?.name ?? '', grants);
  }
  return out;
}

const what = (g: { group: string; resource: string }) => `${g.resource}${g.group ? `.${g.group}` : ''}`;
const where = (ns: string | undefined) => (ns === undefined ? 'cluster-wide' : `in ${ns}`);
const sameApi = (g: Grant, n: AccessNeed) => g.group === n.group && g.resource === n.resource && g.verb === n.verb;
/** Needs of doctor only: a manifest may grant them, but Kubernetes gives them to everyone. */
const optional = Object.values(REQUIREMENTS).filter((r) => r.purpose === 'doctor').flatMap((r) => r.rules);

/**
 * What is wrong with a role meant to serve `needs`: needs it does not grant, and grants no need
 * asks for or that reach further than needed. One line per kind, resource and scope, verbs joined.
 */
function mismatches(label: string, grants: Grant[], needs: AccessNeed[], o: { leaseName: string; namespace?: string }): string[] {
  const found = new Map<string, string[]>();
  const note = (key: string, verb: string) => found.set(key, [...(found.get(key) ?? []), verb]);
  // A templated namespace is the one the chart points leaderElection.namespace at.
  const scoped = grants.map((g) => (g.namespace === TPL && o.namespace ? { ...g, namespace: o.namespace } : g));
  for (const n of needs) {
    const covered = scoped.some((g) => sameApi(g, n) && (g.namespace === undefined || g.namespace === n.namespace) && (!g.names || g.names.includes(o.leaseName)));
    if (!covered) note(`lacks|${what(n)} ${where(n.namespace)}`, n.verb);
  }
  for (const g of scoped) {
    const uses = needs.filter((n) => sameApi(g, n));
    if (uses.length === 0) {
      if (!optional.some((r) => r.group === g.group && r.resource === g.resource && r.verbs.includes(g.verb))) note(`beyond|${what(g)} ${where(g.namespace)}`, g.verb);
    } else if (g.namespace === undefined && uses.every((n) => n.namespace !== undefined)) {
      note(`broader|${what(g)} cluster-wide, needed only ${[...new Set(uses.map((n) => where(n.namespace)))].join(', ')}`, g.verb);
    } else if (g.namespace !== undefined && !uses.some((n) => n.namespace === undefined || n.namespace === g.namespace)) {
      note(`beyond|${what(g)} ${where(g.namespace)}`, g.verb);
    }
  }
  const words: Record<string, string> = { lacks: 'does not grant', beyond: 'grants what mcsync does not need:', broader: 'grants' };
  return [...found].map(([key, verbs]) => {
    const [kind, rest] = key.split('|') as [string, string];
    return `${label}: ${words[kind]} ${verbs.join('/')} ${rest}`;
  });
}

function role(path: string, name: string): Grant[] {
  const all = roles(path);
  const r = all.get(name);
  assert.ok(r, `${path} has a role ${name} (it has: ${[...all.keys()].join(', ')})`);
  return r;
}

// The clusters each role is written for, as configs the requirements table understands:
// `written` is a destination and the Lease cluster (push mode); in pull mode (local `written`)
// `wide` exports with a rule naming no namespace and `stars` exports only the namespace stars.
const fleet = config([
  cluster('written', [rule({ namespace: 'shop', exportTo: ['wide'] })]),
  cluster('wide', [rule({ exportTo: ['written'] })]),
  cluster('stars', [rule({ namespace: 'stars', exportTo: ['written'] })]),
]);
const pull = { localCluster: 'written' };
const leaseName = fleet.leaderElection.name;
const leaseNs = fleet.leaderElection.namespace;
const sync = (needs: AccessNeed[]) => needs.filter((n) => n.purpose === 'sync');
const lease = (needs: AccessNeed[]) => needs.filter((n) => n.purpose === 'lease');
const HELM = 'deploy/helm/mcsync/templates/rbac.yaml';

/**
 * Known differences between the manifests and the table, each a line the test produces. An
 * entry here must still be found (remove it once the manifest is fixed); anything else fails.
 */
const KNOWN = new Set([
  // Documented in the manifest: a ClusterRole rule so that `kubectl apply -f deploy/rbac/` works
  // alone; namespaced/leader-election-role.yaml is the least-privilege form.
  `deploy/rbac/destination-writer.yaml mcsync-destination-writer: grants get/create/update leases.coordination.k8s.io cluster-wide, needed only in ${leaseNs}`,
]);

test('every shipped RBAC role grants what the requirements table needs of its clusters, and nothing beyond', () => {
  const writerNeeds = requiredAccess(fleet, 'written');
  const localNeeds = requiredAccess(fleet, 'written', pull);
  assert.deepEqual(localNeeds, writerNeeds, 'a written cluster needs the same in push and pull mode');
  const readerNeeds = requiredAccess(fleet, 'wide', pull);
  const starsNeeds = requiredAccess(fleet, 'stars', pull);
  assert.ok(starsNeeds.length > 0 && starsNeeds.every((n) => n.namespace === 'stars'));
  const helmWriter = role(HELM, `${TPL}-destination-writer`);
  const helmReader = role(HELM, `${TPL}-source-reader`);

  const found = [
    ...mismatches('deploy/rbac/destination-writer.yaml mcsync-destination-writer', role('deploy/rbac/destination-writer.yaml', 'mcsync-destination-writer'), writerNeeds, { leaseName }),
    ...mismatches('deploy/rbac/source-reader.yaml mcsync-source-reader', role('deploy/rbac/source-reader.yaml', 'mcsync-source-reader'), readerNeeds, { leaseName }),
    ...mismatches('deploy/rbac/namespaced/source-reader-role.yaml mcsync-source-reader', role('deploy/rbac/namespaced/source-reader-role.yaml', 'mcsync-source-reader'), starsNeeds, { leaseName }),
    ...mismatches('deploy/rbac/namespaced/leader-election-role.yaml mcsync-leader-election', role('deploy/rbac/namespaced/leader-election-role.yaml', 'mcsync-leader-election'), lease(writerNeeds), { leaseName }),
    // The chart binds both ClusterRoles in the cluster it is installed in, which mcsync writes
    // to (pull: the local cluster): together they serve its needs; the reader alone serves a
    // cluster that is only read.
    ...mismatches(`${HELM} TPL-destination-writer`, helmWriter, sync(localNeeds), { leaseName }),
    ...mismatches(`${HELM} TPL-source-reader`, helmReader, readerNeeds, { leaseName }),
    ...mismatches(`${HELM} TPL-leader-election`, role(HELM, `${TPL}-leader-election`), lease(localNeeds), { leaseName, namespace: leaseNs }),
  ];
  // networkPolicies: true adds roles of their own, so that without the switch nothing reaches Pods or NetworkPolicies.
  /** What a switch adds to a cluster's needs over the plain fleet. */
  const addedBy = (on: typeof fleet) => (name: string, mode = {}) => {
    const before = requiredAccess(fleet, name, mode);
    return sync(requiredAccess(on, name, mode)).filter((n) => !before.some((b) => b.verb === n.verb && b.group === n.group && b.resource === n.resource && b.namespace === n.namespace));
  };
  const added = addedBy({ ...fleet, networkPolicies: true });
  assert.deepEqual(added('written'), added('written', pull), 'a written cluster needs the same in push and pull mode');
  assert.ok(added('written').some((n) => n.resource === 'networkpolicies') && added('wide', pull).some((n) => n.resource === 'pods'));
  found.push(
    ...mismatches('deploy/rbac/network-policies/roles.yaml mcsync-network-policy-writer', role('deploy/rbac/network-policies/roles.yaml', 'mcsync-network-policy-writer'), added('written'), { leaseName }),
    ...mismatches('deploy/rbac/network-policies/roles.yaml mcsync-pod-reader', role('deploy/rbac/network-policies/roles.yaml', 'mcsync-pod-reader'), added('wide', pull), { leaseName }),
    ...mismatches(`${HELM} TPL-network-policy-writer`, role(HELM, `${TPL}-network-policy-writer`), added('written', pull), { leaseName }),
    ...mismatches(`${HELM} TPL-pod-reader`, role(HELM, `${TPL}-pod-reader`), added('wide', pull), { leaseName }),
  );
  // mcs: true likewise: without it nothing reads ServiceExports or writes ServiceImports.
  const addedMcs = addedBy({ ...fleet, mcs: true });
  assert.deepEqual(addedMcs('written'), addedMcs('written', pull), 'a written cluster needs the same in push and pull mode');
  assert.ok(addedMcs('written').some((n) => n.resource === 'serviceimports') && addedMcs('stars', pull).some((n) => n.resource === 'serviceexports'));
  found.push(
    ...mismatches('deploy/rbac/mcs/roles.yaml mcsync-mcs-writer', role('deploy/rbac/mcs/roles.yaml', 'mcsync-mcs-writer'), addedMcs('written'), { leaseName }),
    ...mismatches('deploy/rbac/mcs/roles.yaml mcsync-mcs-reader', role('deploy/rbac/mcs/roles.yaml', 'mcsync-mcs-reader'), addedMcs('stars', pull), { leaseName }),
    ...mismatches(`${HELM} TPL-mcs-writer`, role(HELM, `${TPL}-mcs-writer`), addedMcs('written', pull), { leaseName }),
    ...mismatches(`${HELM} TPL-mcs-reader`, role(HELM, `${TPL}-mcs-reader`), addedMcs('stars', pull), { leaseName }),
  );
  assert.deepEqual(found.filter((m) => !KNOWN.has(m)), [], 'mismatches between the manifests and src/engine/requirements.ts');
  assert.deepEqual([...KNOWN].filter((m) => !found.includes(m)), [], 'known differences no longer found: drop them from KNOWN');
});

test('the manifest check names what it finds: a missing need, an extra grant, a grant too wide', () => {
  const needs: AccessNeed[] = [
    { verb: 'list', group: '', resource: 'services', purpose: 'sync', namespace: 'stars' },
    { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', purpose: 'lease', namespace: 'kube-system' },
  ];
  const grants: Grant[] = [
    { verb: 'list', group: '', resource: 'services' },
    { verb: 'get', group: '', resource: 'secrets' },
    { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
  ];
  assert.deepEqual(mismatches('r', grants, needs, { leaseName }), [
    'r: does not grant create leases.coordination.k8s.io in kube-system',
    'r: grants list services cluster-wide, needed only in stars',
    'r: grants what mcsync does not need: get secrets cluster-wide',
  ]);
  const named: Grant[] = [{ verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', names: ['someone-else'] }];
  assert.deepEqual(mismatches('r', named, needs.slice(1), { leaseName }), ['r: does not grant create leases.coordination.k8s.io in kube-system']);
});
