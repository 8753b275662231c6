// `node harness/src/karmada/prove.ts [push|pull]`: the smallest end-to-end proof that the
// harness's Karmada works. Clusters a and b, Karmada's control plane, both joined in push mode
// (the default) or in pull mode (a karmada-agent each); a Service with two pods in a, exported by
// a MultiClusterService of type CrossCluster to consumer b; passes once b holds Karmada's
// EndpointSlices with a's pod IPs. Prints the timings and the command lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterSet } from '../controlplane/clusterset.ts';
import { Pods } from '../workload/pods.ts';
import { waitFor } from '../util/wait.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import { startKarmada } from './controlplane.ts';
import { joinPull, joinPush } from './join.ts';
import { DISPATCHED_SLICES, exportCrossCluster } from './mcs.ts';

const say = (s: string) => process.stderr.write(`${s}\n`);
const NS = 'proof';
const mode = process.argv[2] ?? 'push';

async function main(): Promise<void> {
  if (mode !== 'push' && mode !== 'pull') throw new Error(`mode is push or pull, not ${mode}`);
  const joinMember = mode === 'push' ? joinPush : joinPull;
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'mcsync-karmada-'));
  const set = await startClusterSet({ names: ['a', 'b'], onProgress: say });
  let karmada: Awaited<ReturnType<typeof startKarmada>> | undefined;
  try {
    karmada = await startKarmada({ dir, onProgress: say });
    const tUp = performance.now();
    for (const c of set.clusters) await joinMember(karmada, c);
    const tJoined = performance.now();
    const k = karmada.client();
    const syncModes = await k.list<{ metadata: { name: string }; spec: { syncMode: string } }>('/apis/cluster.karmada.io/v1alpha1/clusters')
      .then((l) => Object.fromEntries(l.items.map((c) => [c.metadata.name, c.spec.syncMode])))
      .finally(() => k.close());
    const [a, b] = set.clusters;
    const pods = new Pods(a!);
    await pods.ensureNamespace(NS);
    await pods.ensureNode();
    await pods.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } } });
    const ips = new Set<string>();
    for (const name of ['web-0', 'web-1']) {
      const p = await pods.create({ namespace: NS, name, labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] });
      ips.add(p.status!.podIP!);
    }
    const tExport = performance.now();
    await exportCrossCluster(karmada, NS, [{ name: 'web', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }], a!.name, [b!.name]);
    const consumer = KubeClient.fromFile(b!.name, b!.kubeconfigPath);
    try {
      const slices = await waitFor(async () => {
        const list = await consumer.list<{ metadata: { name: string }; endpoints?: { addresses: string[] }[] }>(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: DISPATCHED_SLICES });
        const seen = new Set(list.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses)));
        return [...ips].every((ip) => seen.has(ip)) ? list.items : undefined;
      }, { what: `EndpointSlices in ${b!.name}/${NS} holding ${[...ips].join(', ')}`, timeoutMs: 180_000, intervalMs: 250 });
      const svc = await consumer.request<{ spec: { clusterIP?: string } }>('GET', `/api/v1/namespaces/${NS}/services/web`);
      say(`proof: ${b!.name} holds ${slices.map((s) => `${s.metadata.name} [${(s.endpoints ?? []).flatMap((e) => e.addresses).join(', ')}]`).join('; ')} and Service web (clusterIP ${svc.spec.clusterIP})`);
    } finally {
      consumer.close();
    }
    const tDone = performance.now();
    const s = (x: number, y: number) => ((y - x) / 1000).toFixed(1);
    process.stdout.write(`${JSON.stringify({
      ok: true, mode, syncModes, karmadaUpSeconds: s(t0, tUp), joinSeconds: s(tUp, tJoined), exportToConsumerSlicesSeconds: s(tExport, tDone),
      commandLines: karmada.commandLines,
    }, null, 2)}\n`);
  } finally {
    await karmada?.down();
    await set.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  say(`karmada proof failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
