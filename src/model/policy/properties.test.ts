// Property tests of the companion planner over random remote pods, namespaces, user policies
// and debris (other instances' objects, a user policy squatting on a companion's name). Matching
// is checked against a reference built on the text selector of vocab/selector.ts, a separate
// implementation of the same semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchesLabelSelector, type LabelSelector } from '../../vocab/selector.ts';
import { isOwned, MCS_SOURCE_CLUSTER, ownershipLabels } from '../../vocab/labels.ts';
import type { LabelSelectorObject, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, Pod } from '../../vocab/objects.ts';
import { canonicalJson, cmp } from '../canonical.ts';
import { formatIp, parseCidr, parseIp } from '../cidr.ts';
import { addressBlocks } from './blocks.ts';
import { remoteRules, renderCompanions, splitRules, type RemoteRule } from './companion.ts';
import { companionName } from './names.ts';
import { indexRemote } from './peers.ts';
import { planPolicies } from './plan.ts';
import { applyPolicyActions, ns, pod, policy, trio } from './fixtures.test-util.ts';
import type { RemotePods } from './types.ts';

const NAMESPACES = ['shop', 'data', 'ops'];
const KEYS = ['role', 'tier'];
const VALUES = ['client', 'web', 'db'];

// ---------------------------------------------------------------------------------------------
// Generators

