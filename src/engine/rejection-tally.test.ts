import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionTally } from './rejection-tally.ts';
import type { Rejection } from '../model/endpoint-guard.ts';

const r = (name: string, reason: Rejection['reason'], what: string): Rejection => ({ cluster: 'east', namespace: 'shop', name, reason, what, count: 1 });

test('the gauge is the sum over keys of their latest rejections, back to 0 when they are gone; a change is logged once', () => {
  const set: string[] = [];
  const warned: string[] = [];
  const tally = new RejectionTally({ set: (l, v) => set.push(`${l.cluster} ${l.reason} ${v}`) }, { warn: (f, m) => warned.push(`${m}: ${String(f['rejected'])}`) });
  tally.record('shop/web', [r('web', 'loopback', '127.0.0.1'), r('web', 'link-local', '169.254.169.254')]);
  tally.record('shop/api', [r('api', 'loopback', '127.0.0.2')]);
  tally.record('shop/api', [r('api', 'loopback', '127.0.0.2')]);
  assert.deepEqual([...tally.totals()].map(([k, v]) => `${k.replace('\u0000', ' ')} ${v}`), ['east loopback 2', 'east link-local 1']);
  tally.record('shop/web', []);
  tally.record('shop/api', []);
  assert.deepEqual(set.slice(-2), ['east loopback 0', 'east link-local 0']);
  assert.equal(warned.length, 2, 'unchanged rejections are not logged again');
  assert.match(warned[0]!, /^endpoints not replicated: .*127\.0\.0\.1/, 'the fields reach the log line, not only the message');
});
