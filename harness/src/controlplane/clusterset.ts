// Starts and stops a set of harness clusters, or adopts existing clusters named in
// MCSYNC_TEST_KUBECONFIGS. A state file in the set's directory lets `down` (another process)
// find and stop what `up` started; a stale one is reported, never silently reused.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTROL_PLANE, POD_LIFECYCLE, ensureComponents, type Component } from './components.ts';
import { HarnessError } from '../util/errors.ts';
import { clusterCidrs, startCluster, type ClusterInfo, type RunningCluster } from './cluster.ts';
import { applyMcsCrds } from './mcs-crds.ts';
import { assertPortsFree, freePorts } from '../util/ports.ts';
import { isAlive, signalGroup } from '../util/process.ts';

export const STATE_DIR = '.mcsync-harness';
const STATE_FILE = 'state.json';

interface StateFile {
  ownerPid: number;
  createdAt: string;
  createdDir: boolean;
  /** A temp dir the set made for itself: removed whole on down. */
  tempDir?: boolean;
  clusters: { name: string; kubeconfigPath: string; server: string; pids: number[] }[];
}

export interface ClusterSetOptions {
  names: string[];
  /** Where kubeconfigs go (`<name>.kubeconfig`); a fresh temp dir when absent. */
  dir?: string;
  /** Fixed ports from here upwards (4 per cluster, 6 with `pods`) instead of free ones the kernel picks. */
  portBase?: number;
  bindAddress?: string;
  apiserverFlags?: string[];
  components?: Component[];
  /**
   * Each cluster also runs kube-scheduler and kwok with one fake Node, and its controller-manager
   * the Deployment and ReplicaSet controllers: Deployments and bare Pods become scheduled,
   * Running, Ready pods with IPs from the cluster's pod CIDR, whatever image they name.
   * Clusters from MCSYNC_TEST_KUBECONFIGS are taken as able to run pods already.
   */
  pods?: boolean;
  /** With `pods`: false runs only the scheduler, no kwok (the data plane runs the pods itself). */
  kwok?: boolean;
  /** IPv4 + IPv6 service (and pod) ranges: true in every cluster, or the clusters named; the others stay IPv4-only. */
  dualStack?: boolean | string[];
  /** Apply the Multi-Cluster Services CRDs (deploy/mcs/crds/) to every cluster and wait until they are Established. */
  mcsCrds?: boolean;
  onProgress?: (line: string) => void;
}

export interface ClusterSet {
  dir: string;
  clusters: ClusterInfo[];
  /** Only for clusters this set started; empty when adopted from MCSYNC_TEST_KUBECONFIGS. */
  running: RunningCluster[];
  external: boolean;
  get(name: string): ClusterInfo;
  down(): Promise<void>;
}

/**
 * Dot-separated DNS labels, at most 32 characters: valid as a file name, an etcd member name, a
 * Node name prefix and an mcsync cluster name (whose rule is wider). Names YAML would read as
 * something else (`y`, `no`, `null`, `1e3`, `1.5`) are accepted: everything the harness writes
 * quotes them.
 */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_MAX = 32;

export function isClusterName(n: string): boolean {
  return n.length <= NAME_MAX && NAME.test(n);
}

