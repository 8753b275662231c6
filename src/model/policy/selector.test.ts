import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorMatches, selectorProblem } from './selector.ts';

test('an empty selector matches every set of labels, none included', () => {
  assert.equal(selectorMatches({}, undefined), true);
  assert.equal(selectorMatches({ matchLabels: {}, matchExpressions: [] }, { a: 'b' }), true);
});

test('matchLabels and matchExpressions must all hold', () => {
  const sel = { matchLabels: { role: 'client' }, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['web', 'api'] }] };
  assert.equal(selectorMatches(sel, { role: 'client', tier: 'web' }), true);
  assert.equal(selectorMatches(sel, { role: 'client', tier: 'db' }), false);
  assert.equal(selectorMatches(sel, { role: 'server', tier: 'web' }), false);
  assert.equal(selectorMatches(sel, { tier: 'web' }), false);
});

test('each operator as Kubernetes defines it; NotIn and DoesNotExist hold where the key is absent', () => {
  const m = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', labels: Record<string, string>, values?: string[]) =>
    selectorMatches({ matchExpressions: [{ key: 'k', operator, ...(values ? { values } : {}) }] }, labels);
  assert.deepEqual([m('In', { k: 'x' }, ['x']), m('In', { k: 'y' }, ['x']), m('In', {}, ['x'])], [true, false, false]);
  assert.deepEqual([m('NotIn', { k: 'x' }, ['x']), m('NotIn', { k: 'y' }, ['x']), m('NotIn', {}, ['x'])], [false, true, true]);
  assert.deepEqual([m('Exists', { k: '' }), m('Exists', {})], [true, false]);
  assert.deepEqual([m('DoesNotExist', { k: '' }), m('DoesNotExist', {})], [false, true]);
});

test('a selector the apiserver would refuse is a problem that says where', () => {
  assert.equal(selectorProblem({ matchLabels: { role: 'client' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] }), undefined);
  assert.match(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'In' }] })!, /matchExpressions\[0\] operator In needs values/);
  assert.match(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'NotIn', values: [] }] })!, /NotIn needs values/);
  assert.match(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['x'] }] })!, /Exists takes no values/);
  assert.match(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'Equals' as 'In', values: ['x'] }] })!, /operator "Equals"/);
  assert.match(selectorProblem({ matchLabels: { 'bad key!': 'x' } })!, /matchLabels key "bad key!"/);
  assert.match(selectorProblem({ matchLabels: { k: 'not a value' } })!, /matchLabels value "not a value"/);
  assert.match(selectorProblem({ matchExpressions: [{ key: 'k', operator: 'In', values: ['-x'] }] })!, /value "-x"/);
});
