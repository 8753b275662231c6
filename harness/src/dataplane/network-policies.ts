// A real NetworkPolicy engine per cluster: kube-network-policies (sigs.k8s.io), in the cluster's
// node namespace. It watches the cluster's own Pods, Namespaces and NetworkPolicies and gives a
// verdict on the first packet of every connection the node forwards, from an NFQUEUE.
//
// Test-rig workaround: the engine diverts packets to its queue with an nftables `queue` rule,
// which this machine's kernel refuses ("Could not process rule: No such file or directory": it
// lacks nftables' queue expression), so its whole table is refused. The same diversion is made
// with the xtables NFQUEUE target instead, which the kernel has: every new forwarded connection
// goes to the engine's queue. The engine itself (its evaluation, its verdicts) is untouched.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';
import type { RunningCluster } from '../controlplane/cluster.ts';
import { logTail, startProcess, type Supervised } from '../util/process.ts';
import { inNetns } from './command.ts';
import type { NodeNetns } from './network.ts';

/** The engine's own default (--nfqueue-id), passed explicitly so the diversion and the engine agree. */
export const POLICY_QUEUE = 100;

/** The xtables rule that hands every new forwarded connection of a node to the engine's queue. */
export function queueRule(queue: number): string[] {
  // --queue-bypass: while no engine listens (before it starts, after it stops) packets pass
  // instead of being dropped, so starting and tearing down never blackholes the rig.
  return ['FORWARD', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'NFQUEUE', '--queue-num', String(queue), '--queue-bypass'];
}

export async function startNetworkPolicies(
  cluster: RunningCluster, node: NodeNetns, nodeName: string, binary: string,
): Promise<Supervised> {
  inNetns(node.ns, 'iptables', ['-A', ...queueRule(POLICY_QUEUE)]);
  const args = [
    'netns', 'exec', node.ns, binary,
    '--kubeconfig', cluster.kubeconfigPath,
    '--hostname-override', nodeName,
    // Deny when the engine cannot decide: a test that passes must have been let through by it.
    '--fail-open=false',
    // No container runtime here: pod IPs come from the apiserver only.
    '--disable-nri',
    '--nfqueue-id', String(POLICY_QUEUE),
    // The node namespace's own loopback: nothing outside it can reach the listener.
    '--metrics-bind-address', '127.0.0.1:9080',
    // V(2) adds the engine's logging evaluator: one line per verdict, what a failing test needs.
    '--v', '2',
  ];
  const proc = startProcess(`${cluster.name}/kube-network-policies`, 'ip', args, join(cluster.dir, 'logs', 'kube-network-policies.log'));
  await waitQueueBound(proc, node, POLICY_QUEUE, 60_000);
  return proc;
}

/**
 * The engine binds its queue only after its informers have synced (Pods, Namespaces,
 * NetworkPolicies), so a bound queue means verdicts come from a complete view. The kernel lists
 * the queues bound in a namespace in /proc/net/netfilter/nfnetlink_queue (read from inside it).
 */
async function waitQueueBound(proc: Supervised, node: NodeNetns, queue: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running()) throw new HarnessError(`${proc.name} exited during start; last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
    if (boundQueues(node).includes(queue)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HarnessError(`${proc.name} did not bind NFQUEUE ${queue} within ${timeoutMs / 1000}s; last lines of ${proc.logPath}:\n${logTail(proc.logPath, 25)}`);
}

/** Queue numbers bound in a namespace: the first column of nfnetlink_queue, one line per queue. */
export function boundQueues(node: NodeNetns): number[] {
  const text = inNetns(node.ns, 'cat', ['/proc/net/netfilter/nfnetlink_queue'], { allowFail: true });
  return parseBoundQueues(text);
}

export function parseBoundQueues(text: string): number[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((f): f is string => !!f && /^\d+$/.test(f)).map(Number);
}

/** The verdicts an engine logged to `logPath`, newest last, for a failing test to quote. */
export function verdictLines(logPath: string | undefined, lines = 30): string {
  if (!logPath) return '(no kube-network-policies runs there)';
  try {
    // At --v 2 a verdict is logged as the packet's tuple ("\t[id] src:port dst:port TCP"), the
    // evaluator's reason ("Packet denied by ingress policy") and the verdict itself.
    const wanted = (l: string) => /^\s*\[\d+\] /.test(l) || l.includes('"Packet ') || l.includes('verdict=');
    return readFileSync(logPath, 'utf8').split('\n').filter(wanted).slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${logPath}: ${(err as Error).message})`;
  }
}

/** How many log lines of an engine hold `text` (e.g. "Packet denied by egress policy"), 0 when there is no log. */
export function loggedCount(logPath: string | undefined, text: string): number {
  if (!logPath) return 0;
  try {
    return readFileSync(logPath, 'utf8').split('\n').filter((l) => l.includes(text)).length;
  } catch {
    return 0;
  }
}
