// One harness cluster: its own etcd, kube-apiserver (TLS, RBAC, service-account tokens) and
// kube-controller-manager (so the built-in EndpointSlice controller fills slices), a service
// CIDR and a pod CIDR of its own, and an admin kubeconfig named after it. With `pods`, also
// kube-scheduler and kwok, so Deployments turn into scheduled, Running pods (pod-lifecycle.ts).
import { mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { type Component } from './components.ts';
import { HarnessError } from '../util/errors.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { createClusterPki, type ClusterPki } from './pki.ts';
import { clusterCidrs6 } from '../dataplane/ipv6.ts';
import { logTail, startProcess, type Supervised } from '../util/process.ts';
import {
  KWOK_STAGES_PATH, POD_CONTROLLERS, ensureKwokNode, kwokAddresses, kwokArgs, kwokNodeReady, schedulerArgs,
} from '../workload/pod-lifecycle.ts';

/** Pod and service CIDRs by cluster index: distinct, so overlap is never an accident. */
export function clusterCidrs(index: number): { podCidr: string; serviceCidr: string } {
  if (index < 0 || index > 49) throw new HarnessError(`the harness numbers clusters 0..49, not ${index}`);
  return { podCidr: `10.${100 + index}.0.0/16`, serviceCidr: `10.${200 + index}.0.0/16` };
}

/**
 * The documentation blocks of RFC 5737 (TEST-NET-3, -2, -1): assigned to no one, never routed on
 * the internet. They are not guaranteed unused on a given machine (a sandbox's own eth0 can sit
 * in 192.0.2.0/24), so the harness takes the first that no local interface is on.
 */
const DOCUMENTATION_BLOCKS = ['203.0.113', '198.51.100', '192.0.2'];

/**
 * What an apiserver that binds loopback only advertises: <block>.(10 + index), in a
 * documentation block no interface here is on. The address only has to be valid where the
 * apiserver publishes itself (the Endpoints and EndpointSlice of default/kubernetes refuse
 * loopback, so 127.0.0.1 earned a 422 every 10 s); nothing connects to it, and were something
 * to try, it would leave by the default route towards an address no one holds. Distinct per
 * cluster, as two real control planes' addresses are, and clear of the harness's pod, service
 * and data-plane ranges (all in 10.0.0.0/8).
 */
export function loopbackAdvertiseAddress(index: number, local: string[] = localIpv4Cidrs()): string {
  if (index < 0 || index > 49) throw new HarnessError(`the harness numbers clusters 0..49, not ${index}`);
  const block = DOCUMENTATION_BLOCKS.find((b) => !local.some((cidr) => overlaps24(b, cidr)));
  if (!block) throw new HarnessError(`every documentation block (${DOCUMENTATION_BLOCKS.map((b) => `${b}.0/24`).join(', ')}) is on a local interface; none is free to advertise`);
  return `${block}.${10 + index}`;
}

function localIpv4Cidrs(): string[] {
  return Object.values(networkInterfaces()).flatMap((addrs) => (addrs ?? []).filter((a) => a.family === 'IPv4' && a.cidr).map((a) => a.cidr!));
}

const ipv4 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Whether the /24 `block` (its first three octets) and `cidr` share an address. */
function overlaps24(block: string, cidr: string): boolean {
  const [addr, bitsText] = cidr.split('/');
  const bits = Math.min(Number(bitsText), 24);
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4(`${block}.0`) / size) === Math.floor(ipv4(addr!) / size);
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  /** kube-scheduler's secure port and kwok's server; only for clusters that run pods. */
  scheduler?: number;
  kwok?: number;
}

