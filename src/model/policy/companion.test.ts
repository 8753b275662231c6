import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPANION_OF, INSTANCE, MCS_SOURCE_CLUSTER, OWNED_BY } from '../../vocab/labels.ts';
import { DNS_SUBDOMAIN } from '../../vocab/names.ts';
import { remoteRules, renderCompanions, splitRules, type RemoteRule } from './companion.ts';
import { companionName, companionOfLabel } from './names.ts';
import { indexRemote } from './peers.ts';
import { ns, pod, policy } from './fixtures.test-util.ts';

const remote = {
  cluster: 'b',
  namespaces: [ns('shop'), ns('ops', { team: 'ops' })],
  pods: [
    pod('shop', 'client', ['10.2.0.1', 'fd00:2::1'], { role: 'client' }),
    pod('shop', 'web', ['10.2.0.8'], { role: 'web' }),
    pod('ops', 'prom', ['10.2.0.20'], { app: 'prom' }),
  ],
};
const client = { podSelector: { matchLabels: { role: 'client' } } };
const render = (p: ReturnType<typeof policy>, max?: number) => renderCompanions('default', p, 'b', remoteRules(p, indexRemote(remote)).rules, max);

test('one rule per user rule, same ports, peers the remote pods as /32 and /128', () => {
  const p = policy('shop', 'web', {
    remotes: 'b',
    ingress: [
      { ports: [{ protocol: 'TCP', port: 80 }], from: [client] },
      { ports: [{ port: 9090 }, { protocol: 'UDP', port: 53, endPort: 60 }], from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] },
    ],
  });
  const [c, ...more] = render(p);
  assert.equal(more.length, 0);
  assert.deepEqual(c!.spec, {
    podSelector: { matchLabels: { app: 'server' } },
    policyTypes: ['Ingress'],
    ingress: [
      { ports: [{ protocol: 'TCP', port: 80 }], from: [{ ipBlock: { cidr: '10.2.0.1/32' } }, { ipBlock: { cidr: 'fd00:2::1/128' } }] },
      { ports: [{ port: 9090 }, { protocol: 'UDP', port: 53, endPort: 60 }], from: [{ ipBlock: { cidr: '10.2.0.20/32' } }] },
    ],
  });
});

test('egress rules become rules with `to`; policyTypes as the apiserver defaults them', () => {
  const p = policy('shop', 'web', { remotes: 'b', egress: [{ ports: [{ port: 5432 }], to: [{ podSelector: { matchLabels: { role: 'web' } } }] }] });
  const [c] = render(p);
  assert.deepEqual(c!.spec, { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress', 'Egress'], egress: [{ ports: [{ port: 5432 }], to: [{ ipBlock: { cidr: '10.2.0.8/32' } }] }] });
  const explicit = policy('shop', 'web', { remotes: 'b', policyTypes: ['Egress'], ingress: [{ from: [client] }], egress: [{ to: [client] }] });
  // Ingress rules of a policy without the Ingress type do nothing, so the companion carries none.
  assert.deepEqual(render(explicit)[0]!.spec, { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.2.0.1/32' } }, { ipBlock: { cidr: 'fd00:2::1/128' } }] }] });
});

test('never a rule without peers: rules that admit everyone, match nothing remote or only ipBlocks are left out', () => {
  const p = policy('shop', 'web', {
    remotes: 'b',
    ingress: [{ ports: [{ port: 1 }] }, { from: [] }, { from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }, { from: [{ podSelector: { matchLabels: { role: 'nobody' } } }] }, { ports: [{ port: 2 }], from: [client] }],
  });
  const [c] = render(p);
  assert.deepEqual(c!.spec.ingress!.map((r) => r.ports), [[{ port: 2 }]]);
  assert.ok(c!.spec.ingress!.every((r) => r.from && r.from.length > 0));
  assert.deepEqual(render(policy('shop', 'web', { remotes: 'b', ingress: [{ from: [{ podSelector: { matchLabels: { role: 'nobody' } } }] }] })), [], 'no rule with remote peers: no companion');
});

test('a companion carries the ownership labels, the companion-of label and annotation and the remote cluster', () => {
  const [c] = render(policy('shop', 'web', { remotes: 'b', ingress: [{ from: [client] }] }));
  assert.equal(c!.metadata.name, companionName('web', 'b', 1));
  assert.equal(c!.metadata.namespace, 'shop');
  assert.deepEqual(c!.metadata.labels, { [OWNED_BY]: 'mcsync', [INSTANCE]: 'default', [COMPANION_OF]: 'web', [MCS_SOURCE_CLUSTER]: 'b' });
  assert.deepEqual(c!.metadata.annotations, { [COMPANION_OF]: 'shop/web' });
});

test('names: a DNS subdomain of at most 253, distinct per remote and part, long user names cut and hashed', () => {
  assert.match(companionName('web', 'b', 1), /^web-mcsync-[0-9a-f]{8}-1$/);
  assert.notEqual(companionName('web', 'b', 1), companionName('web', 'c', 1));
  assert.notEqual(companionName('web', 'b', 1), companionName('web', 'b', 2));
  const long1 = `${'a'.repeat(240)}.x`;
  const long2 = `${'a'.repeat(240)}.y`;
  for (const n of [long1, long2, `${'a'.repeat(230)}-${'b'.repeat(20)}`]) {
    const name = companionName(n, 'Eks_1', 12);
    assert.ok(name.length <= 253 && DNS_SUBDOMAIN.test(name), name);
  }
  assert.notEqual(companionName(long1, 'b', 1), companionName(long2, 'b', 1));
  assert.equal(companionOfLabel('web'), 'web');
  assert.match(companionOfLabel('w'.repeat(64)), /^[0-9a-f]{8}$/);
});

test('too many blocks: split into parts in order, a rule continued with its ports, every block once', () => {
  const rules: RemoteRule[] = [
    { direction: 'ingress', ports: [{ port: 80 }], blocks: ['1', '2', '3'] },
    { direction: 'egress', blocks: ['4', '5'] },
  ];
  assert.deepEqual(splitRules(rules, 2), [
    [{ direction: 'ingress', ports: [{ port: 80 }], blocks: ['1', '2'] }],
    [{ direction: 'ingress', ports: [{ port: 80 }], blocks: ['3'] }, { direction: 'egress', blocks: ['4'] }],
    [{ direction: 'egress', blocks: ['5'] }],
  ]);
  const p = policy('shop', 'web', { remotes: 'b', ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: {} }] }] });
  const parts = render(p, 1);
  assert.deepEqual(parts.map((c) => c.metadata.name), [1, 2, 3, 4].map((n) => companionName('web', 'b', n)));
});
