import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderService } from './replica-service.ts';
import { renderSlices } from './replica-slices.ts';
import { cluster, config, ep, exportOf, pair, rule, slice, svc } from './fixtures.test-util.ts';
import { selectExports } from './select.ts';
import { INSTANCE, OWNED_BY, SOURCES } from '../vocab/labels.ts';

const cfg = pair();

test('NodePort and LoadBalancer sources become ClusterIP replicas without node ports or load-balancer fields', () => {
  const lb = svc('management-ui', 'management-ui', {
    type: 'LoadBalancer',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 9001, nodePort: 31234, appProtocol: 'http' }],
    spec: {
      clusterIPs: ['10.0.0.10'],
      healthCheckNodePort: 32000,
      loadBalancerIP: '1.2.3.4',
      loadBalancerSourceRanges: ['0.0.0.0/0'],
      loadBalancerClass: 'x',
      allocateLoadBalancerNodePorts: true,
      externalIPs: ['5.6.7.8'],
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      publishNotReadyAddresses: false,
      trafficDistribution: 'PreferClose',
    },
  });
  lb.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
  const { service } = renderService(cfg, 'west', [exportOf(lb)]);
  assert.deepEqual(service.spec, {
    type: 'ClusterIP',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, appProtocol: 'http' }],
    internalTrafficPolicy: 'Cluster',
    trafficDistribution: 'PreferClose',
  }, 'what routing needs is carried; externalIPs and the load-balancer fields are not');
  assert.equal((service.spec as { externalIPs?: unknown }).externalIPs, undefined);
  assert.equal(service.status, undefined);
  assert.equal(service.metadata.uid, undefined);
  assert.equal(service.metadata.resourceVersion, undefined);

  const np = svc('stars', 'frontend', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(np)]).service.spec, { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
});

test('headless stays headless, ExternalName stays ExternalName, session affinity is carried', () => {
  const headless = svc('db', 'pg', { clusterIP: 'None', spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(headless)]).service.spec, {
    type: 'ClusterIP',
    clusterIP: 'None',
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
  });
  const ext = svc('x', 'search', { type: 'ExternalName', ports: [], spec: { externalName: 'search.example.com', clusterIP: undefined, selector: undefined } });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(ext)]).service.spec, { type: 'ExternalName', externalName: 'search.example.com' });
  assert.deepEqual(renderSlices(cfg, 'x', 'search', [exportOf(ext, [slice('x', 'search', 's', [ep('10.0.0.1')])])], []), [], 'an ExternalName source has no replica slices');
});

test('labels and annotations: copy filter, stamps of the winner, ownership and SOURCES', () => {
  const c = config([cluster('east', [rule({ exportTo: ['west'] })], { replicaLabels: { stamp: 'east' }, replicaAnnotations: { 'stamp/a': '1' } }), cluster('west')]);
  const source = svc('shop', 'web', {
    labels: { app: 'web', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'web-1', [OWNED_BY]: 'spoof' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'mcsync.io/sources': 'zzz', note: 'keep' },
  });
  const [ex] = selectExports(c, [{ cluster: 'east', services: [source], slices: new Map() }]).exports;
  const { service } = renderService(c, 'west', [ex!]);
  assert.deepEqual(service.metadata.labels, { app: 'web', [INSTANCE]: 'default', [OWNED_BY]: 'mcsync', stamp: 'east' });
  assert.deepEqual(service.metadata.annotations, { [SOURCES]: 'east', note: 'keep', 'stamp/a': '1' });
});

test('several sources: the oldest wins the spec, differing ports and kinds are conflicts, SOURCES lists all', () => {
  const old = svc('shop', 'web', { created: '2023-01-01T00:00:00Z', labels: { from: 'north' } });
  const young = svc('shop', 'web', { created: '2024-01-01T00:00:00Z', ports: [{ name: 'http', port: 8080 }], labels: { from: 'east' } });
  const headless = svc('shop', 'web', { created: '2025-01-01T00:00:00Z', clusterIP: 'None' });
  const r = renderService(cfg, 'west', [exportOf(young, [], 'east'), exportOf(headless, [], 'south'), exportOf(old, [], 'north')]);
  assert.equal(r.winner.sourceCluster, 'north');
  assert.deepEqual(r.service.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80 }]);
  assert.equal(r.service.metadata.labels!['from'], 'north');
  assert.equal(r.service.metadata.annotations![SOURCES], 'east,north,south');
  assert.deepEqual(r.conflicts.map((c) => [c.kind, c.cluster, c.namespace, c.name]), [
    ['port-mismatch', 'west', 'shop', 'web'],
    ['type-mismatch', 'west', 'shop', 'web'],
  ]);
  assert.match(r.conflicts[0]!.message, /east exports 8080\/TCP \(http\), north 80\/TCP \(http\); north has the oldest export and wins/);

  // Same age: the source cluster name breaks the tie.
  const tie = renderService(cfg, 'west', [exportOf(svc('shop', 'web'), [], 'b'), exportOf(svc('shop', 'web'), [], 'a')]);
  assert.equal(tie.winner.sourceCluster, 'a');
  assert.deepEqual(tie.conflicts, []);
  // Unavailable sources kept in SOURCES.
  assert.equal(renderService(cfg, 'west', [exportOf(svc('shop', 'web'))], ['gone']).service.metadata.annotations![SOURCES], 'east,gone');
});

test('routing fields: a source with an IPv6 family or asking for dual stack gets PreferDualStack, never a family list', () => {
  const spec = (extra: Record<string, unknown>, clusterIP?: string) =>
    renderService(cfg, 'west', [exportOf(svc('shop', 'web', { ...(clusterIP ? { clusterIP } : {}), spec: extra }))]).service.spec;
  const dual = spec({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.0.0.1', 'fd00::1'], internalTrafficPolicy: 'Local', trafficDistribution: 'PreferSameZone' });
  assert.equal(dual.ipFamilyPolicy, 'PreferDualStack', 'RequireDualStack would be rejected by an IPv4-only destination');
  assert.equal(dual.ipFamilies, undefined, 'the destination picks its own families and their order');
  assert.equal(dual.clusterIPs, undefined);
  assert.equal(dual.internalTrafficPolicy, 'Local');
  assert.equal(dual.trafficDistribution, 'PreferSameZone');
  assert.equal(spec({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] }).ipFamilyPolicy, 'PreferDualStack', 'asked for, even where the source had one family');
  assert.equal(spec({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] }).ipFamilyPolicy, 'PreferDualStack', 'an IPv6-only source: reachable in a dual-stack IPv4-first destination');
  assert.equal(spec({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] }).ipFamilyPolicy, undefined, 'IPv4 single stack: the destination\'s default');
  assert.equal(spec({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }, 'None').ipFamilyPolicy, undefined, 'headless: no ClusterIP to allocate');
  const ext = svc('x', 'search', { type: 'ExternalName', ports: [], spec: { externalName: 'search.example.com', clusterIP: undefined, selector: undefined, trafficDistribution: 'PreferClose', externalIPs: ['5.6.7.8'] } });
  assert.deepEqual(renderService(cfg, 'west', [exportOf(ext)]).service.spec, { type: 'ExternalName', externalName: 'search.example.com' });
});
