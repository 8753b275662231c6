// `npm run demo`: the seed's Figure 1, live. Two local clusters stand in for the on-premises and
// EKS clusters, the stars example is deployed across them, `mcsync sync` replicates each side's
// services into the other, and `mcsync status` and kubectl show the replicas. `--keep` leaves
// the clusters up (Ctrl-C stops them).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_PLANE, ensureComponents } from '../harness/src/controlplane/components.ts';
import { startClusterSet } from '../harness/src/controlplane/clusterset.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample, starsConfigYaml } from '../harness/src/workload/examples/stars.ts';
import { Pods } from '../harness/src/workload/pods.ts';
import { waitFor } from '../harness/src/util/wait.ts';

const keep = process.argv.includes('--keep');
const say = (s: string) => process.stdout.write(`${s}\n`);
const mcsyncMain = new URL('../src/cli/main.ts', import.meta.url).pathname;
const bins = await ensureComponents(CONTROL_PLANE, { onProgress: (l) => process.stderr.write(`${l}\n`) });

function mcsync(args: string[]): void {
  say(`\n$ mcsync ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [mcsyncMain, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  say(r.stdout.trimEnd());
  if (r.status !== 0) throw new Error(`mcsync ${args[0]} exited ${r.status}`);
}

function kubectl(cluster: { name: string; kubeconfigPath: string }, args: string[]): void {
  say(`\n$ kubectl --context ${cluster.name} ${args.join(' ')}`);
  const r = spawnSync(bins.kubectl, ['--kubeconfig', cluster.kubeconfigPath, ...args], { encoding: 'utf8' });
  say((r.stdout || r.stderr).trimEnd());
}

say('== starting two local clusters: onprem1 (onPremCluster1) and eks1 (eksCluster1)');
const set = await startClusterSet({ names: ['onprem1', 'eks1'] });
try {
  const [onprem, eks] = [set.get('onprem1'), set.get('eks1')];
  say(`   onprem1: pods ${onprem.podCidr}, services ${onprem.serviceCidr}`);
  say(`   eks1:    pods ${eks.podCidr}, services ${eks.serviceCidr}`);
  say('== deploying the stars example: stars/{backend,frontend} on-prem, management-ui and client on EKS');
  await deployExample(onprem, ON_PREM_SERVICES);
  await deployExample(eks, EKS_SERVICES);
  // The controller-managers publish the source EndpointSlices asynchronously.
  for (const [c, n] of [[onprem, 4], [eks, 2]] as const) {
    const core = new Pods(c).core;
    await waitFor(async () => {
      const pods = await core.listPodForAllNamespaces();
      return pods.items.filter((p) => p.status?.podIP).length === n;
    }, { what: `pods in ${c.name}` });
  }
  await new Promise((r) => setTimeout(r, 1000));
  const configPath = join(set.dir, 'stars.yaml');
  writeFileSync(configPath, starsConfigYaml(onprem, eks));
  say(`== the seed's config (${configPath}):\n${starsConfigYaml(onprem, eks).replace(/^/gm, '   ')}`);
  mcsync(['sync', '--config', configPath]);
  mcsync(['status', '--config', configPath]);
  mcsync(['doctor', '--config', configPath]);
  kubectl(eks, ['get', 'services,endpointslices', '-n', 'stars', '-o', 'wide']);
  kubectl(onprem, ['get', 'services,endpointslices', '-n', 'management-ui', '-o', 'wide']);
  say('\nThe replicas in each cluster are selectorless Services whose EndpointSlices hold the other cluster\'s pod IPs.');

  say('\n== controller mode: `mcsync run` keeps the replicas current while pods change');
  const run = spawn(process.execPath, [mcsyncMain, 'run', '--config', configPath, '--listen', '127.0.0.1:0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let runLog = '';
  run.stderr.on('data', (d: Buffer) => (runLog += d.toString()));
  const replicaIps = async () => {
    const r = spawnSync(bins.kubectl, ['--kubeconfig', eks.kubeconfigPath, 'get', 'endpointslices', '-n', 'stars', '-l', 'kubernetes.io/service-name=backend',
      '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}'], { encoding: 'utf8' });
    return r.stdout.trim().split(/\s+/).filter(Boolean).sort();
  };
  try {
    await waitFor(async () => /caches synced; reconciling/.test(runLog), { what: 'mcsync run to sync its caches' });
    say(`   backend endpoints in eks1 now:   ${(await replicaIps()).join(', ')}`);
    const moved = await new Pods(onprem).changeIp('stars', 'backend-1');
    say(`   backend-1 rescheduled in onprem1 with IP ${moved.status!.podIP}`);
    const after = await waitFor(async () => {
      const ips = await replicaIps();
      return ips.includes(moved.status!.podIP!) ? ips : undefined;
    }, { what: 'the new IP in eks1' });
    say(`   backend endpoints in eks1 after: ${after.join(', ')}  (no second sync needed)`);
  } finally {
    run.kill('SIGTERM');
    await new Promise((r) => run.once('exit', r));
  }
  if (keep) {
    say(`Clusters stay up; kubeconfigs and stars.yaml in ${set.dir}. Ctrl-C to stop.`);
    await new Promise<never>(() => {});
  }
} finally {
  if (!keep) await set.down();
}
