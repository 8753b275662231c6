// Harness clusters with a real data plane: a flat routed network of namespaces, per cluster a
// node running kube-proxy (and, when asked, the kube-network-policies engine) and a DNS pod
// running CoreDNS, and pods that are real processes in
// their own namespaces, registered as Pod objects with their real addresses. Used by the
// data-plane e2e tests and `npm run demo -- --dataplane`.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_PLANE, DATA_PLANE, ensureComponents } from '../controlplane/components.ts';
import { HarnessError } from '../util/errors.ts';
import type { RunningCluster } from '../controlplane/cluster.ts';
import { startClusterSet, type ClusterSet } from '../controlplane/clusterset.ts';
import { Pods } from '../workload/pods.ts';
import { topologyByCluster } from '../workload/node-topology.ts';
import { runToEnd, startProcess, type Supervised } from '../util/process.ts';
import { startCoreDns } from './coredns.ts';
import { ensureExecServer } from './kubelet/build.ts';
import { startExecServer } from './kubelet/exec-server.ts';
import { PodRuntime } from './kubelet/pod-runtime.ts';
import type { EchoReply } from './echo-server.ts';
import { startKubeProxy, type ProxyMode } from './kube-proxy.ts';
import { startNetworkPolicies } from './network-policies.ts';
import { FlatNetwork, type PodNetns } from './network.ts';
import type { Attempt } from './probe.ts';
import { waitLogged } from './wait-up.ts';

export type { Attempt, EchoReply, ProxyMode };

const here = dirname(fileURLToPath(import.meta.url));
const ECHO_SERVER = join(here, 'echo-server.ts');
const PROBE = join(here, 'probe.ts');

export interface DataPlaneOptions {
  names: string[];
  /** Where the kubeconfigs go (`<name>.kubeconfig`); a fresh temp dir when absent. */
  dir?: string;
  proxyMode?: ProxyMode;
  /**
   * Runs kube-network-policies on every node, so the clusters' NetworkPolicies are enforced
   * on the first packet of every forwarded connection (off by default).
   */
  networkPolicies?: boolean;
  /** Installs the MCS CRDs and serves clusterset.local from each cluster's CoreDNS (off by default). */
  mcs?: boolean;
  /**
   * Runs the pods the API asks for (off by default): each cluster gets kube-scheduler and, on its
   * node, a pod runtime and an exec server (kubelet/), so a Deployment's pods run their commands
   * as processes in namespaces of their own and `kubectl exec` works.
   */
  pods?: boolean;
  /**
   * IPv4 + IPv6: service and pod ranges of both families, IPv6 on the network's links, node and
   * pods (the pod runtime's pods get an address of each family), kube-proxy in both.
   */
  dualStack?: boolean;
  /**
   * The zone of each cluster's Node (`topology.kubernetes.io/zone`), by cluster name, e.g.
   * `{ a: 'z1', b: 'z1', c: 'z2' }`: what the EndpointSlice controller copies onto the endpoints
   * of the pods there and what kube-proxy matches zone hints against. Each cluster has one Node,
   * so this is a zone per Node. A cluster not named keeps its own `<cluster>-zone-a`.
   */
  zones?: Record<string, string>;
  /** The region of each cluster's Node (`topology.kubernetes.io/region`), by cluster name; none by default. */
  regions?: Record<string, string>;
  onProgress?: (line: string) => void;
}

export interface RealPodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** Container ports; the pod's server answers HTTP on each. */
  ports: number[];
  hostname?: string;
  subdomain?: string;
  /** Its address; by default the next free one of the cluster's pod CIDR (a freed one is handed out again only when asked). */
  ip?: string;
}

export interface RealPod {
  cluster: string;
  namespace: string;
  name: string;
  ip: string;
  netns: PodNetns;
  process: Supervised;
}

export interface DataPlane {
  set: ClusterSet;
  network: FlatNetwork;
  cluster(name: string): RunningCluster;
  /** The ClusterIP of a cluster's kube-dns Service. */
  dnsIp(cluster: string): string;
  /** Creates a namespace in a cluster if it is not there yet. */
  namespace(cluster: string, name: string): Promise<void>;
  /** Starts a pod's process in a namespace of its own and registers it, Ready once it listens. */
  runPod(cluster: string, spec: RealPodSpec): Promise<RealPod>;
  /** Kills the pod's process, deletes its Pod object and removes its namespace. */
  stopPod(pod: RealPod): Promise<void>;
  /** Resolves a name from inside a pod, through its cluster's DNS. */
  lookup(pod: RealPod, name: string): Promise<{ addresses: string[]; error?: string }>;
  /** `count` fresh TCP connections from inside a pod, each an HTTP GET. */
  get(pod: RealPod, host: string, port: number, count?: number): Promise<Attempt[]>;
  /**
   * A client in the pod dialling `host:port` afresh every `intervalMs` until stopped; with
   * `overlap`, a new attempt starts on time even while earlier ones still wait (attempts are then
   * recorded in the order they end).
   */
  watch(pod: RealPod, host: string, port: number, intervalMs: number, opts?: { overlap?: boolean }): Watcher;
  /** The pod runtime of a cluster's node (with `pods`). */
  runtime(cluster: string): PodRuntime | undefined;
  /** Where a cluster's kube-network-policies logs its verdicts (with `networkPolicies`). */
  policyLog(cluster: string): string | undefined;
  /** One connection from a node's own namespace (host network), whose address is outside the pod CIDR. */
  getFromNode(cluster: string, host: string, port: number): Promise<Attempt[]>;
  down(): Promise<void>;
}

