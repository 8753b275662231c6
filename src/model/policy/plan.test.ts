import { test } from 'node:test';
import { cmp } from '../canonical.ts';
import assert from 'node:assert/strict';
import { MCS_SOURCE_CLUSTER, ownershipLabels } from '../../vocab/labels.ts';
import type { NetworkPolicy } from '../../vocab/objects.ts';
import { planPolicies } from './plan.ts';
import { companionName } from './names.ts';
import { applyPolicyActions, ns, pod, policy, trio } from './fixtures.test-util.ts';
import type { RemotePods } from './types.ts';

const cfg = trio();
const client = { podSelector: { matchLabels: { role: 'client' } } };
const remoteOf = (cluster: string, ip: string, labels = { role: 'client' }): RemotePods => ({ cluster, namespaces: [ns('shop')], pods: [pod('shop', 'client', [ip], labels)] });
const remotes = (...r: RemotePods[]) => new Map(r.map((x) => [x.cluster, x]));
const web = (remotesText = 'b,c') => policy('shop', 'web', { remotes: remotesText, ingress: [{ ports: [{ port: 80 }], from: [client] }] });
const summary = (actions: { verb: string; ref: { name: string } }[]) => actions.map((a) => `${a.verb} ${a.ref.name}`);

/** Plans, applies, and returns the companions the cluster then holds. */
function converge(policies: NetworkPolicy[], companions: NetworkPolicy[], r: Map<string, RemotePods>): NetworkPolicy[] {
  return applyPolicyActions(companions, planPolicies(cfg, 'a', policies, companions, r).actions);
}

test('a spanned policy gets one companion per remote cluster with peers; a second plan after applying writes nothing', () => {
  const r = remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1'));
  const plan = planPolicies(cfg, 'a', [web()], [], r);
  assert.deepEqual(summary(plan.actions), [`create ${companionName('web', 'b', 1)}`, `create ${companionName('web', 'c', 1)}`]);
  assert.ok(plan.actions.every((a) => a.key === 'shop/web' && a.ref.kind === 'NetworkPolicy' && a.cluster === 'a'));
  assert.deepEqual(plan.spanned, [{ cluster: 'a', namespace: 'shop', name: 'web', remotes: ['b', 'c'], peers: 2, companions: [companionName('web', 'b', 1), companionName('web', 'c', 1)].sort(cmp) }]);
  const after = converge([web()], [], r);
  assert.deepEqual(planPolicies(cfg, 'a', [web()], after, r).actions, []);
});

