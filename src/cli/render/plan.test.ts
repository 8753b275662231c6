import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from '../../model/types.ts';
import { actionsTable } from './plan.ts';

const slice = { verb: 'create', cluster: 'b', key: 'shop/cart', ref: { kind: 'EndpointSlice', namespace: 'shop', name: 'cart-a-7f3c2' }, reason: 'missing' } as Action;

test('the wide plan table adds the Service each write serves, which a slice\'s name does not say', () => {
  assert.deepEqual(actionsTable([slice]).split('\n').map((l) => l.split(/\s{2,}/)), [['CLUSTER', 'ACTION', 'KIND', 'NAME', 'REASON'], ['b', 'create', 'EndpointSlice', 'shop/cart-a-7f3c2', 'missing']]);
  assert.deepEqual(actionsTable([slice], true).split('\n').map((l) => l.split(/\s{2,}/)), [['CLUSTER', 'ACTION', 'KIND', 'NAME', 'SERVICE', 'REASON'], ['b', 'create', 'EndpointSlice', 'shop/cart-a-7f3c2', 'shop/cart', 'missing']]);
});