export interface Watcher {
  /** Every attempt so far, stamped with the wall clock when it was started. */
  attempts: (Attempt & { t: number })[];
  stop(): Promise<void>;
}

export function dnsServiceIp(serviceCidr: string): string {
  const [a, b] = serviceCidr.split('.');
  return `${a}.${b}.0.10`;
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
  const say = opts.onProgress ?? (() => {});
  // Before anything starts: a zone for a cluster that is not there is the caller's typo.
  const topology = topologyByCluster(opts.names, opts.zones, opts.regions);
  const wanted = [...CONTROL_PLANE, ...DATA_PLANE.filter((c) => opts.networkPolicies || c !== 'kube-network-policies')];
  const bins = await ensureComponents(wanted, { onProgress: opts.onProgress });
  const network = FlatNetwork.create();
  const exitHook = () => network.teardown();
  process.once('exit', exitHook);
  const infra: Supervised[] = [];
  const pods = new Set<RealPod>();
  const podApis = new Map<string, Pods>();
  const runtimes = new Map<string, PodRuntime>();
  let set: ClusterSet | undefined;

  const down = async () => {
    await Promise.allSettled([...runtimes.values()].map((r) => r.stop()));
    await Promise.allSettled([...pods].map((p) => p.process.stop(2_000)));
    await Promise.allSettled(infra.map((p) => p.stop(5_000)));
    await set?.down();
    network.teardown();
    process.removeListener('exit', exitHook);
  };

  try {
    const execServer = opts.pods ? await ensureExecServer(opts.onProgress) : undefined;
    set = await startClusterSet({
      names: opts.names, dir: opts.dir, bindAddress: network.hostAddress, mcsCrds: opts.mcs, onProgress: opts.onProgress,
      ...(opts.pods ? { pods: true, kwok: false } : {}),
      ...(opts.dualStack ? { dualStack: true } : {}),
    });
    const clusterSet = set;
    const cluster = (name: string) => clusterSet.running.find((c) => c.name === name) ?? fail(name);
    const podApi = (name: string) => {
      let p = podApis.get(name);
      if (!p) podApis.set(name, (p = new Pods(cluster(name), topology.get(name))));
      return p;
    };

    const runPod = async (clusterName: string, spec: RealPodSpec, program?: (netns: PodNetns) => Promise<Supervised>): Promise<RealPod> => {
      const c = cluster(clusterName);
      const api = podApi(clusterName);
      await api.ensureNamespace(spec.namespace);
      // Not ready until its process listens, as a kubelet would report it.
      const created = await api.create({
        namespace: spec.namespace, name: spec.name, labels: spec.labels, ready: false, ip: spec.ip,
        hostname: spec.hostname, subdomain: spec.subdomain,
        ports: spec.ports.map((p) => ({ containerPort: p, protocol: 'TCP' })),
      });
      const ip = created.status!.podIP!;
      const netns = network.addPod(clusterName, `${spec.namespace}-${spec.name}`, ip, {
        nameserver: dnsServiceIp(c.serviceCidr),
        search: [`${spec.namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
      });
      let proc: Supervised;
      try {
        if (program) {
          proc = await program(netns);
        } else {
          mkdirSync(join(c.dir, 'logs', 'pods'), { recursive: true });
          proc = startProcess(`${clusterName}/${spec.namespace}/${spec.name}`, 'ip', [
            'netns', 'exec', netns.ns, process.execPath, ECHO_SERVER,
            '--pod', spec.name, '--cluster', clusterName, ...spec.ports.flatMap((p) => ['--port', String(p)]),
          ], join(c.dir, 'logs', 'pods', `${spec.namespace}-${spec.name}.log`));
          await waitLogged(proc, 'listening', 20_000);
        }
      } catch (err) {
        network.removePod(netns);
        throw err;
      }
      const pod: RealPod = { cluster: clusterName, namespace: spec.namespace, name: spec.name, ip, netns, process: proc };
      pods.add(pod);
      await api.setReady(spec.namespace, spec.name, true);
      return pod;
    };

    for (const [index, name] of opts.names.entries()) {
      const c = cluster(name);
      const api = podApi(name);
      await api.ensureNode();
      network.addNode(name, index, c.podCidr, c.podCidr6);
      await api.core.createNamespacedService({
        namespace: 'kube-system',
        body: {
          metadata: { name: 'kube-dns', labels: { 'k8s-app': 'kube-dns' } },
          spec: {
            clusterIP: dnsServiceIp(c.serviceCidr), selector: { 'k8s-app': 'kube-dns' },
            ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }],
          },
        },
      });
      // Before kube-proxy: the runtime gives the Node its addresses, which kube-proxy reads at start.
      if (execServer) {
        say(`${name}: starting the pod runtime and exec server of ${api.nodeName}`);
        const podsDir = join(c.dir, 'running-pods');
        infra.push(await startExecServer(c, network.node(name), execServer, podsDir));
        const runtime = new PodRuntime({ cluster: c, network, node: network.node(name), api, dnsIp: dnsServiceIp(c.serviceCidr), podsDir });
        runtimes.set(name, runtime);
        await runtime.start();
      }
      say(`${name}: starting kube-proxy (${opts.proxyMode ?? 'nftables'}) in ${network.node(name).ns}`);
      infra.push(await startKubeProxy(c, network.node(name), api.nodeName, bins['kube-proxy'], opts.proxyMode ?? 'nftables'));
      if (opts.networkPolicies) {
        say(`${name}: starting kube-network-policies in ${network.node(name).ns}`);
        infra.push(await startNetworkPolicies(c, network.node(name), api.nodeName, bins['kube-network-policies']));
      }
      say(`${name}: starting CoreDNS as kube-system/coredns`);
      await runPod(name, { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, ports: [53] },
        async (netns) => {
          const proc = await startCoreDns(c, netns, bins.coredns, { clusterset: opts.mcs });
          infra.push(proc);
          return proc;
        });
    }

    const exec = async (ns: string, args: string[]): Promise<string> => {
      const out = await runToEnd('ip', ['netns', 'exec', ns, process.execPath, PROBE, ...args]);
      if (out.code !== 0) throw new HarnessError(`probe ${args.join(' ')} in ${ns} failed (exit ${out.code}): ${out.stderr.trim()}`);
      return out.stdout;
    };
    const attempts = async (ns: string, host: string, port: number, count: number) =>
      (JSON.parse(await exec(ns, ['get', host, String(port), String(count)])) as { attempts: Attempt[] }).attempts;

    return {
      set: clusterSet,
      network,
      cluster,
      dnsIp: (name) => dnsServiceIp(cluster(name).serviceCidr),
      namespace: (clusterName, name) => podApi(clusterName).ensureNamespace(name),
      runPod: (clusterName, spec) => runPod(clusterName, spec),
      stopPod: async (pod) => {
        await pod.process.stop(2_000);
        pods.delete(pod);
        await podApi(pod.cluster).delete(pod.namespace, pod.name).catch((err: { code?: number }) => {
          if (err.code !== 404) throw err;
        });
        network.removePod(pod.netns);
      },
      lookup: async (pod, name) => JSON.parse(await exec(pod.netns.ns, ['lookup', name])) as { addresses: string[]; error?: string },
      get: (pod, host, port, count = 1) => attempts(pod.netns.ns, host, port, count),
      runtime: (clusterName) => runtimes.get(clusterName),
      policyLog: (clusterName) => infra.find((p) => p.name === `${clusterName}/kube-network-policies`)?.logPath,
      getFromNode: (clusterName, host, port) => attempts(network.node(clusterName).ns, host, port, 1),
      watch: (pod, host, port, intervalMs, watchOpts) => {
        const child = spawn('ip', ['netns', 'exec', pod.netns.ns, process.execPath, PROBE, 'watch', host, String(port), String(intervalMs), ...(watchOpts?.overlap ? ['overlap'] : [])],
          { stdio: ['ignore', 'pipe', 'inherit'] });
        const seen: (Attempt & { t: number })[] = [];
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            seen.push(JSON.parse(buf.slice(0, nl)) as Attempt & { t: number });
            buf = buf.slice(nl + 1);
          }
        });
        const closed = new Promise<void>((r) => child.once('close', () => r()));
        return {
          attempts: seen,
          stop: async () => {
            child.kill('SIGTERM');
            await closed;
          },
        };
      },
      down,
    };
  } catch (err) {
    await down();
    throw err;
  }
}

function fail(name: string): never {
  throw new HarnessError(`no cluster named ${name} in this data plane`);
}
