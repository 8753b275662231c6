import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBoundQueues, queueRule } from './network-policies.ts';

test('the bound queues are the first column of the kernel\'s nfnetlink_queue table', () => {
  // The format of /proc/net/netfilter/nfnetlink_queue: queue, portid, waiting, copy mode, copy range, drops…
  const text = '  100  41234     0 2   128     0     0        7  1\n  101  41299     3 2   128     0     0        0  1\n';
  assert.deepEqual(parseBoundQueues(text), [100, 101]);
  assert.deepEqual(parseBoundQueues(''), []);
});

test('the diversion queues only new connections, to the engine\'s queue, and lets packets pass while no engine listens', () => {
  const rule = queueRule(100);
  assert.deepEqual(rule.slice(0, 5), ['FORWARD', '-m', 'conntrack', '--ctstate', 'NEW']);
  assert.equal(rule[rule.indexOf('--queue-num') + 1], '100');
  assert.ok(rule.includes('--queue-bypass'));
});