test('a remote pod changing its address updates exactly its companion, once', () => {
  const before = converge([web()], [], remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1')));
  const moved = remotes(remoteOf('b', '10.2.0.99'), remoteOf('c', '10.3.0.1'));
  const plan = planPolicies(cfg, 'a', [web()], before, moved);
  assert.deepEqual(summary(plan.actions), [`update ${companionName('web', 'b', 1)}`]);
  const updated = plan.actions[0]!;
  assert.equal(updated.verb === 'update' && (updated.object as NetworkPolicy).spec.ingress![0]!.from![0]!.ipBlock!.cidr, '10.2.0.99/32');
  assert.equal(updated.ref.resourceVersion, before.find((c) => c.metadata.name === updated.ref.name)!.metadata.resourceVersion);
});

test('no remote peer left: the companion is deleted', () => {
  const before = converge([web('b')], [], remotes(remoteOf('b', '10.2.0.1')));
  const plan = planPolicies(cfg, 'a', [web('b')], before, remotes({ cluster: 'b', namespaces: [ns('shop')], pods: [] }));
  assert.deepEqual(summary(plan.actions), [`delete ${companionName('web', 'b', 1)}`]);
});

test('an unavailable remote leaves its companions exactly as they are; a withdrawn one has them deleted', () => {
  const before = converge([web()], [], remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1')));
  const onlyC = remotes(remoteOf('c', '10.3.0.1'));
  const kept = planPolicies(cfg, 'a', [web()], before, onlyC, { unavailable: new Set(['b']) });
  assert.deepEqual(kept.actions, []);
  assert.deepEqual(kept.spanned[0]!.unavailable, ['b']);
  assert.deepEqual(kept.spanned[0]!.companions, [companionName('web', 'b', 1), companionName('web', 'c', 1)].sort(cmp));
  // Not even a pod change in an available remote rewrites the unavailable one's companion.
  const moved = planPolicies(cfg, 'a', [web()], before, remotes(remoteOf('c', '10.3.0.9')), { unavailable: new Set(['b']) });
  assert.deepEqual(summary(moved.actions), [`update ${companionName('web', 'c', 1)}`]);
  const withdrawn = planPolicies(cfg, 'a', [web()], before, onlyC, { unavailable: new Set(['b']), withdrawn: new Set(['b']) });
  assert.deepEqual(summary(withdrawn.actions), [`delete ${companionName('web', 'b', 1)}`]);
});

test('annotation removed, policy deleted or being deleted, remote no longer named: companions deleted', () => {
  const r = remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1'));
  const before = converge([web()], [], r);
  const names = before.map((c) => `delete ${c.metadata.name}`).sort(cmp);
  const unannotated = policy('shop', 'web', { ingress: [{ from: [client] }] });
  assert.deepEqual(summary(planPolicies(cfg, 'a', [unannotated], before, r).actions).sort(cmp), names);
  assert.deepEqual(summary(planPolicies(cfg, 'a', [], before, r).actions).sort(cmp), names);
  const deleting = { ...web(), metadata: { ...web().metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
  assert.deepEqual(summary(planPolicies(cfg, 'a', [deleting], before, r).actions).sort(cmp), names);
  assert.deepEqual(summary(planPolicies(cfg, 'a', [web('c')], before, r).actions), [`delete ${companionName('web', 'b', 1)}`]);
});

test('bad input is a problem and writes nothing for that policy, its companions left alone; other policies go on', () => {
  const r = remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1'));
  const before = converge([web()], [], r);
  const unknown = policy('shop', 'web', { remotes: 'b,eks9', ingress: [{ from: [client] }] });
  const badSelector = policy('shop', 'api', { remotes: 'b', ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'In' }] } }] }] });
  const other = policy('shop', 'db', { remotes: 'b', ingress: [{ from: [client] }] });
  const plan = planPolicies(cfg, 'a', [unknown, badSelector, other], before, remotes(remoteOf('b', '10.2.0.77'), remoteOf('c', '10.3.0.1')));
  assert.deepEqual(summary(plan.actions), [`create ${companionName('db', 'b', 1)}`]);
  assert.deepEqual(plan.problems.map((p) => [p.namespace, p.name]), [['shop', 'api'], ['shop', 'web']]);
  assert.match(plan.problems[0]!.message, /spec\.ingress\[0\]\.from\[0\]\.podSelector: matchExpressions\[0\] operator In needs values/);
  assert.match(plan.problems[1]!.message, /"eks9"/);
  assert.equal(plan.spanned.find((s) => s.name === 'web')!.problem, plan.problems[1]!.message);
});

test('never touches what it does not own: other owners and instances, and a name taken by a user policy', () => {
  const r = remotes(remoteOf('b', '10.2.0.1'));
  const theirs = (labels: Record<string, string>): NetworkPolicy => ({ ...policy('shop', companionName('web', 'b', 1), { labels: { ...labels, [MCS_SOURCE_CLUSTER]: 'b' } }), metadata: { ...policy('shop', companionName('web', 'b', 1)).metadata, labels, annotations: { 'mcsync.io/companion-of': 'shop/web' } } });
  const otherInstance = theirs(ownershipLabels('other'));
  const plan = planPolicies(cfg, 'a', [web('b')], [otherInstance], r);
  assert.deepEqual(plan.actions, [], 'another instance\'s object is neither updated nor created over');
  assert.match(plan.problems[0]!.message, /taken by a NetworkPolicy mcsync does not own/);
  const squatter = policy('shop', companionName('web', 'b', 1));
  const blocked = planPolicies(cfg, 'a', [web('b'), squatter], [], r);
  assert.deepEqual(blocked.actions, []);
  assert.match(blocked.problems[0]!.message, /taken by a NetworkPolicy mcsync does not own/);
  // An orphan of another instance is never collected.
  assert.deepEqual(planPolicies(cfg, 'a', [], [otherInstance], r).actions, []);
});

test('the same inputs in any order give the same plan', () => {
  const r1 = remotes(remoteOf('b', '10.2.0.1'), remoteOf('c', '10.3.0.1'));
  const r2 = remotes(remoteOf('c', '10.3.0.1'), remoteOf('b', '10.2.0.1'));
  const ps = [web(), policy('shop', 'api', { remotes: '*', ingress: [{ from: [client] }] }), policy('data', 'x', { remotes: 'c', egress: [{ to: [{ namespaceSelector: {} }] }] })];
  assert.deepEqual(planPolicies(cfg, 'a', ps, [], r1), planPolicies(cfg, 'a', [...ps].reverse(), [], r2));
});