export function validateNames(names: string[]): void {
  if (names.length === 0) throw new HarnessError('give at least one cluster name');
  for (const n of names) {
    if (!isClusterName(n)) {
      throw new HarnessError(`cluster name "${n}" must be lower-case letters, digits and '-', in labels joined by '.' (at most ${NAME_MAX})`);
    }
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new HarnessError(`cluster name "${dup}" is given twice`);
}

/**
 * MCSYNC_TEST_KUBECONFIGS="a=/path/a.kubeconfig,b=/path/b.kubeconfig" points tests at clusters
 * someone else runs. Pod CIDRs for the pod helper come from MCSYNC_TEST_POD_CIDRS ("a=10.1.0.0/16,…")
 * or default to the harness's own numbering.
 */
export function externalClusters(names: string[]): ClusterInfo[] | undefined {
  const spec = process.env.MCSYNC_TEST_KUBECONFIGS;
  if (!spec) return undefined;
  const parse = (s: string) => new Map(s.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) throw new HarnessError(`MCSYNC_TEST_KUBECONFIGS entry "${kv}" is not name=path`);
    return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
  }));
  const kubeconfigs = parse(spec);
  const cidrs = parse(process.env.MCSYNC_TEST_POD_CIDRS ?? '');
  const listed = [...kubeconfigs.keys()];
  if (listed.length < names.length) {
    throw new HarnessError(`this test needs ${names.length} clusters but MCSYNC_TEST_KUBECONFIGS lists ${listed.length}`);
  }
  // Tests name their clusters; external ones are matched by name first, then in listed order.
  const byOrder = names.map((n, i) => (kubeconfigs.has(n) ? n : listed[i]!));
  return names.map((n, i) => {
    const source = byOrder[i]!;
    const path = resolve(kubeconfigs.get(source)!);
    if (!existsSync(path)) throw new HarnessError(`MCSYNC_TEST_KUBECONFIGS: ${path} does not exist`);
    const { podCidr, serviceCidr } = clusterCidrs(i);
    return { name: n, kubeconfigPath: path, server: '', podCidr: cidrs.get(source) ?? podCidr, serviceCidr, dir: '', caCertPath: '' };
  });
}

function readState(dir: string): StateFile | undefined {
  const p = join(dir, STATE_DIR, STATE_FILE);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as StateFile;
}

function checkDir(dir: string): void {
  const state = readState(dir);
  if (!state) return;
  if (isAlive(state.ownerPid)) {
    throw new HarnessError(`clusters are already up in ${dir} (process ${state.ownerPid}); use them, or stop them with: npm run clusters -- down --dir ${dir}`);
  }
  throw new HarnessError(`${dir} holds a stale harness state from ${state.createdAt} (its process ${state.ownerPid} is gone); clean it with: npm run clusters -- down --dir ${dir}`);
}

