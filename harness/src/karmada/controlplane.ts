// Karmada's control plane as plain processes on loopback: a harness cluster (its own etcd,
// kube-apiserver with the aggregation layer's front proxy, a controller-manager with only the
// namespace, garbage-collector and service-account controllers) turned into karmada-apiserver
// by Karmada's CRDs, then karmada-webhook (first: Karmada's objects must never exist without
// it), karmada-aggregated-apiserver (cluster.karmada.io, behind an APIService), and
// karmada-controller-manager and karmada-scheduler. Members join in push mode or, with a
// karmada-agent each started through startComponent, in pull mode (join.ts).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ensureComponents, CONTROL_PLANE } from '../controlplane/components.ts';
import { HarnessError } from '../util/errors.ts';
import { startCluster, type RunningCluster } from '../controlplane/cluster.ts';
import { freePorts } from '../util/ports.ts';
import { logTail, runToEnd, startProcess, type Supervised } from '../util/process.ts';
import { waitFor } from '../util/wait.ts';
import { KubeApiError, KubeClient } from '../../../src/kube/client.ts';
import { ensureKarmada, karmadaModuleDir, type KarmadaBinary } from './binaries.ts';
import { createFrontProxyPki, frontProxyFlags, servingPair } from './certs.ts';

/** Client budget of every Karmada component, toward the control plane and toward each member. */
export interface KarmadaBudget {
  qps: number;
  burst: number;
}

/** Karmada's own defaults (controller-manager --cluster-api-qps/--kube-api-qps and their bursts). */
export const KARMADA_DEFAULT_BUDGET: KarmadaBudget = { qps: 40, burst: 60 };

export interface KarmadaOptions {
  /** Working directory: certs, the control plane's etcd, logs. */
  dir: string;
  /** The harness's cluster index for the control plane (CIDRs and advertise address); pick one no member uses. */
  index?: number;
  budget?: KarmadaBudget;
  onProgress?: (line: string) => void;
}

export interface RunningKarmada {
  /** karmada-apiserver: the harness cluster that holds Karmada's API. */
  controlPlane: RunningCluster;
  /** Karmada's own processes, in start order (webhook, aggregated apiserver, controller-manager, scheduler, then any agents). */
  processes: Supervised[];
  /** Every command line started, for the record. */
  commandLines: string[];
  /** The client budget every component got, for the ones started later (agents). */
  budget: KarmadaBudget;
  /** Working directory of this control plane: logs/ holds every component's log. */
  dir: string;
  kubectl: string;
  client(): KubeClient;
  /**
   * Starts one more Karmada process (a member's karmada-agent): it is recorded, counted among
   * `processes` (so its CPU and RSS are Karmada's) and stopped by `down`, before the control plane.
   */
  startComponent(bin: KarmadaBinary, binaryPath: string, args: string[], instance?: string): Supervised;
  down(): Promise<void>;
}

/** The controllers karmada-apiserver's own controller-manager runs (no EndpointSlice controller: templates have no pods). */
export const CONTROL_PLANE_CONTROLLERS = ['namespace-controller', 'garbage-collector-controller', 'serviceaccount-controller', 'serviceaccount-token-controller'];

