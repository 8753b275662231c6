import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WriteResult } from '../../kube/write.ts';
import type { Action } from '../../model/types.ts';
import { countWrites, pickColumns, writesTable } from './writes.ts';

const act = (cluster: string, verb: Action['verb']): Action =>
  verb === 'delete'
    ? { verb, cluster, key: 'shop/web', ref: { kind: 'Service', namespace: 'shop', name: 'web' }, reason: 'r' }
    : { verb, cluster, key: 'shop/web', ref: { kind: 'Service', namespace: 'shop', name: 'web' }, object: { metadata: { name: 'web', namespace: 'shop' } } as never, reason: 'r' };
const result = (cluster: string, verb: Action['verb'], outcome: WriteResult['outcome']): WriteResult => ({ action: act(cluster, verb), outcome, attempts: 1 });

test('write counts are numbers per cluster in the order given, zero rows included; only the table makes strings', () => {
  const results = [result('b', 'create', 'done'), result('b', 'update', 'done'), result('b', 'delete', 'done'), result('b', 'create', 'skipped'), result('a', 'update', 'failed'), result('x', 'create', 'done')];
  const counts = countWrites(results, ['a', 'b', 'c']);
  assert.deepEqual(counts, [
    { cluster: 'a', created: 0, updated: 0, deleted: 0, skipped: 0, failed: 1 },
    { cluster: 'b', created: 1, updated: 1, deleted: 1, skipped: 1, failed: 0 },
    { cluster: 'c', created: 0, updated: 0, deleted: 0, skipped: 0, failed: 0 },
  ]);
  assert.deepEqual(pickColumns(counts, ['deleted', 'skipped', 'failed'])[1], { cluster: 'b', deleted: 1, skipped: 1, failed: 0 });
  assert.equal(writesTable(counts.slice(0, 2), ['deleted', 'failed']), 'CLUSTER   DELETED   FAILED\na         0         1\nb         1         0');
});
