import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectExports } from './select.ts';
import { cluster, config, ep, rule, slice, source, svc } from './fixtures.test-util.ts';
import { ownershipLabels } from '../vocab/labels.ts';
import { parseLabelSelector } from '../vocab/selector.ts';

const names = (r: ReturnType<typeof selectExports>) => r.exports.map((e) => `${e.sourceCluster}:${e.service.metadata.namespace}/${e.service.metadata.name}`);

test('filters combine with AND: namespace, nameMatches, names, labelSelector, exclude', () => {
  const cfg = config([
    cluster('east', [
      rule({ namespace: 'shop', nameMatches: [/^web/, /api$/], selector: parseLabelSelector('tier in (front,back)'), exclude: ['web-old'], exportTo: ['west'] }),
    ]),
    cluster('west'),
  ]);
  const src = source('east', [
    svc('shop', 'web', { labels: { tier: 'front' } }),
    svc('shop', 'web-old', { labels: { tier: 'front' } }),
    svc('shop', 'public-api', { labels: { tier: 'back' } }),
    svc('shop', 'db', { labels: { tier: 'back' } }),
    svc('shop', 'web-admin', { labels: { tier: 'ops' } }),
    svc('other', 'web', { labels: { tier: 'front' } }),
  ]);
  assert.deepEqual(names(selectExports(cfg, [src])), ['east:shop/public-api', 'east:shop/web']);

  const exact = config([cluster('east', [rule({ names: ['db', 'missing'], exportTo: ['west'] })]), cluster('west')]);
  assert.deepEqual(names(selectExports(exact, [src])), ['east:shop/db']);
});

test('an absent namespace selects every namespace; output is sorted by namespace, name, source', () => {
  const cfg = config([cluster('west', [rule({ exportTo: ['east'] })]), cluster('east', [rule({ exportTo: ['west'] })])]);
  const r = selectExports(cfg, [
    source('west', [svc('b', 'x'), svc('a', 'y')]),
    source('east', [svc('a', 'y'), svc('a', 'a')]),
  ]);
  assert.deepEqual(names(r), ['east:a/a', 'east:a/y', 'west:a/y', 'west:b/x']);
});

test('default/kubernetes and the kube-* namespaces are never exported unless force, and are reported only when a rule matched them', () => {
  const services = [svc('default', 'kubernetes'), svc('kube-system', 'kube-dns'), svc('kube-public', 'x'), svc('kube-node-lease', 'y'), svc('default', 'web')];
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('west')]);
  const r = selectExports(cfg, [source('east', services)]);
  assert.deepEqual(names(r), ['east:default/web']);
  assert.deepEqual(
    r.excluded.map((x) => `${x.namespace}/${x.name}`),
    ['default/kubernetes', 'kube-node-lease/y', 'kube-public/x', 'kube-system/kube-dns'],
  );
  assert.match(r.excluded[0]!.reason, /force/);

  const narrow = config([cluster('east', [rule({ namespace: 'default', names: ['web'], exportTo: ['west'] })]), cluster('west')]);
  assert.deepEqual(selectExports(narrow, [source('east', services)]).excluded, [], 'no rule would have selected them');

  const forced = config([cluster('east', [rule({ exportTo: ['west'] }), rule({ namespace: 'kube-system', force: true, exportTo: ['west'] })]), cluster('west')]);
  const f = selectExports(forced, [source('east', services)]);
  assert.deepEqual(names(f), ['east:default/web', 'east:kube-system/kube-dns']);
  assert.deepEqual(f.excluded.map((x) => x.name), ['kubernetes', 'y', 'x']);
});

test('a replica is never re-exported, whichever mcsync instance made it', () => {
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('west')]);
  const replica = svc('shop', 'web', { labels: ownershipLabels('default') });
  const foreign = svc('shop', 'api', { labels: ownershipLabels('other') });
  const r = selectExports(cfg, [source('east', [replica, foreign])]);
  assert.deepEqual(names(r), []);
  assert.deepEqual(r.excluded, []);
});

test('several rules matching one Service give one export: destinations unioned, merge wins', () => {
  const cfg = config([
    cluster('east', [rule({ namespace: 'shop', exportTo: ['west'] }), rule({ names: ['web'], exportTo: ['north', 'west'], conflictPolicy: 'merge' })], {
      replicaLabels: { team: 'a' },
      replicaAnnotations: { note: 'x' },
    }),
    cluster('west'),
    cluster('north'),
  ]);
  const r = selectExports(cfg, [source('east', [svc('shop', 'web'), svc('shop', 'db')])]);
  assert.equal(r.exports.length, 2);
  const [db, web] = r.exports;
  assert.deepEqual(db!.destinations, ['west']);
  assert.equal(db!.conflictPolicy, 'skip');
  assert.deepEqual(web!.destinations, ['north', 'west']);
  assert.equal(web!.conflictPolicy, 'merge');
  assert.deepEqual(web!.stampLabels, { team: 'a' });
  assert.deepEqual(web!.stampAnnotations, { note: 'x' });
});

test('slices come from the snapshot by namespace/name, without slices mcsync itself wrote there', () => {
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('west')]);
  const own = slice('shop', 'web', 'web-mirror-1', [ep('10.2.0.1')], { labels: ownershipLabels('default') });
  const native = slice('shop', 'web', 'web-abcde', [ep('10.1.0.1')]);
  const r = selectExports(cfg, [source('east', [svc('shop', 'web'), svc('shop', 'db')], [own, native])]);
  assert.deepEqual(r.exports.find((e) => e.service.metadata.name === 'web')!.slices.map((s) => s.metadata.name), ['web-abcde']);
  assert.deepEqual(r.exports.find((e) => e.service.metadata.name === 'db')!.slices, []);
});

test('a cluster without a snapshot exports nothing; a Service being deleted is not exported', () => {
  const cfg = config([cluster('east', [rule({ exportTo: ['west'] })]), cluster('west', [rule({ exportTo: ['east'] })])]);
  const dying = svc('shop', 'old');
  dying.metadata.deletionTimestamp = '2024-02-02T00:00:00Z';
  const r = selectExports(cfg, [source('east', [svc('shop', 'web'), dying])]);
  assert.deepEqual(names(r), ['east:shop/web']);
  assert.deepEqual(r.excluded.map((x) => x.reason), ['the Service is being deleted']);
});

test('a global RegExp in nameMatches matches every time (no lastIndex carry-over)', () => {
  const cfg = config([cluster('east', [rule({ nameMatches: [/web/g], exportTo: ['west'] })]), cluster('west')]);
  const r = selectExports(cfg, [source('east', [svc('a', 'web'), svc('b', 'web'), svc('c', 'web')])]);
  assert.equal(r.exports.length, 3);
});