const liveSets = new Set<ClusterSet>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    void Promise.allSettled([...liveSets].map((s) => s.down())).then(() => {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Last resort on an abrupt exit: children also carry a parent-death signal.
  process.once('exit', () => {
    for (const s of liveSets) {
      for (const c of s.running) for (const p of c.processes) signalGroup(p.pid, 'SIGKILL');
      rmSync(join(s.dir, STATE_DIR), { recursive: true, force: true });
    }
  });
}

export async function startClusterSet(opts: ClusterSetOptions): Promise<ClusterSet> {
  validateNames(opts.names);
  const external = externalClusters(opts.names);
  if (external) {
    if (opts.mcsCrds) await Promise.all(external.map((c) => applyMcsCrds(c)));
    return {
      dir: '', clusters: external, running: [], external: true,
      get: (name) => external.find((c) => c.name === name) ?? fail(name),
      down: async () => {},
    };
  }
  if (opts.names.length > 50) throw new HarnessError('the harness starts at most 50 clusters');
  const createdDir = opts.dir !== undefined && !existsSync(opts.dir);
  const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'mcsync-clusters-'));
  mkdirSync(dir, { recursive: true });
  checkDir(dir);
  const wanted = opts.components ?? CONTROL_PLANE;
  const podBins = POD_LIFECYCLE.filter((c) => !wanted.includes(c) && (opts.kwok !== false || c !== 'kwok'));
  const bins = await ensureComponents(opts.pods ? [...wanted, ...podBins] : wanted, { onProgress: opts.onProgress });

  const n = opts.names.length;
  const perCluster = opts.pods ? 6 : 4;
  let ports: number[];
  if (opts.portBase !== undefined) {
    ports = Array.from({ length: n * perCluster }, (_, i) => opts.portBase! + i);
    await assertPortsFree(ports, opts.bindAddress);
  } else {
    ports = await freePorts(n * perCluster);
  }
  const stateDir = join(dir, STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  const state: StateFile = { ownerPid: process.pid, createdAt: new Date().toISOString(), createdDir: createdDir || !opts.dir, tempDir: !opts.dir, clusters: [] };
  const writeState = () => writeFileSync(join(stateDir, STATE_FILE), JSON.stringify(state, null, 2));
  writeState();
  let started = false;
  // After a restart the components have new pids: `down` from another process must find those.
  const recordPids = () => {
    state.clusters = running.map((c) => ({ name: c.name, kubeconfigPath: c.kubeconfigPath, server: c.server, pids: c.processes.map((p) => p.pid) }));
    writeState();
  };

  const running: RunningCluster[] = [];
  let tornDown = false;
  const set: ClusterSet = {
    dir,
    get clusters() { return running as ClusterInfo[]; },
    running,
    external: false,
    get: (name) => running.find((c) => c.name === name) ?? fail(name),
    down: async () => {
      if (tornDown) return;
      tornDown = true;
      liveSets.delete(set);
      await Promise.allSettled(running.map((c) => c.stop()));
      removeSetFiles(dir, opts.names, state);
    },
  };
  liveSets.add(set);
  installExitHandlers();

  // The first cluster that fails ends the whole start: the others stop waiting and stop, so
  // the caller hears what failed now rather than after the slowest cluster's deadline.
  const firstFailure = new AbortController();
  await Promise.allSettled(opts.names.map(async (name, i) => {
    try {
      const p = (k: number) => ports[i * perCluster + k]!;
      const cluster = await startCluster({
        name, index: i, dir: join(stateDir, name), kubeconfigPath: join(dir, `${name}.kubeconfig`),
        ports: {
          etcdClient: p(0), etcdPeer: p(1), apiserver: p(2), controllerManager: p(3),
          ...(opts.pods ? { scheduler: p(4), kwok: p(5) } : {}),
        },
        bindAddress: opts.bindAddress, apiserverFlags: opts.apiserverFlags, pods: opts.pods, kwok: opts.kwok, signal: firstFailure.signal,
        dualStack: opts.dualStack === true || (Array.isArray(opts.dualStack) && opts.dualStack.includes(name)),
        onProcessesChanged: () => {
          if (started && !tornDown) recordPids();
        },
      }, bins);
      running.push(cluster);
      if (opts.mcsCrds) await applyMcsCrds(cluster);
      opts.onProgress?.(`cluster ${name} ready at ${cluster.server}`);
    } catch (err) {
      if (!firstFailure.signal.aborted) firstFailure.abort(err);
      throw err;
    }
  }));
  running.sort((a, b) => opts.names.indexOf(a.name) - opts.names.indexOf(b.name));
  recordPids();
  started = true;
  if (firstFailure.signal.aborted) {
    await set.down();
    throw firstFailure.signal.reason;
  }
  return set;
}

function fail(name: string): never {
  throw new HarnessError(`no cluster named ${name} in this set`);
}

function removeSetFiles(dir: string, names: string[], state: StateFile): void {
  if (state.tempDir) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const removeDir = state.createdDir;
  rmSync(join(dir, STATE_DIR), { recursive: true, force: true });
  for (const n of names) rmSync(join(dir, `${n}.kubeconfig`), { force: true });
  if (removeDir) {
    try {
      if (readdirSync(dir).length === 0) rmdirSync(dir);
    } catch {
      // left for the user: it holds files we did not write
    }
  }
}

/**
 * Stops clusters started by another process (`up`) from its directory: asks the owner to shut
 * down cleanly, then kills any component still alive and removes the harness files.
 */
export async function downDir(dirArg: string, log: (line: string) => void = () => {}): Promise<void> {
  const dir = resolve(dirArg);
  const state = readState(dir);
  if (!state) {
    if (existsSync(join(dir, STATE_DIR))) {
      rmSync(join(dir, STATE_DIR), { recursive: true, force: true });
      log(`removed an incomplete harness directory in ${dir}`);
      return;
    }
    throw new HarnessError(`no harness clusters in ${dir} (no ${STATE_DIR}/${STATE_FILE})`);
  }
  if (state.ownerPid !== process.pid && isAlive(state.ownerPid)) {
    process.kill(state.ownerPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isAlive(state.ownerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }
  const pids = state.clusters.flatMap((c) => c.pids);
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  removeSetFiles(dir, state.clusters.map((c) => c.name), state);
  log(`stopped ${state.clusters.map((c) => c.name).join(', ') || 'no clusters'} and removed the harness files in ${dir}`);
}