export interface ClusterSpec {
  name: string;
  index: number;
  /** Working directory (certs, etcd data, logs); removed by the set on down. */
  dir: string;
  kubeconfigPath: string;
  ports: ClusterPorts;
  /**
   * Address the apiserver binds; 127.0.0.1 unless a network test needs another. A non-loopback
   * one is also what it advertises; on loopback it advertises loopbackAdvertiseAddress(index).
   */
  bindAddress?: string;
  /** Extra apiserver flags, for tests that need e.g. a short etcd compaction interval. */
  apiserverFlags?: string[];
  /** IPv4 + IPv6: a second service range (and a pod range, for whoever runs pods) of the other family. */
  dualStack?: boolean;
  /** Also run kube-scheduler and kwok (one fake Node), and the controllers Deployments need. */
  pods?: boolean;
  /**
   * With `pods`, whether kwok runs (default true). false: only the scheduler, for a cluster
   * whose pods something else runs (the data plane's pod runtime, dataplane/kubelet/).
   */
  kwok?: boolean;
  /**
   * The controller-manager's controllers instead of the usual set, for a cluster that is some
   * other tool's control plane (no EndpointSlice controller filling slices for its templates).
   */
  controllers?: string[];
  /** Called whenever a component (re)starts, so whoever records process ids can refresh them. */
  onProcessesChanged?: () => void;
  /** Aborted when the start is no longer wanted (another cluster of the set failed): stop waiting, stop, reject. */
  signal?: AbortSignal;
}

export interface ClusterInfo {
  name: string;
  kubeconfigPath: string;
  server: string;
  podCidr: string;
  serviceCidr: string;
  /** The IPv6 ranges of a dual-stack cluster (dataplane/ipv6.ts). */
  podCidr6?: string;
  serviceCidr6?: string;
  dir: string;
  caCertPath: string;
  /**
   * The cluster's etcd client URL (plain HTTP on loopback), for tests that change storage behind
   * the apiserver's back; absent for clusters the harness did not start.
   */
  etcdUrl?: string;
}

export interface RunningCluster extends ClusterInfo {
  etcdUrl: string;
  /** What its apiserver publishes as default/kubernetes's endpoint (--advertise-address). */
  advertiseAddress: string;
  processes: Supervised[];
  pki: ClusterPki;
  /** Stops the control plane of this cluster (its data stays until the set is torn down). */
  stop(): Promise<void>;
  /** Starts a stopped cluster again on the same ports and data, as after an outage. */
  restart(): Promise<void>;
  /**
   * Stops only kube-apiserver: etcd keeps running, so a test can change storage while no
   * apiserver (and no watch cache) can see it; the controller-manager keeps retrying, as it
   * would through a real apiserver outage.
   */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again after stopApiserver (and the controller-manager, scheduler or kwok, if one gave up). */
  startApiserver(): Promise<void>;
}

const CONTROLLERS = [
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'endpoints-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
];

/** Binaries a cluster runs, beyond the control plane, when it runs pods. */
type PodBins = Partial<Record<'kube-scheduler' | 'kwok', string>>;

