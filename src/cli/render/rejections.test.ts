import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rejection } from '../../model/endpoint-guard.ts';
import { guardLines, LISTED_PER_SERVICE, refusedCount, refusedSummary } from './rejections.ts';

const r = (what: string, reason: Rejection['reason'] = 'outside-pod-cidrs', count = 1, name = 'web'): Rejection => ({ cluster: 'a', namespace: 'shop', name, reason, what, count });

test('every refused address is named under its source Service, with its reason', () => {
  const rejected = [r('10.101.0.50'), r('10.96.0.1'), r('169.254.169.254', 'link-local'), r('big-slice', 'oversized-slice', 1500, 'db')];
  assert.deepEqual(guardLines({ rejected, unguarded: [{ cluster: 'b', unchecked: 4 }] }), [
    'rejected: a shop/web: 2 outside-pod-cidrs (10.101.0.50, 10.96.0.1), 1 link-local (169.254.169.254) (not replicated)',
    '  10.101.0.50      outside-pod-cidrs',
    '  10.96.0.1        outside-pod-cidrs',
    '  169.254.169.254  link-local',
    'rejected: a shop/db: 1500 oversized-slice (big-slice) (not replicated)',
    '  big-slice  oversized-slice (1500 endpoints)',
    'guard off: b: no pod CIDRs known, 4 address(es) replicated without a range check (set podCIDRs for it)',
  ]);
  assert.equal(refusedCount(rejected), 1503);
  assert.equal(refusedSummary(rejected), '1503 endpoint(s) refused by the guard');
  assert.equal(refusedSummary([]), '');
  assert.deepEqual(guardLines({ rejected, unguarded: [] }, 'b'), [], 'only the sources in --cluster');
});

test('past the listed number per Service, the rest is counted and left to -o json', () => {
  const many = Array.from({ length: LISTED_PER_SERVICE + 5 }, (_, i) => r(`10.200.0.${i}`));
  const lines = guardLines({ rejected: many, unguarded: [] });
  assert.equal(lines.length, 1 + LISTED_PER_SERVICE + 1);
  assert.equal(lines.at(-1), '  … 5 more (-o json lists every one)');
});
