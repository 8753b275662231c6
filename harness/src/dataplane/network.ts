// One routed, NAT-less network made of network namespaces on this machine, shaped like the flat
// networks mcsync is for:
//
//   root namespace (apiservers, the test) ── router ──┬── node of cluster 0 ──┬── pod
//                                                     │                       └── pod
//                                                     └── node of cluster 1 ── pod …
//
// Every pod has its own namespace with a /32 address out of its cluster's pod CIDR and a veth to
// its node; the node routes each pod's /32 to its veth and everything else to the router; the
// router routes each cluster's pod CIDR to that cluster's node. IP forwarding is on in the
// router and the nodes; no NAT rule is created anywhere. The root namespace only gets a veth to
// the router with an address of this network (where the apiservers listen) and routes to the
// prefixes this network owns, so the machine's own networking is never touched.
//
// Every name carries this process's pid (`mcsync-<pid>-…`), so a network left behind by a
// killed run is found and removed by the next one.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { isAlive } from '../util/process.ts';
import { inNetns, ip, run } from './command.ts';
import { POD_GATEWAY6, linkAddresses6 } from './ipv6.ts';

/** The addresses of the network's own links; pod addresses come from each cluster's pod CIDR. */
export const INFRA_CIDR = '10.250.0.0/16';
const HOST_ADDRESS = '10.250.0.1';
const ROUTER_HOST_SIDE = '10.250.0.2';
const linkAddresses = (index: number) => ({ router: `10.250.${index + 1}.1`, node: `10.250.${index + 1}.2` });

const PREFIX = 'mcsync-';
const ETC_NETNS = '/etc/netns';

export interface NodeNetns {
  cluster: string;
  index: number;
  ns: string;
  /** The node's address on its link to the router: where its pods' default route points. */
  address: string;
  podCidr: string;
  /** A dual-stack node's IPv6 address on its link to the router, and its cluster's IPv6 pod range. */
  address6?: string;
  podCidr6?: string;
}

export interface PodNetns {
  ns: string;
  ip: string;
  /** Its IPv6 address, on a dual-stack node. */
  ip6?: string;
  node: NodeNetns;
  /** The veth's name in the node namespace. */
  hostVeth: string;
}

export interface ResolvConf {
  nameserver: string;
  search: string[];
}

export class FlatNetwork {
  /** Where the apiservers listen: an address of this network, on the root namespace's link to the router. */
  readonly hostAddress = HOST_ADDRESS;
  readonly router: string;
  private readonly prefix: string;
  private readonly hostVeth: string;
  private readonly nodes = new Map<string, NodeNetns>();
  private readonly pods = new Set<PodNetns>();
  private vethCount = 0;
  private torn = false;

  private constructor(pid: number) {
    this.prefix = `${PREFIX}${pid}-`;
    this.router = `${this.prefix}router`;
    this.hostVeth = `mcs${pid}h`.slice(0, 15);
  }

  /** Creates the router and its link to the root namespace, after removing what dead runs left. */
  static create(): FlatNetwork {
    sweepStale();
    const live = ownersOf(listNetns()).filter((pid) => pid !== process.pid);
    if (live.length > 0) {
      throw new HarnessError(`a data-plane network of process ${live[0]} is up (its namespaces are ${PREFIX}${live[0]}-*); ` +
        'its addresses would collide with this one: wait for it to finish or stop that process');
    }
    assertUnusedHere(INFRA_CIDR);
    const net = new FlatNetwork(process.pid);
    try {
      net.addNetns(net.router);
      forwarding(net.router);
      // The root end is created in the router's namespace and moved out, so no name is ever
      // taken in the root namespace except this one veth.
      ip(net.router, 'link', 'add', 'host', 'type', 'veth', 'peer', 'name', net.hostVeth, 'netns', String(process.pid));
      ip(net.router, 'addr', 'add', `${ROUTER_HOST_SIDE}/30`, 'dev', 'host');
      ip(net.router, 'link', 'set', 'host', 'up');
      ip(undefined, 'addr', 'add', `${HOST_ADDRESS}/30`, 'dev', net.hostVeth);
      ip(undefined, 'link', 'set', net.hostVeth, 'up');
      ip(undefined, 'route', 'add', INFRA_CIDR, 'via', ROUTER_HOST_SIDE, 'dev', net.hostVeth);
    } catch (err) {
      net.teardown();
      throw err;
    }
    return net;
  }

