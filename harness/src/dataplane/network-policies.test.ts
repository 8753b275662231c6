import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../util/tempdir.ts';
import { loggedCount, parseBoundQueues, queueRule, verdictLines } from './network-policies.ts';

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

test('a failing test quotes the engine\'s packets, reasons and verdicts, and counts its denials', () => {
  // As kube-network-policies logs at --v 2 (klog, one packet's tuple on an indented line).
  const log = join(scratchDir('mcsync-knp-log-'), 'kube-network-policies.log');
  writeFileSync(log, [
    'I1201 23:02:52.497441   25366 controller.go:462] "Syncing nftables rules" logger="nftables-sync"',
    'I1201 23:02:57.908400   25366 logging.go:40] "Evaluating packet" packet=<',
    '\t[10] 10.101.0.12:48020 10.100.0.13:80 TCP',
    ' >',
    'I1201 23:02:57.908473   25366 engine.go:68] "Packet denied by ingress policy" id=10',
    'I1201 23:02:57.908567   25366 controller.go:277] "Finished syncing packet" id=10 duration="214.728µs" verdict="drop"',
    '',
  ].join('\n'));
  assert.deepEqual(verdictLines(log).split('\n').map((l) => l.trim().slice(0, 24)), [
    '[10] 10.101.0.12:48020 1', 'I1201 23:02:57.908473   ', 'I1201 23:02:57.908567   ',
  ]);
  assert.equal(loggedCount(log, 'Packet denied by ingress policy'), 1);
  assert.equal(loggedCount(log, 'Packet denied by egress policy'), 0);
  assert.equal(loggedCount(undefined, 'Packet'), 0);
});
