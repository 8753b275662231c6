// What a kubelet does for the pods of one data-plane node, at the level the tests need: every
// pod the scheduler binds to the node gets a network namespace with an address from the
// cluster's pod CIDR (and a kubelet's resolv.conf), each of its containers' command runs as a
// process in that namespace with the container's environment, and the pod's status goes
// Running and Ready with its IP. Deleting the pod ends its processes, removes the namespace and
// frees the address; the runtime then removes the Pod object, as a kubelet does. The exec
// server (exec-server.ts) finds a running pod's namespace and environment in the file the runtime
// writes for it.
//
// The image is ignored: the command runs from this host. A container whose command cannot run
// here (none given, binary missing, an environment source not supported) is reported waiting
// with the reason, and the pod is not Ready.
//
// Pods the harness's pod helper makes (pods.ts, annotated) are left alone: it sets their status.
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api, makeInformer, type Informer, type ObjectCache, type V1ContainerStatus, type V1Pod,
} from '@kubernetes/client-node';
import type { RunningCluster } from '../../controlplane/cluster.ts';
import { HARNESS_POD_ANNOTATION, kubeConfigFor, type Pods } from '../../workload/pods.ts';
import { startProcess, type Supervised } from '../../util/process.ts';
import type { FlatNetwork, NodeNetns, PodNetns } from '../network.ts';
import { ContainerError, commandLine, containerEnv, resolveExecutable, type KeyReader } from './container.ts';
import { KUBELET_PORT } from './exec-server.ts';

const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
/** A container that exits is started again after this (doubling per restart, as a kubelet's back-off, capped). */
const RESTART_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;
/** How long a deleted pod's processes get after SIGTERM, at most, whatever the pod asks for. */
const MAX_GRACE_MS = 2_000;

export interface PodRuntimeOptions {
  cluster: RunningCluster;
  network: FlatNetwork;
  node: NodeNetns;
  api: Pods;
  dnsIp: string;
  /** Where the exec server reads the running pods from. */
  podsDir: string;
}

interface RunningContainer {
  name: string;
  process?: Supervised;
  status: V1ContainerStatus;
  restarts: number;
}

interface Managed {
  uid: string;
  namespace: string;
  name: string;
  /** Its addresses, IPv4 first (and IPv6 on a dual-stack node). */
  ips: string[];
  netns: PodNetns;
  containers: RunningContainer[];
  stopping: boolean;
}

export class PodRuntime {
  private readonly core: CoreV1Api;
  private readonly managed = new Map<string, Managed>();
  /** One chain of work per pod, so its events are handled in order. */
  private readonly queues = new Map<string, Promise<void>>();
  private informer?: Informer<V1Pod> & ObjectCache<V1Pod>;
  private stopped = false;
  private readonly o: PodRuntimeOptions;

  constructor(o: PodRuntimeOptions) {
    this.o = o;
    this.core = kubeConfigFor(o.cluster).makeApiClient(CoreV1Api);
  }

  get nodeName(): string {
    return this.o.api.nodeName;
  }

  /** Makes the Node schedulable with a kubelet endpoint, then starts watching pods. */
  async start(): Promise<void> {
    await this.prepareNode();
    mkdirSync(this.o.podsDir, { recursive: true });
    const informer = makeInformer(kubeConfigFor(this.o.cluster), '/api/v1/pods', () => this.core.listPodForAllNamespaces());
    const handle = (pod: V1Pod) => this.enqueue(pod, () => this.reconcile(pod));
    informer.on('add', handle);
    informer.on('update', handle);
    informer.on('delete', (pod) => this.enqueue(pod, () => this.gone(pod)));
    informer.on('error', (err: unknown) => {
      this.log(`watch of pods failed (${String(err)}); starting it again`);
      // A broken watch (an apiserver restart) starts again from a fresh list.
      if (!this.stopped) setTimeout(() => void informer.start().catch(() => {}), 1_000);
    });
    await informer.start();
    this.informer = informer;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
    await Promise.allSettled([...this.queues.values()]);
    await Promise.allSettled([...this.managed.values()].map((m) => this.teardown(m)));
  }

  /** The pod's namespace while it runs here. */
  netnsOf(namespace: string, name: string): PodNetns | undefined {
    return this.managed.get(`${namespace}/${name}`)?.netns;
  }