export async function startCluster(spec: ClusterSpec, bins: Record<Component, string> & PodBins): Promise<RunningCluster> {
  const { podCidr, serviceCidr } = clusterCidrs(spec.index);
  const v6 = spec.dualStack ? clusterCidrs6(spec.index) : undefined;
  const host = spec.bindAddress ?? '127.0.0.1';
  const advertise = isLoopback(host) ? loopbackAdvertiseAddress(spec.index) : host;
  const pkiDir = join(spec.dir, 'pki');
  const logDir = join(spec.dir, 'logs');
  mkdirSync(pkiDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const pki = createClusterPki(pkiDir, spec.name, [host, advertise, '127.0.0.1', serviceCidrFirstIp(serviceCidr)]);
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${spec.ports.apiserver}`;
  writeKubeconfig(spec.kubeconfigPath, spec.name, server, pki.caCert, { name: `${spec.name}-admin`, certFile: pki.adminCert, keyFile: pki.adminKey });
  const kcmKubeconfig = join(pkiDir, 'controller-manager.kubeconfig');
  writeKubeconfig(kcmKubeconfig, spec.name, server, pki.caCert, {
    name: 'system:kube-controller-manager', certFile: pki.controllerManagerCert, keyFile: pki.controllerManagerKey,
  });

  const etcdUrl = `http://127.0.0.1:${spec.ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${spec.ports.etcdPeer}`;
  const etcdArgs = [
    '--name', spec.name, '--data-dir', join(spec.dir, 'etcd'),
    '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${spec.name}=${peerUrl}`,
    // Test data is disposable; skipping fsync keeps a 2-core machine responsive.
    '--unsafe-no-fsync', '--log-level', 'warn',
  ];
  const apiserverArgs = [
    '--etcd-servers', etcdUrl,
    '--bind-address', host, '--advertise-address', advertise, '--secure-port', String(spec.ports.apiserver),
    '--tls-cert-file', pki.servingCert, '--tls-private-key-file', pki.servingKey,
    '--client-ca-file', pki.caCert,
    '--authorization-mode', 'RBAC',
    '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
    '--service-account-key-file', pki.serviceAccountPub,
    '--service-account-signing-key-file', pki.serviceAccountKey,
    '--service-cluster-ip-range', v6 ? `${serviceCidr},${v6.serviceCidr6}` : serviceCidr,
    '--cert-dir', join(spec.dir, 'apiserver-certs'),
    '--profiling=false',
    // What it presents to a node's kubelet endpoint for `pods/exec` (the data plane's exec server
    // accepts what the cluster CA signed); admin, as the harness's other components act.
    '--kubelet-client-certificate', pki.adminCert, '--kubelet-client-key', pki.adminKey,
    '--v', '1',
    ...(spec.apiserverFlags ?? []),
  ];
  const kcmArgs = [
    '--kubeconfig', kcmKubeconfig,
    '--authentication-kubeconfig', kcmKubeconfig, '--authorization-kubeconfig', kcmKubeconfig,
    '--bind-address', '127.0.0.1', '--secure-port', String(spec.ports.controllerManager),
    '--controllers', (spec.controllers ?? [...CONTROLLERS, ...(spec.pods ? POD_CONTROLLERS : [])]).join(','),
    '--use-service-account-credentials=true',
    '--service-account-private-key-file', pki.serviceAccountKey,
    '--root-ca-file', pki.caCert,
    '--leader-elect=false',
    // The default client budget (20 qps) makes the source's own EndpointSlice controller the
    // bottleneck under churn benchmarks; real control planes are usually tuned above it too.
    '--kube-api-qps=200', '--kube-api-burst=400',
    '--cert-dir', join(spec.dir, 'kcm-certs'),
    '--v', '1',
  ];

  const pods = spec.pods ? podLifecycle(spec, pki, server, bins) : undefined;

  const processes: Supervised[] = [];
  const ca = readFileSync(pki.caCert);
  const clientAuth = { ca, cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };

  // Fixed slots, so a component restarted on its own replaces its entry rather than piling up,
  // and stop() still takes them down in reverse order.
  const ETCD = 0, APISERVER = 1, KCM = 2, SCHEDULER = 3, KWOK = 4;
  // A component that dies while a later one starts fails the start too: the apiserver cannot
  // become ready without etcd, and waiting out its deadline would only hide why.
  const watching = (proc: Supervised) => ({ also: processes.filter((p) => p !== proc && p.running()), signal: spec.signal });
  const startEtcd = async () => {
    const etcd = startProcess(`${spec.name}/etcd`, bins.etcd, etcdArgs, join(logDir, 'etcd.log'));
    processes[ETCD] = etcd;
    spec.onProcessesChanged?.();
    await waitHealthy(etcd, () => httpGet(`${etcdUrl}/health`), 30_000, watching(etcd));
  };
  const startApiserver = async () => {
    const apiserver = startProcess(`${spec.name}/kube-apiserver`, bins['kube-apiserver'], apiserverArgs, join(logDir, 'kube-apiserver.log'));
    processes[APISERVER] = apiserver;
    spec.onProcessesChanged?.();
    await waitHealthy(apiserver, () => httpsGet(`${server}/readyz`, clientAuth), 120_000, watching(apiserver));
  };
  const startKcm = async () => {
    const kcm = startProcess(`${spec.name}/kube-controller-manager`, bins['kube-controller-manager'], kcmArgs, join(logDir, 'kube-controller-manager.log'));
    processes[KCM] = kcm;
    spec.onProcessesChanged?.();
    await waitHealthy(kcm, () => httpsGet(`https://127.0.0.1:${spec.ports.controllerManager}/healthz`, { rejectUnauthorized: false }), 60_000, watching(kcm));
  };

  const startScheduler = async (p: PodLifecycle) => {
    const scheduler = startProcess(`${spec.name}/kube-scheduler`, p.schedulerBin, p.schedulerArgs, join(logDir, 'kube-scheduler.log'));
    processes[SCHEDULER] = scheduler;
    spec.onProcessesChanged?.();
    await waitHealthy(scheduler, () => httpsGet(`https://127.0.0.1:${p.schedulerPort}/healthz`, { rejectUnauthorized: false }), 60_000, watching(scheduler));
  };
  const startKwok = async (p: PodLifecycle) => {
    await ensureKwokNode({ name: spec.name, kubeconfigPath: spec.kubeconfigPath, podCidr });
    // HOME is its own directory: kwok would otherwise also read ~/.kwok/kwok.yaml.
    const kwok = startProcess(`${spec.name}/kwok`, p.kwokBin, p.kwokArgs, join(logDir, 'kwok.log'), { HOME: p.kwokHome });
    processes[KWOK] = kwok;
    spec.onProcessesChanged?.();
    await waitHealthy(kwok, () => httpGet(`http://127.0.0.1:${p.kwokPort}/healthz`), 60_000, watching(kwok));
    // Ready only once kwok has initialized its Node: until then the scheduler has nowhere to bind.
    await waitHealthy(kwok, () => kwokNodeReady({ name: spec.name, kubeconfigPath: spec.kubeconfigPath }), 60_000, watching(kwok));
  };
  const startPodLifecycle = async () => {
    if (!pods) return;
    if (!processes[SCHEDULER]?.running()) await startScheduler(pods);
    if (spec.kwok !== false && !processes[KWOK]?.running()) await startKwok(pods);
  };

  const launch = async () => {
    processes.length = 0;
    await startEtcd();
    await startApiserver();
    await startKcm();
    await startPodLifecycle();
  };

  const stop = async () => {
    // Reverse order: controllers first, etcd last, as a real control plane goes down.
    for (const p of [...processes].reverse()) await p.stop();
  };

  try {
    await launch();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name: spec.name, kubeconfigPath: spec.kubeconfigPath, server, podCidr, serviceCidr, ...v6, dir: spec.dir,
    caCertPath: pki.caCert, etcdUrl, advertiseAddress: advertise, processes, pki, stop,
    restart: async () => {
      await stop();
      await launch();
    },
    stopApiserver: async () => {
      await processes[APISERVER]?.stop();
    },
    startApiserver: async () => {
      if (!processes[ETCD]?.running()) throw new HarnessError(`${spec.name}: etcd is not running; use restart() after stop()`);
      if (!processes[APISERVER]?.running()) await startApiserver();
      if (!processes[KCM]?.running()) await startKcm();
      await startPodLifecycle();
    },
  };
}

interface PodLifecycle {
  schedulerBin: string;
  schedulerArgs: string[];
  schedulerPort: number;
  kwokBin: string;
  kwokArgs: string[];
  kwokPort: number;
  kwokHome: string;
}

/** Files and arguments for the scheduler and kwok of a cluster that runs pods. */
function podLifecycle(spec: ClusterSpec, pki: ClusterPki, server: string, bins: PodBins): PodLifecycle {
  const { scheduler: schedulerPort, kwok: kwokPort } = spec.ports;
  const schedulerBin = bins['kube-scheduler'], kwokBin = bins.kwok;
  if (schedulerPort === undefined || kwokPort === undefined) throw new HarnessError(`${spec.name}: a cluster that runs pods needs scheduler and kwok ports`);
  if (!schedulerBin || (!kwokBin && spec.kwok !== false)) throw new HarnessError(`${spec.name}: a cluster that runs pods needs the kube-scheduler and kwok binaries`);
  const pkiDir = join(spec.dir, 'pki');
  const schedulerKubeconfig = join(pkiDir, 'scheduler.kubeconfig');
  writeKubeconfig(schedulerKubeconfig, spec.name, server, pki.caCert, { name: 'system:kube-scheduler', certFile: pki.schedulerCert, keyFile: pki.schedulerKey });
  // kwok writes Node and Pod status, leases and deletions; like kwokctl, it acts as the admin.
  const kwokKubeconfig = join(pkiDir, 'kwok.kubeconfig');
  writeKubeconfig(kwokKubeconfig, spec.name, server, pki.caCert, { name: `${spec.name}-kwok`, certFile: pki.adminCert, keyFile: pki.adminKey });
  const kwokHome = join(spec.dir, 'kwok');
  mkdirSync(kwokHome, { recursive: true });
  return {
    schedulerBin, schedulerPort, kwokBin: kwokBin ?? '', kwokPort, kwokHome,
    schedulerArgs: schedulerArgs({ kubeconfig: schedulerKubeconfig, port: schedulerPort, certDir: join(spec.dir, 'scheduler-certs') }),
    kwokArgs: kwokArgs({ kubeconfig: kwokKubeconfig, stages: KWOK_STAGES_PATH, ...kwokAddresses(clusterCidrs(spec.index).podCidr), port: kwokPort }),
  };
}

function serviceCidrFirstIp(cidr: string): string {
  const [a, b, c] = cidr.split('/')[0]!.split('.');
  return `${a}.${b}.${c}.1`;
}

interface Watch {
  /** Components already up: one of them exiting fails this wait as well. */
  also: Supervised[];
  signal?: AbortSignal;
}

/**
 * Probes until `proc` answers 200. A component that exits ends the wait at once with its name
 * and the tail of its log; so does an abort. Each probe races those, so a probe stuck on a dead
 * port does not delay the report.
 */
async function waitHealthy(proc: Supervised, probe: () => Promise<number>, timeoutMs: number, watch: Watch): Promise<void> {
  const watched = [proc, ...watch.also];
  let onAbort = () => {};
  const aborted = new Promise<void>((r) => {
    onAbort = () => r();
    watch.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const interrupted = Promise.race([...watched.map((p) => p.exited), aborted]);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  try {
    while (Date.now() < deadline) {
      const dead = watched.find((p) => !p.running());
      if (dead) throw await exitedDuringStart(dead);
      if (watch.signal?.aborted) throw new HarnessError(`${proc.name}: start abandoned`);
      // Settles to a value either way, so losing the race leaves no unhandled rejection behind.
      const attempt = probe().then((status) => (status === 200 ? '' : `HTTP ${status}`), (err: Error) => err.message);
      const outcome = await Promise.race([attempt, interrupted.then(() => undefined)]);
      if (outcome === '') return;
      if (outcome !== undefined) last = outcome;
      await Promise.race([new Promise((r) => setTimeout(r, 250)), interrupted]);
    }
  } finally {
    watch.signal?.removeEventListener('abort', onAbort);
  }
  throw new HarnessError(`${proc.name} not ready after ${timeoutMs / 1000}s (${last}); last lines of ${proc.logPath}:\n${logTail(proc.logPath)}`);
}

async function exitedDuringStart(proc: Supervised): Promise<HarnessError> {
  const code = await proc.exited;
  const tail = logTail(proc.logPath, 20);
  if (/address already in use/.test(tail)) {
    return new HarnessError(`${proc.name} could not bind its port: address already in use (another process holds it); log ${proc.logPath}`);
  }
  return new HarnessError(`${proc.name} exited during start (${typeof code === 'number' ? `exit ${code}` : code}); last lines of ${proc.logPath}:\n${tail}`);
}

function httpsGet(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function httpGet(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.status;
}