export async function startKarmada(o: KarmadaOptions): Promise<RunningKarmada> {
  const say = o.onProgress ?? (() => {});
  const budget = o.budget ?? KARMADA_DEFAULT_BUDGET;
  const k8s = await ensureComponents([...CONTROL_PLANE], { onProgress: say });
  const bins = await ensureKarmada(undefined, say);
  const moduleDir = karmadaModuleDir();
  mkdirSync(o.dir, { recursive: true });
  const logDir = join(o.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const fp = createFrontProxyPki(join(o.dir, 'front-proxy'));
  const [etcdClient, etcdPeer, apiserver, controllerManager, webhook, webhookMetrics, webhookHealth, aggregated, kcmMetrics, kcmHealth, schedMetrics, schedHealth] = await freePorts(12);
  say('starting karmada-apiserver (a harness cluster with the aggregation layer)');
  const controlPlane = await startCluster({
    name: 'karmada', index: o.index ?? 49, dir: join(o.dir, 'apiserver'), kubeconfigPath: join(o.dir, 'karmada.kubeconfig'),
    ports: { etcdClient: etcdClient!, etcdPeer: etcdPeer!, apiserver: apiserver!, controllerManager: controllerManager! },
    apiserverFlags: frontProxyFlags(fp), controllers: CONTROL_PLANE_CONTROLLERS,
  }, k8s);
  const processes: Supervised[] = [];
  const commandLines: string[] = [];
  const kubeconfig = controlPlane.kubeconfigPath;
  const clusterCa = { cert: controlPlane.pki.caCert, key: controlPlane.pki.caKey };
  const down = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    await controlPlane.stop();
  };
  // An instance (the member an agent serves) tells apart the processes and logs of one binary.
  const startComponent = (bin: KarmadaBinary, binaryPath: string, args: string[], instance?: string) => {
    const name = instance ? `${bin}-${instance}` : bin;
    commandLines.push([bin, ...args].join(' '));
    const p = startProcess(`karmada/${name}`, binaryPath, args, join(logDir, `${name}.log`));
    processes.push(p);
    return p;
  };
  const start = (bin: KarmadaBinary, args: string[]) => startComponent(bin, bins[bin], args);
  const kubectl = async (...args: string[]) => {
    const r = await runToEnd(k8s.kubectl, ['--kubeconfig', kubeconfig, ...args]);
    if (r.code !== 0) throw new HarnessError(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const client = () => KubeClient.fromFile('karmada', kubeconfig);
  try {
    say('applying Karmada CRDs from the module cache');
    const bases = join(moduleDir, 'charts/karmada/_crds/bases');
    for (const group of readdirSync(bases)) await kubectl('apply', '--server-side', '-f', join(bases, group));
    await kubectl('wait', '--for', 'condition=Established', 'crd', '--all', '--timeout=120s');
    const c = client();
    try {
      for (const ns of ['karmada-system', 'karmada-cluster']) await ensure(c, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    } finally {
      c.close();
    }

    say('starting karmada-webhook');
    const webhookCerts = join(o.dir, 'webhook-certs');
    servingPair(webhookCerts, 'karmada-webhook', clusterCa);
    const wh = start('karmada-webhook', [
      '--kubeconfig', kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', String(webhook), '--cert-dir', webhookCerts,
      '--metrics-bind-address', `127.0.0.1:${webhookMetrics}`, '--health-probe-bind-address', `127.0.0.1:${webhookHealth}`,
      '--kube-api-qps', String(budget.qps), '--kube-api-burst', String(budget.burst), '--v', '1',
    ]);
    await healthy(wh, `https://127.0.0.1:${webhook}/readyz/`);
    // Karmada's own webhook configuration, pointed at the loopback listener.
    const caBundle = readFileSync(clusterCa.cert).toString('base64');
    const hooks = readFileSync(join(moduleDir, 'artifacts/deploy/webhook-configuration.yaml'), 'utf8')
      .replaceAll('https://karmada-webhook.karmada-system.svc:443/', `https://127.0.0.1:${webhook}/`)
      .replaceAll('{{caBundle}}', caBundle);
    const hooksPath = join(o.dir, 'webhook-configuration.yaml');
    writeFileSync(hooksPath, hooks);
    await kubectl('apply', '--server-side', '-f', hooksPath);

    say('starting karmada-aggregated-apiserver');
    const aggCerts = join(o.dir, 'aggregated-apiserver-certs');
    // The aggregator checks the name of the Service the APIService points at, whatever address it dials.
    const aggPair = servingPair(aggCerts, 'karmada-aggregated-apiserver', clusterCa, ['karmada-aggregated-apiserver.karmada-system.svc']);
    const agg = start('karmada-aggregated-apiserver', [
      '--kubeconfig', kubeconfig, '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig,
      '--etcd-servers', controlPlane.etcdUrl, '--tls-cert-file', aggPair.cert, '--tls-private-key-file', aggPair.key,
      '--bind-address', '127.0.0.1', '--secure-port', String(aggregated), '--v', '1',
    ]);
    await healthy(agg, `https://127.0.0.1:${aggregated}/readyz`);
    const c2 = client();
    try {
      // The apiserver resolves an ExternalName Service to its host name: the loopback listener.
      await ensure(c2, '/api/v1/namespaces/karmada-system/services', {
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'karmada-aggregated-apiserver', namespace: 'karmada-system' },
        spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: aggregated, protocol: 'TCP' }] },
      });
      await ensure(c2, '/apis/apiregistration.k8s.io/v1/apiservices', {
        apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1alpha1.cluster.karmada.io' },
        spec: {
          group: 'cluster.karmada.io', version: 'v1alpha1', groupPriorityMinimum: 2000, versionPriority: 10, caBundle,
          service: { name: 'karmada-aggregated-apiserver', namespace: 'karmada-system', port: aggregated },
        },
      });
      await waitFor(async () => {
        const a = await c2.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.cluster.karmada.io');
        return a.status?.conditions?.some((x) => x.type === 'Available' && x.status === 'True');
      }, { what: 'the cluster.karmada.io APIService to be Available', timeoutMs: 120_000, intervalMs: 500 });
    } finally {
      c2.close();
    }

    say('starting karmada-controller-manager and karmada-scheduler');
    const budgetFlags = ['--kube-api-qps', String(budget.qps), '--kube-api-burst', String(budget.burst)];
    const kcm = start('karmada-controller-manager', [
      '--kubeconfig', kubeconfig, '--feature-gates=MultiClusterService=true', '--leader-elect=false',
      '--metrics-bind-address', `127.0.0.1:${kcmMetrics}`, '--health-probe-bind-address', `127.0.0.1:${kcmHealth}`,
      '--cluster-api-qps', String(budget.qps), '--cluster-api-burst', String(budget.burst), ...budgetFlags, '--v', '1',
    ]);
    const sched = start('karmada-scheduler', [
      '--kubeconfig', kubeconfig, '--leader-elect=false',
      '--metrics-bind-address', `127.0.0.1:${schedMetrics}`, '--health-probe-bind-address', `127.0.0.1:${schedHealth}`,
      ...budgetFlags, '--v', '1',
    ]);
    await healthy(kcm, `http://127.0.0.1:${kcmHealth}/healthz`);
    await healthy(sched, `http://127.0.0.1:${schedHealth}/healthz`);
  } catch (err) {
    await down();
    throw err;
  }
  say(`karmada control plane ready at ${controlPlane.server}`);
  return { controlPlane, processes, commandLines, budget, dir: o.dir, kubectl: k8s.kubectl, client, startComponent, down };
}

/** Creates the object unless it exists already. */
export async function ensure(c: KubeClient, collection: string, body: Record<string, unknown>): Promise<void> {
  try {
    await c.request('POST', collection, { body });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
  }
}

/** Waits for a 200 from a component's health endpoint; its exit ends the wait with its log. */
export async function healthy(p: Supervised, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!p.running()) throw new HarnessError(`${p.name} exited during start; last lines of ${p.logPath}:\n${logTail(p.logPath, 20)}`);
    try {
      const status = await get(url);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new HarnessError(`${p.name} not healthy after ${timeoutMs / 1000}s (${last}); last lines of ${p.logPath}:\n${logTail(p.logPath, 20)}`);
}

function get(url: string): Promise<number> {
  if (url.startsWith('http:')) return fetch(url, { signal: AbortSignal.timeout(5_000) }).then(async (r) => (await r.arrayBuffer(), r.status));
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