  private enqueue(pod: V1Pod, work: () => Promise<void>): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const next = (this.queues.get(key) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.log(`${key}: ${(err as Error).message}`);
    });
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private ours(pod: V1Pod): boolean {
    return pod.spec?.nodeName === this.nodeName && !pod.metadata?.annotations?.[HARNESS_POD_ANNOTATION];
  }

  /** What the runtime did, one line each, in the cluster's logs/pod-runtime.log. */
  private log(line: string): void {
    appendFileSync(join(this.o.cluster.dir, 'logs', 'pod-runtime.log'), `${new Date().toISOString()} ${line}\n`);
  }

  private async reconcile(pod: V1Pod): Promise<void> {
    if (this.stopped || !this.ours(pod)) return;
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    let m = this.managed.get(key);
    if (m && m.uid !== pod.metadata!.uid) {
      await this.teardown(m);
      m = undefined;
    }
    if (pod.metadata!.deletionTimestamp) {
      if (m) await this.teardown(m, pod.spec?.terminationGracePeriodSeconds);
      this.log(`${key}: deleted: processes ended, namespace removed; removing the Pod object`);
      await this.core.deleteNamespacedPod({
        // In the body, as a kubelet sends it: the client leaves a query parameter of 0 out.
        namespace: pod.metadata!.namespace!, name: pod.metadata!.name!,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } },
      }).catch((err: { code?: number; body?: unknown }) => {
        if (err.code !== 404) this.log(`${key}: removing the Pod object failed: ${err.code} ${String(err.body ?? err)}`);
      });
      return;
    }
    if (!m && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') await this.run(pod);
  }

  private async gone(pod: V1Pod): Promise<void> {
    const m = this.managed.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    if (m && m.uid === pod.metadata?.uid) await this.teardown(m);
  }

  private async run(pod: V1Pod): Promise<void> {
    const namespace = pod.metadata!.namespace!, name = pod.metadata!.name!;
    const ip = await this.o.api.allocateIp();
    const ip6 = this.o.node.podCidr6 ? this.o.api.allocateIp6() : undefined;
    const netns = this.o.network.addPod(this.o.cluster.name, `${namespace}-${name}`, ip, {
      nameserver: this.o.dnsIp,
      search: [`${namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
    }, ip6);
    const ips = ip6 ? [ip, ip6] : [ip];
    const m: Managed = { uid: pod.metadata!.uid!, namespace, name, ips, netns, containers: [], stopping: false };
    this.log(`${namespace}/${name}: ${ips.join(', ')} in ${netns.ns}`);
    this.managed.set(`${namespace}/${name}`, m);
    // The downward API sees the pod as it will be reported: with its address and its node's.
    const seen: V1Pod = { ...pod, status: { ...pod.status, podIP: ip, podIPs: ips.map((x) => ({ ip: x })), hostIP: this.o.node.address, hostIPs: this.hostIps() } };
    const readKey: KeyReader = async (kind, ns, objName, key) => {
      if (kind === 'ConfigMap') return (await this.core.readNamespacedConfigMap({ namespace: ns, name: objName }).catch(() => undefined))?.data?.[key];
      const data = (await this.core.readNamespacedSecret({ namespace: ns, name: objName }).catch(() => undefined))?.data?.[key];
      return data === undefined ? undefined : Buffer.from(data, 'base64').toString();
    };
    const execInfo: Record<string, { env: string[]; workingDir: string }> = {};
    mkdirSync(join(this.o.cluster.dir, 'logs', 'pods'), { recursive: true });
    for (const spec of pod.spec?.containers ?? []) {
      const c: RunningContainer = { name: spec.name, restarts: 0, status: this.containerStatus(spec.name, spec.image, false) };
      m.containers.push(c);
      try {
        const env = await containerEnv(seen, spec, readKey);
        const argv = commandLine(spec, env);
        resolveExecutable(argv[0]!, env.get('PATH')!, spec.name);
        const workingDir = spec.workingDir || '/';
        const envList = [...env].map(([k, v]) => `${k}=${v}`);
        execInfo[spec.name] = { env: envList, workingDir };
        const start = () => {
          this.log(`${namespace}/${name}: container ${spec.name}: ${JSON.stringify(argv)}`);
          const proc = startProcess(`${this.o.cluster.name}/${namespace}/${name}/${spec.name}`, 'ip',
            ['netns', 'exec', netns.ns, 'env', '-i', '-C', workingDir, '--', ...envList, ...argv],
            join(this.o.cluster.dir, 'logs', 'pods', `${namespace}_${name}_${spec.name}.log`));
          c.process = proc;
          c.status = { ...this.containerStatus(spec.name, spec.image, true), restartCount: c.restarts, lastState: c.status.lastState };
          void proc.exited.then((code) => this.exited(m, c, code, pod.spec?.restartPolicy ?? 'Always', start));
        };
        start();
      } catch (err) {
        if (!(err instanceof ContainerError)) throw err;
        c.status = { ...c.status, state: { waiting: { reason: err.reason, message: err.message } } };
        this.log(`${namespace}/${name}: ${err.reason}: ${err.message}`);
      }
    }
    writeFileSync(this.podFile(m), JSON.stringify({ netns: netns.ns, uid: m.uid, containers: execInfo }));
    await this.writeStatus(m);
  }

  private async exited(m: Managed, c: RunningContainer, code: number | string, restartPolicy: string, start: () => void): Promise<void> {
    if (m.stopping || this.stopped) return;
    const exitCode = typeof code === 'number' ? code : 137;
    const now = new Date();
    const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: c.status.state?.running?.startedAt, finishedAt: now };
    const restart = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0);
    c.process = undefined;
    if (restart) {
      c.status = { ...c.status, ready: false, started: false, lastState: { terminated }, state: { waiting: { reason: 'CrashLoopBackOff', message: `exited with ${exitCode}; restarting` } } };
      await this.enqueueStatus(m);
      await new Promise((r) => setTimeout(r, Math.min(RESTART_BACKOFF_MS * 2 ** c.restarts, MAX_BACKOFF_MS)));
      if (m.stopping || this.stopped) return;
      c.restarts++;
      start();
    } else {
      c.status = { ...c.status, ready: false, started: false, state: { terminated } };
    }
    await this.enqueueStatus(m);
  }

  private enqueueStatus(m: Managed): Promise<void> {
    return this.writeStatus(m).catch(() => {});
  }

  private containerStatus(name: string, image: string | undefined, running: boolean): V1ContainerStatus {
    return {
      name, image: image ?? '', imageID: '', ready: running, restartCount: 0, started: running,
      state: running ? { running: { startedAt: new Date() } } : { waiting: { reason: 'ContainerCreating' } },
    };
  }

  private async writeStatus(m: Managed): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const pod = await this.core.readNamespacedPod({ namespace: m.namespace, name: m.name }).catch(() => undefined);
      if (!pod || pod.metadata?.uid !== m.uid || m.stopping) return;
      const now = new Date();
      const statuses = m.containers.map((c) => c.status);
      const ready = statuses.length > 0 && statuses.every((s) => s.ready);
      const allDone = statuses.length > 0 && statuses.every((s) => s.state?.terminated);
      const phase = allDone ? (statuses.every((s) => s.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed')
        : statuses.some((s) => s.state?.running || s.lastState?.terminated) ? 'Running' : 'Pending';
      const cond = (type: string, status: boolean) => {
        const old = pod.status?.conditions?.find((c) => c.type === type);
        const s = status ? 'True' : 'False';
        return { type, status: s, lastTransitionTime: old?.status === s ? old.lastTransitionTime : now };
      };
      pod.status = {
        phase, hostIP: this.o.node.address, hostIPs: this.hostIps(), podIP: m.ips[0], podIPs: m.ips.map((ip) => ({ ip })),
        startTime: pod.status?.startTime ?? now,
        conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
        containerStatuses: statuses,
      };
      try {
        await this.core.replaceNamespacedPodStatus({ namespace: m.namespace, name: m.name, body: pod });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 409 || attempt > 10) throw err;
      }
    }
  }

  private hostIps(): { ip: string }[] {
    return [this.o.node.address, ...(this.o.node.address6 ? [this.o.node.address6] : [])].map((ip) => ({ ip }));
  }

  private podFile(m: Managed): string {
    return join(this.o.podsDir, `${m.namespace}_${m.name}.json`);
  }

  /** Ends the pod's processes (SIGTERM, then SIGKILL after its grace, at most 2 s) and frees its namespace and address. */
  private async teardown(m: Managed, graceSeconds?: number): Promise<void> {
    if (m.stopping) return;
    m.stopping = true;
    rmSync(this.podFile(m), { force: true });
    const grace = Math.min((graceSeconds ?? 30) * 1000, MAX_GRACE_MS);
    await Promise.allSettled(m.containers.map((c) => c.process?.stop(grace)));
    this.o.network.removePod(m.netns);
    for (const ip of m.ips) this.o.api.release(ip);
    this.managed.delete(`${m.namespace}/${m.name}`);
  }

  /**
   * A kubelet registers its Node with capacity, its address and its endpoint, and keeps it Ready.
   * The harness runs no node-lifecycle controller, so the not-ready taint the apiserver puts on a
   * new Node is lifted here.
   */
  private async prepareNode(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const node = await this.core.readNode({ name: this.nodeName });
      node.spec = { ...node.spec, taints: (node.spec?.taints ?? []).filter((t) => t.key !== NOT_READY_TAINT) };
      try {
        const updated = await this.core.replaceNode({ name: this.nodeName, body: node });
        const capacity = { cpu: '16', memory: '32Gi', pods: '250' };
        updated.status = {
          ...updated.status,
          capacity, allocatable: capacity,
          // Only the address: the apiserver prefers a Hostname address for reaching the kubelet, and this name resolves nowhere.
          addresses: this.hostIps().map(({ ip }) => ({ type: 'InternalIP', address: ip })),
          daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
          nodeInfo: {
            architecture: process.arch === 'x64' ? 'amd64' : process.arch, operatingSystem: 'linux', kubeletVersion: 'mcsync-harness',
            kubeProxyVersion: '', bootID: '', containerRuntimeVersion: 'mcsync-harness://processes', kernelVersion: '', machineID: '', osImage: '', systemUUID: '',
          },
        };
        await this.core.replaceNodeStatus({ name: this.nodeName, body: updated });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 409 || attempt > 10) throw err;
      }
    }
  }
}