const arbLabels = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 2 });
const arbSelector: fc.Arbitrary<LabelSelectorObject> = fc.record({
  matchLabels: fc.option(fc.dictionary(fc.constantFrom(...KEYS, 'env'), fc.constantFrom(...VALUES, 'prod'), { maxKeys: 1 }), { nil: undefined }),
  matchExpressions: fc.option(fc.array(fc.oneof(
    fc.record({ key: fc.constantFrom(...KEYS, 'env'), operator: fc.constantFrom('In' as const, 'NotIn' as const), values: fc.uniqueArray(fc.constantFrom(...VALUES, 'prod'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ key: fc.constantFrom(...KEYS, 'env'), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
  ), { maxLength: 2 }), { nil: undefined }),
}, { requiredKeys: [] });
const arbPeer: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  fc.record({ podSelector: arbSelector }),
  fc.record({ namespaceSelector: arbSelector }),
  fc.record({ podSelector: arbSelector, namespaceSelector: arbSelector }),
  fc.constant({ ipBlock: { cidr: '192.168.0.0/16' } }),
);
const PORTS = [undefined, [{ port: 80 }], [{ protocol: 'UDP', port: 53 }], [{ port: 8000, endPort: 8080 }, { port: 443, protocol: 'TCP' }]];
const arbRule = fc.record({ ports: fc.nat({ max: PORTS.length - 1 }), peers: fc.option(fc.array(arbPeer, { maxLength: 3 }), { nil: undefined }) });
const toRule = (dir: 'from' | 'to') => (g: { ports: number; peers: NetworkPolicyPeer[] | undefined }): NetworkPolicyRule => {
  const r: NetworkPolicyRule = {};
  const ports = PORTS[g.ports];
  if (ports) r.ports = structuredClone(ports);
  if (g.peers) r[dir] = g.peers;
  return r;
};
const arbPolicyBody = fc.record({
  ns: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom('web', 'api', 'db'),
  ingress: fc.array(arbRule.map(toRule('from')), { maxLength: 3 }),
  egress: fc.array(arbRule.map(toRule('to')), { maxLength: 2 }),
  types: fc.constantFrom<('Ingress' | 'Egress')[] | undefined>(undefined, ['Ingress'], ['Ingress', 'Egress'], ['Egress']),
  remotes: fc.constantFrom('b', 'c', 'b,c', '*', undefined, 'b,zzz'),
});

/** Small address spaces, so that aligned runs (and so merged blocks) happen often. */
const arbAddress = fc.oneof(fc.nat({ max: 31 }).map((i) => `10.9.0.${i}`), fc.nat({ max: 31 }).map((i) => `fd00::${i.toString(16)}`));
const arbPod = fc.record({
  ns: fc.constantFrom(...NAMESPACES, 'lab'),
  labels: arbLabels,
  ips: fc.uniqueArray(arbAddress, { maxLength: 2 }),
  phase: fc.constantFrom('Running', 'Running', 'Pending', 'Succeeded', 'Failed'),
  deleting: fc.boolean(),
  hostNetwork: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});
const arbRemote = (cluster: string) => fc.record({
  pods: fc.array(arbPod, { maxLength: 10 }),
  nsLabels: fc.array(fc.option(fc.constantFrom('prod', 'dev'), { nil: undefined }), { minLength: 4, maxLength: 4 }),
}).map(({ pods, nsLabels }): RemotePods => ({
  cluster,
  namespaces: [...NAMESPACES, 'lab'].map((n, i) => ns(n, nsLabels[i] ? { env: nsLabels[i]! } : {})),
  pods: pods.map((p, i) => pod(p.ns, `p${i}`, p.ips, p.labels, { phase: p.phase, deleting: p.deleting && p.phase === 'Running', hostNetwork: p.hostNetwork })),
}));

type PolicyGen = typeof arbPolicyBody extends fc.Arbitrary<infer T> ? T : never;

function buildPolicy(g: PolicyGen): NetworkPolicy {
  const p = policy(g.ns, g.name, { ingress: g.ingress, egress: g.egress, ...(g.types ? { policyTypes: g.types } : {}), ...(g.remotes !== undefined ? { remotes: g.remotes } : {}) });
  return p;
}

// ---------------------------------------------------------------------------------------------
// The reference: Kubernetes' peer semantics written out directly, on the text selector matcher.

function asRequirements(sel: LabelSelectorObject): LabelSelector {
  return [
    ...Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in' as const, values: [v] })),
    ...(sel.matchExpressions ?? []).map((e) => (e.operator === 'In' || e.operator === 'NotIn'
      ? { key: e.key, op: e.operator.toLowerCase() as 'in' | 'notin', values: e.values ?? [] }
      : { key: e.key, op: e.operator.toLowerCase() as 'exists' | 'doesnotexist' })),
  ];
}

function referenceCounts(p: Pod): boolean {
  return p.metadata.deletionTimestamp === undefined && p.spec?.hostNetwork !== true && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && (p.status?.podIPs ?? []).length > 0;
}

function referencePeerMatches(peer: NetworkPolicyPeer, policyNs: string, remote: RemotePods, p: Pod): boolean {
  if (peer.ipBlock || (!peer.podSelector && !peer.namespaceSelector)) return false;
  const podNs = p.metadata.namespace!;
  const nsLabels = remote.namespaces.find((n) => n.metadata.name === podNs)?.metadata.labels;
  const nsOk = peer.namespaceSelector ? matchesLabelSelector(asRequirements(peer.namespaceSelector), nsLabels) : podNs === policyNs;
  return nsOk && (!peer.podSelector || matchesLabelSelector(asRequirements(peer.podSelector), p.metadata.labels));
}

/** Every address a CIDR holds, as canonical text (the generators keep blocks small). */
function expand(cidr: string): string[] {
  const c = parseCidr(cidr)!;
  const width = c.family === 4 ? 32 : 128;
  const out: string[] = [];
  for (let v = c.base; v < c.base + (1n << BigInt(width - c.bits)); v++) out.push(formatIp({ family: c.family, value: v }));
  return out;
}

const canonical = (a: string) => formatIp(parseIp(a)!);

// ---------------------------------------------------------------------------------------------

test('aggregation is an exact cover: the blocks hold every given address and nothing else, each once', () => {
  fc.assert(fc.property(fc.array(arbAddress, { maxLength: 40 }), (addresses) => {
    const blocks = addressBlocks(addresses);
    const held = blocks.flatMap(expand);
    assert.equal(new Set(held).size, held.length, 'blocks do not overlap');
    assert.deepEqual(new Set(held), new Set(addresses.map(canonical)));
  }), { numRuns: 300 });
});

test('a companion admits exactly the matching remote pods, on the ports of the rules that match them; never a rule without peers', () => {
  fc.assert(fc.property(arbPolicyBody, arbRemote('b'), (g, remote) => {
    const user = buildPolicy(g);
    const companions = renderCompanions('default', user, 'b', remoteRules(user, indexRemote(remote)).rules);
    const types = user.spec.policyTypes ?? (user.spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress']);
    for (const dir of ['ingress', 'egress'] as const) {
      const peersField = dir === 'ingress' ? 'from' : 'to';
      const userRules = types.includes(dir === 'ingress' ? 'Ingress' : 'Egress') ? user.spec[dir] ?? [] : [];
      // What the reference admits: address -> the port lists of rules that admit it.
      const expected = new Set<string>();
      for (const r of userRules) {
        const peers = r[peersField];
        if (!peers || peers.length === 0) continue;
        for (const p of remote.pods) {
          if (!referenceCounts(p) || !peers.some((peer) => referencePeerMatches(peer, g.ns, remote, p))) continue;
          for (const ip of p.status!.podIPs!) expected.add(`${canonicalJson(r.ports ?? [])} ${canonical(ip.ip)}`);
        }
      }
      const admitted = new Set<string>();
      for (const c of companions) {
        assert.deepEqual(c.spec.podSelector, user.spec.podSelector);
        assert.deepEqual(c.spec.policyTypes, types);
        for (const r of c.spec[dir] ?? []) {
          const peers = r[peersField]!;
          assert.ok(peers.length > 0, 'a rule without peers would admit everyone');
          for (const peer of peers) for (const a of expand(peer.ipBlock!.cidr)) admitted.add(`${canonicalJson(r.ports ?? [])} ${a}`);
        }
      }
      assert.deepEqual(admitted, expected);
    }
  }), { numRuns: 400 });
});

test('splitting keeps every block exactly once, in order, each part within the limit, each piece with its rule\'s ports', () => {
  const arbRules = fc.array(fc.record({
    direction: fc.constantFrom('ingress' as const, 'egress' as const),
    ports: fc.constantFrom<NetworkPolicyPort[] | undefined>(undefined, [{ port: 80 }]),
    blocks: fc.array(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
  }, { requiredKeys: ['direction', 'blocks'] }), { maxLength: 5 });
  fc.assert(fc.property(arbRules, fc.integer({ min: 1, max: 7 }), (rules: RemoteRule[], max) => {
    const parts = splitRules(rules, max);
    assert.ok(parts.every((p) => p.length > 0 && p.reduce((n, r) => n + r.blocks.length, 0) <= max));
    assert.ok(parts.slice(0, -1).every((p) => p.reduce((n, r) => n + r.blocks.length, 0) === max), 'only the last part is not full');
    const flat = (rs: RemoteRule[]) => rs.flatMap((r) => r.blocks.map((b) => `${r.direction} ${canonicalJson(r.ports)} ${b}`));
    assert.deepEqual(flat(parts.flat()), flat(rules));
  }), { numRuns: 300 });
});

interface World {
  policies: NetworkPolicy[];
  companions: NetworkPolicy[];
  remotes: Map<string, RemotePods>;
  unavailable: Set<string>;
  withdrawn: Set<string>;
}

const arbWorld: fc.Arbitrary<World> = fc.record({
  policies: fc.uniqueArray(arbPolicyBody, { maxLength: 4, selector: (g) => `${g.ns}/${g.name}` }),
  b: arbRemote('b'),
  c: arbRemote('c'),
  bState: fc.constantFrom('up', 'up', 'unavailable', 'withdrawn'),
  squat: fc.boolean(),
  foreign: fc.boolean(),
}).map((g) => {
  const policies = g.policies.map(buildPolicy);
  const companions: NetworkPolicy[] = [];
  // Debris: a user policy on a companion's name, and another instance's companion.
  if (g.squat) policies.push(policy('shop', companionName('web', 'c', 1)));
  if (g.foreign) {
    const theirs = policy('shop', companionName('api', 'b', 1));
    theirs.metadata.labels = ownershipLabels('other');
    theirs.metadata.annotations = { 'mcsync.io/companion-of': 'shop/api' };
    companions.push(theirs);
  }
  const remotes = new Map<string, RemotePods>([['c', g.c]]);
  if (g.bState === 'up') remotes.set('b', g.b);
  return {
    policies,
    companions,
    remotes,
    unavailable: new Set(g.bState === 'up' ? [] : ['b']),
    withdrawn: new Set(g.bState === 'withdrawn' ? ['b'] : []),
  };
});

const cfg = trio();
const plan = (w: World, companions: NetworkPolicy[]) => planPolicies(cfg, 'a', w.policies, companions, w.remotes, { unavailable: w.unavailable, withdrawn: w.withdrawn, maxBlocksPerCompanion: 3 });

test('planning is safe (only owned objects changed, no create over a name) and idempotent once applied', () => {
  fc.assert(fc.property(arbWorld, fc.array(arbPolicyBody, { maxLength: 2 }), (w, earlier) => {
    // Start from the companions an earlier, different set of policies left behind.
    const before = applyPolicyActions(w.companions, planPolicies(cfg, 'a', earlier.map(buildPolicy), w.companions, new Map([['b', w.remotes.get('b') ?? { cluster: 'b', pods: [], namespaces: [] }], ['c', w.remotes.get('c')!]])).actions.filter((a) => a.verb === 'create'));
    const p = plan(w, before);
    const existing = new Map([...w.policies, ...before].map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
    for (const a of p.actions) {
      const live = existing.get(`${a.ref.namespace}/${a.ref.name}`);
      if (a.verb === 'create') assert.equal(live, undefined, `create over ${a.ref.name}`);
      else assert.ok(live && isOwned(live.metadata, 'default'), `${a.verb} of ${a.ref.name}, not owned`);
      assert.equal(a.ref.kind, 'NetworkPolicy');
    }
    for (const problem of p.problems) {
      assert.ok(!p.actions.some((a) => a.key === `${problem.namespace}/${problem.name}`), 'bad input: nothing written for it');
    }
    const after = applyPolicyActions(before, p.actions);
    assert.deepEqual(plan(w, after).actions, []);
  }), { numRuns: 300 });
});

test('an unavailable remote\'s companions are never touched or added to; a withdrawn remote\'s are all deleted', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const up = new Map(w.remotes);
    up.set('b', up.get('b') ?? { cluster: 'b', pods: [pod('shop', 'x', ['10.9.0.1'], { role: 'client' })], namespaces: [ns('shop')] });
    const before = applyPolicyActions([], planPolicies(cfg, 'a', w.policies, [], up).actions);
    const p = plan(w, before);
    const sourceOf = (o: NetworkPolicy) => o.metadata.labels?.[MCS_SOURCE_CLUSTER];
    const ofB = new Set(before.filter((c) => sourceOf(c) === 'b').map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
    const touchedB = p.actions.filter((a) => ofB.has(`${a.ref.namespace}/${a.ref.name}`) || (a.verb === 'create' && sourceOf(a.object as NetworkPolicy) === 'b'));
    if (w.withdrawn.has('b')) assert.deepEqual(touchedB.map((a) => `${a.verb} ${a.ref.namespace}/${a.ref.name}`).sort(cmp), [...ofB].map((n) => `delete ${n}`).sort(cmp));
    else if (w.unavailable.has('b')) assert.deepEqual(touchedB, []);
  }), { numRuns: 200 });
});

test('the same inputs in any order give a byte-identical plan', () => {
  fc.assert(fc.property(arbWorld, fc.nat(), (w, seed) => {
    const shuffle = <T>(xs: T[]): T[] => {
      const out = [...xs];
      let s = seed + 1;
      for (let i = out.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const j = s % (i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    };
    const before = applyPolicyActions([], planPolicies(cfg, 'a', w.policies, [], w.remotes).actions);
    const shuffled: World = {
      ...w,
      policies: shuffle(w.policies),
      remotes: new Map(shuffle([...w.remotes]).map(([k, r]) => [k, { ...r, pods: shuffle(r.pods), namespaces: shuffle(r.namespaces) }])),
    };
    assert.equal(canonicalJson(plan(shuffled, shuffle(before))), canonicalJson(plan(w, before)));
  }), { numRuns: 200 });
});
