// A source whose EndpointSlices were written by hand to point a destination's traffic where it
// must not go: another cluster's pods and apiserver, a node. (Loopback and link-local, the
// metadata service included, are refused by the apiserver itself when a slice is written; the
// guard drops them too, for slices that reach a source some other way: unit-tested.)
// `mcsync sync` replicates only the source's own pod IP and says what it dropped, on the
// source Service (an Event) and in `mcsync status`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClusterSet, type ClusterSet } from '../../harness/src/controlplane/clusterset.ts';
import { Pods } from '../../harness/src/workload/pods.ts';
import { runMcsync, writeConfig } from '../../harness/src/mcsync/cli.ts';
import { addressMap, apis, slicesOf, REPLICA_SLICES, type Apis } from '../support/kube.ts';
import { ok } from '../support/mcsync.ts';

const NS = 'hostile';

let set: ClusterSet;
let A: Apis, B: Apis;
let cfg: string;
let goodIp: string;
/** What the forged slice claims, by what it really is. */
let forged: Record<string, string>;
/** What the first `mcsync plan -o json` and `mcsync sync` printed. */
let firstPlan: string;
let firstSync: string;

before(async () => {
  set = await startClusterSet({ names: ['a', 'b'] });
  [A, B] = ['a', 'b'].map((n) => apis(set.get(n))) as [Apis, Apis];
  const podsA = new Pods(set.get('a'));
  await podsA.ensureNamespace(NS);
  // A real pod of a, which also gives a its Node with spec.podCIDRs (the harness's 10.100.0.0/16).
  goodIp = (await podsA.create({ namespace: NS, name: 'web-0', labels: { app: 'web' } })).status!.podIP!;
  const bKubernetes = (await B.core.readNamespacedService({ namespace: 'default', name: 'kubernetes' })).spec!.clusterIP!;
  forged = {
    'a pod IP of the destination (its pod CIDR)': '10.101.0.50',
    "the destination's apiserver, by its Service IP": bKubernetes,
    'a node address outside the pod CIDR': '192.168.49.2',
  };
  // No selector: the built-in controller leaves the slice alone, and its managed-by says so too.
  await A.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } });
  await A.discovery.createNamespacedEndpointSlice({ namespace: NS, body: {
    metadata: { name: 'web-forged', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'forger.example.com' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [goodIp, ...Object.values(forged)].map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  } });
  cfg = writeConfig([
    'instance: hostile',
    'clusters:',
    `- name: a`, `  kubeconfig: ${set.get('a').kubeconfigPath}`, '  services:', `  - namespace: ${NS}`,
    `- name: b`, `  kubeconfig: ${set.get('b').kubeconfigPath}`,
  ].join('\n') + '\n');
  firstPlan = ok(await runMcsync(['plan', '--config', cfg, '-o', 'json'])).stdout;
  firstSync = ok(await runMcsync(['sync', '--config', cfg])).stdout;
});

/** The indented line naming one refused address and its reason, under the line of its source Service. */
const addressLine = (ip: string) => new RegExp(`^  ${ip.replace(/\./g, '\\.')}\\s+outside-pod-cidrs$`, 'm');

test('sync names each refused address under its source cluster and Service, with the reason, and counts them in its summary', () => {
  assert.match(firstSync, new RegExp(`^rejected: a ${NS}/web: 3 outside-pod-cidrs \\(.*\\) \\(not replicated\\)$`, 'm'));
  for (const [what, ip] of Object.entries(forged)) assert.match(firstSync, addressLine(ip), what);
  assert.doesNotMatch(firstSync, addressLine(goodIp));
  assert.match(firstSync, /^1 export\(s\), \d+ write\(s\), 3 endpoint\(s\) refused by the guard$/m);
});

test('plan -o json lists every refused address with source, Service and reason, and their count', () => {
  const p = JSON.parse(firstPlan) as { rejected: { cluster: string; namespace: string; name: string; reason: string; what: string }[]; refused: number };
  assert.equal(p.refused, 3);
  assert.deepEqual(p.rejected.map((r) => [r.cluster, r.namespace, r.name, r.reason, r.what]).sort(),
    Object.values(forged).map((ip) => ['a', NS, 'web', 'outside-pod-cidrs', ip]).sort());
});

after(() => set?.down());

test("the replica in the destination holds only the source's own pod IP", async () => {
  assert.deepEqual(addressMap(await slicesOf(B, NS, 'web', REPLICA_SLICES)), { [goodIp]: true });
});

test('the source Service carries a Warning Event naming every address dropped and why', async () => {
  const events = (await A.core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.reason === 'McsyncRejectedEndpoints');
  assert.equal(events.length, 1, JSON.stringify(events.map((e) => e.message)));
  const e = events[0]!;
  assert.deepEqual([e.type, e.involvedObject.kind, e.involvedObject.name], ['Warning', 'Service', 'web']);
  for (const [what, ip] of Object.entries(forged)) assert.ok(e.message!.includes(ip), `${what} (${ip}) is named: ${e.message}`);
  assert.match(e.message!, /: 3 outside-pod-cidrs \(/);
  assert.ok(!e.message!.includes(goodIp), 'the good IP is not named');
});

test('status shows the rejection, and a second sync changes nothing and posts no second Event', async () => {
  const r = ok(await runMcsync(['status', '--config', cfg]));
  assert.match(r.stdout, new RegExp(`rejected: a ${NS}/web: 3 outside-pod-cidrs \\(.*192\\.168\\.49\\.2`));
  for (const [what, ip] of Object.entries(forged)) assert.match(r.stdout, addressLine(ip), what);
  assert.match(r.stdout, /^3 endpoint\(s\) refused by the guard$/m);
  const plan = ok(await runMcsync(['plan', '--config', cfg]));
  for (const [what, ip] of Object.entries(forged)) assert.match(plan.stdout, addressLine(ip), what);
  assert.match(plan.stdout, /^3 endpoint\(s\) refused by the guard: not replicated$/m);
  ok(await runMcsync(['sync', '--config', cfg]));
  const events = (await A.core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.reason === 'McsyncRejectedEndpoints');
  assert.equal(events.length, 1);
  assert.deepEqual(addressMap(await slicesOf(B, NS, 'web', REPLICA_SLICES)), { [goodIp]: true });
});