  /** A node namespace for a cluster, linked to the router, which then routes the cluster's pod CIDR to it. */
  addNode(cluster: string, index: number, podCidr: string, podCidr6?: string): NodeNetns {
    const existing = this.nodes.get(cluster);
    if (existing) return existing;
    const ns = `${this.prefix}${cluster}-node`;
    const addr = linkAddresses(index);
    assertUnusedHere(podCidr);
    this.addNetns(ns);
    forwarding(ns);
    ip(this.router, 'link', 'add', `n${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip(this.router, 'addr', 'add', `${addr.router}/30`, 'dev', `n${index}`);
    ip(this.router, 'link', 'set', `n${index}`, 'up');
    ip(ns, 'addr', 'add', `${addr.node}/30`, 'dev', 'eth0');
    ip(ns, 'link', 'set', 'eth0', 'up');
    ip(ns, 'route', 'add', 'default', 'via', addr.router);
    // A pod address nobody holds fails at once (host unreachable) instead of looping to the
    // router and back until its TTL runs out, as the block routes of a real CNI do.
    ip(ns, 'route', 'add', 'unreachable', podCidr);
    ip(this.router, 'route', 'add', podCidr, 'via', addr.node);
    ip(undefined, 'route', 'add', podCidr, 'via', ROUTER_HOST_SIDE, 'dev', this.hostVeth);
    const node: NodeNetns = { cluster, index, ns, address: addr.node, podCidr };
    if (podCidr6) {
      // The same shape in IPv6, inside the network only: the root namespace needs no IPv6 (the
      // apiservers are reached over IPv4), so nothing of the machine's own IPv6 is touched.
      const addr6 = linkAddresses6(index);
      forwarding6(this.router);
      forwarding6(ns);
      ip(this.router, '-6', 'addr', 'add', `${addr6.router}/64`, 'dev', `n${index}`, 'nodad');
      ip(ns, '-6', 'addr', 'add', `${addr6.node}/64`, 'dev', 'eth0', 'nodad');
      ip(ns, '-6', 'route', 'add', 'default', 'via', addr6.router, 'dev', 'eth0');
      ip(ns, '-6', 'route', 'add', 'unreachable', podCidr6);
      ip(this.router, '-6', 'route', 'add', podCidr6, 'via', addr6.node);
      node.address6 = addr6.node;
      node.podCidr6 = podCidr6;
    }
    this.nodes.set(cluster, node);
    return node;
  }

  node(cluster: string): NodeNetns {
    const n = this.nodes.get(cluster);
    if (!n) throw new HarnessError(`no node namespace for cluster ${cluster}`);
    return n;
  }

  /**
   * A pod namespace with `ip`/32 on eth0, default route via its node. With `resolv`, processes
   * started by `ip netns exec` in it see that resolv.conf (iproute2 bind-mounts
   * /etc/netns/<ns>/resolv.conf), the way a kubelet gives a pod its cluster's DNS.
   */
  addPod(cluster: string, name: string, podIp: string, resolv?: ResolvConf, podIp6?: string): PodNetns {
    const node = this.node(cluster);
    const ns = `${this.prefix}${cluster}-${name}`;
    const hostVeth = `p${this.vethCount++}`;
    this.addNetns(ns);
    try {
      ip(node.ns, 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip(node.ns, 'link', 'set', hostVeth, 'up');
      ip(node.ns, 'route', 'add', `${podIp}/32`, 'dev', hostVeth);
      ip(ns, 'addr', 'add', `${podIp}/32`, 'dev', 'eth0');
      ip(ns, 'link', 'set', 'eth0', 'up');
      ip(ns, 'route', 'add', node.address, 'dev', 'eth0', 'scope', 'link');
      ip(ns, 'route', 'add', 'default', 'via', node.address, 'dev', 'eth0');
      if (podIp6) {
        if (!node.podCidr6) throw new HarnessError(`pod ${name} has an IPv6 address but the node of ${cluster} is not dual-stack`);
        // Each pod veth's node end answers as the same link-local gateway, as many CNIs do.
        ip(node.ns, '-6', 'addr', 'add', `${POD_GATEWAY6}/64`, 'dev', hostVeth, 'nodad');
        ip(node.ns, '-6', 'route', 'add', `${podIp6}/128`, 'dev', hostVeth);
        ip(ns, '-6', 'addr', 'add', `${podIp6}/128`, 'dev', 'eth0', 'nodad');
        ip(ns, '-6', 'route', 'add', 'default', 'via', POD_GATEWAY6, 'dev', 'eth0');
      }
      if (resolv) {
        mkdirSync(join(ETC_NETNS, ns), { recursive: true });
        writeFileSync(join(ETC_NETNS, ns, 'resolv.conf'),
          `nameserver ${resolv.nameserver}\nsearch ${resolv.search.join(' ')}\noptions ndots:5 timeout:1 attempts:2\n`);
      }
    } catch (err) {
      removeNetns(ns);
      throw err;
    }
    const pod: PodNetns = { ns, ip: podIp, ...(podIp6 ? { ip6: podIp6 } : {}), node, hostVeth };
    this.pods.add(pod);
    return pod;
  }

  /** Removes a pod's namespace (its veth and its node's route to it go with it). */
  removePod(pod: PodNetns): void {
    removeNetns(pod.ns);
    this.pods.delete(pod);
  }

  /** Every namespace of this network, router first. */
  namespaces(): string[] {
    return [this.router, ...[...this.nodes.values()].map((n) => n.ns), ...[...this.pods].map((p) => p.ns)];
  }

  /** The nftables ruleset of a namespace as text (iptables-nft rules included). */
  ruleset(ns: string): string {
    return inNetns(ns, 'nft', ['list', 'ruleset']);
  }

  /** Removes every namespace, veth, route and resolv.conf this network made; safe to call twice. */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    for (const ns of listNetns().filter((n) => n.startsWith(this.prefix))) removeNetns(ns);
    // The root end of the router link died with the router; its routes went with it.
    run('ip', ['link', 'del', this.hostVeth], { allowFail: true });
  }

  private addNetns(ns: string): void {
    ip(undefined, 'netns', 'add', ns);
    ip(ns, 'link', 'set', 'lo', 'up');
  }
}

/**
 * The root namespace gets routes for this network's prefixes. Refuse a prefix this machine
 * already uses (an address in it, or a route into or around it other than the default one):
 * the test network must never shadow a real one, not even for the length of a test.
 */
function assertUnusedHere(prefix: string): void {
  const addresses = run('ip', ['-o', 'addr', 'show', 'to', prefix]).trim();
  const routes = [...run('ip', ['route', 'show', 'match', prefix]).split('\n'), ...run('ip', ['route', 'show', 'root', prefix]).split('\n')]
    .map((l) => l.trim()).filter((l) => l && !l.startsWith('default'));
  if (addresses || routes.length) {
    throw new HarnessError(`${prefix} is already in use on this machine (${(addresses.split('\n')[0] ?? '') || routes[0]}); ` +
      'the data-plane network will not shadow it. Remove it, or run the data-plane tests on another machine; ' +
      'if a killed data-plane run left it, its namespaces are swept on the next run once that process is gone');
  }
}

function forwarding(ns: string): void {
  inNetns(ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  // Pods answer from /32s on point-to-point links; loose checks keep asymmetric paths legal.
  inNetns(ns, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
}

function forwarding6(ns: string): void {
  // Addresses are added without duplicate detection: nothing else on these links could hold them.
  inNetns(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
}

function listNetns(): string[] {
  return run('ip', ['netns', 'list'], { allowFail: true })
    .split('\n').map((l) => l.split(' ')[0]!.trim()).filter((n) => n.startsWith(PREFIX));
}

function ownersOf(names: string[]): number[] {
  const pids = new Set<number>();
  for (const n of names) {
    const m = /^mcsync-(\d+)-/.exec(n);
    if (m && isAlive(Number(m[1]))) pids.add(Number(m[1]));
  }
  return [...pids];
}

/** Kills what still runs inside a namespace, then deletes it and its /etc/netns files. */
function removeNetns(ns: string): void {
  const pids = run('ip', ['netns', 'pids', ns], { allowFail: true }).split('\n').map(Number).filter((p) => p > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  run('ip', ['netns', 'del', ns], { allowFail: true });
  rmSync(join(ETC_NETNS, ns), { recursive: true, force: true });
}

/** Removes the namespaces (and root-namespace veths) of data-plane runs whose process is gone. */
export function sweepStale(): string[] {
  const removed: string[] = [];
  for (const ns of listNetns()) {
    const m = /^mcsync-(\d+)-/.exec(ns);
    if (!m || isAlive(Number(m[1]))) continue;
    removeNetns(ns);
    run('ip', ['link', 'del', `mcs${m[1]}h`], { allowFail: true });
    removed.push(ns);
  }
  if (existsSync(ETC_NETNS)) {
    for (const d of readdirSync(ETC_NETNS)) {
      const m = /^mcsync-(\d+)-/.exec(d);
      if (m && !isAlive(Number(m[1]))) rmSync(join(ETC_NETNS, d), { recursive: true, force: true });
    }
  }
  return removed;
}
