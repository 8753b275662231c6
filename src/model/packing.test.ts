import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packEndpoints } from './packing.ts';
import type { Endpoint } from '../vocab/objects.ts';

const E = (a: string, ready = true): Endpoint => ({ addresses: [a], conditions: { ready } });
const firsts = (p: { n: number; endpoints: Endpoint[] }[]) => p.map((s) => [s.n, s.endpoints.map((e) => e.addresses[0])]);

test('packing is stable: kept endpoints stay, gaps are refilled first, then the lowest slice with room, then new numbers', () => {
  const existing = [
    { n: 1, endpoints: [E('a'), E('b'), E('c')] },
    { n: 2, endpoints: [E('d'), E('e')] },
    { n: 4, endpoints: [E('f'), E('g'), E('h')] },
  ];
  // g departs; w, x, y, z arrive (sorted): w fills 4's gap, x goes to 2 (lowest with room), y and z to new slice 3.
  const desired = ['a', 'b', 'c', 'd', 'e', 'f', 'h', 'x', 'y', 'z', 'w'].map((a) => E(a));
  const packed = packEndpoints(desired, existing, 3);
  assert.deepEqual(firsts(packed), [
    [1, ['a', 'b', 'c']],
    [2, ['d', 'e', 'x']],
    [3, ['y', 'z']],
    [4, ['f', 'h', 'w']],
  ]);
  // Conditions are refreshed in place.
  assert.equal(packEndpoints([E('a', false)], [{ n: 5, endpoints: [E('a')] }], 3)[0]!.endpoints[0]!.conditions?.ready, false);
  // An emptied slice disappears; a reserved number is skipped.
  assert.deepEqual(firsts(packEndpoints([E('q')], [{ n: 2, endpoints: [E('a')] }], 3)), [[2, ['q']]]);
  assert.deepEqual(firsts(packEndpoints([], [{ n: 2, endpoints: [E('a')] }], 3)), []);
  assert.deepEqual(firsts(packEndpoints([E('a'), E('b')], [], 1, (n) => n !== 1)), [[2, ['a']], [3, ['b']]]);
  // An address duplicated across existing slices stays in the lower one; an overfull slice sheds its tail.
  assert.deepEqual(firsts(packEndpoints([E('a'), E('b'), E('c')], [{ n: 1, endpoints: [E('a'), E('b'), E('c')] }, { n: 2, endpoints: [E('a')] }], 2)), [
    [1, ['a', 'b']],
    [2, ['c']],
  ]);
});
