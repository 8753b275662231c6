// `npm run clusters -- up --names a,b,c --dir DIR` / `npm run clusters -- down --dir DIR`:
// real local clusters for people, with the same code the tests use.
import { Command } from 'commander';
import { buildDir, ensureComponents, CONTROL_PLANE, DATA_PLANE, POD_LIFECYCLE } from './controlplane/components.ts';
import { HarnessError } from './util/errors.ts';
import { downDir, startClusterSet, type ClusterSet } from './controlplane/clusterset.ts';
import { dataPlaneUnsupported } from './dataplane/command.ts';
import { startDataPlane } from './dataplane/dataplane.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<void> {
  const program = new Command('clusters')
    .description('Start and stop real local Kubernetes control planes for mcsync (etcd, kube-apiserver, kube-controller-manager)')
    .showHelpAfterError();

  program.command('up')
    .description('start clusters and keep them up until Ctrl-C or `down`')
    .requiredOption('--names <list>', 'comma-separated cluster names, e.g. a,b,c')
    .requiredOption('--dir <dir>', 'directory for the kubeconfigs (<name>.kubeconfig) and cluster state')
    .option('--pods', 'also run kube-scheduler and kwok (one fake Node per cluster), so Deployments get Running pods')
    .option('--mcs-crds', 'apply the Multi-Cluster Services CRDs (ServiceExport, ServiceImport) to every cluster')
    .option('--data-plane', 'as root: a real data plane (flat network, kube-proxy, CoreDNS) whose pods run their commands as processes, with `kubectl exec` (docs/harness.md)')
    .option('--port-base <port>', 'use fixed ports from here upwards (4 per cluster, 6 with --pods) instead of free ones', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1024 || n > 65000) throw new HarnessError(`--port-base must be a port number from 1024 to 65000, not "${v}"`);
      return n;
    })
    .action(async (o: { names: string; dir: string; portBase?: number; pods?: boolean; mcsCrds?: boolean; dataPlane?: boolean }) => {
      const names = o.names.split(',').map((s) => s.trim()).filter(Boolean);
      const started = Date.now();
      let set: ClusterSet;
      if (o.dataPlane) {
        const why = dataPlaneUnsupported();
        if (why) throw new HarnessError(`--data-plane: ${why}`);
        if (o.portBase !== undefined) throw new HarnessError('--data-plane picks its own ports on its own network; leave out --port-base');
        set = (await startDataPlane({ names, dir: o.dir, mcs: o.mcsCrds, pods: true, onProgress: say })).set;
      } else {
        set = await startClusterSet({ names, dir: o.dir, portBase: o.portBase, pods: o.pods, mcsCrds: o.mcsCrds, onProgress: say });
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const lines = [`${names.length} cluster(s) up in ${secs}s:`];
      for (const c of set.running) {
        lines.push(`  ${c.name.padEnd(12)} ${c.server}  pods ${c.podCidr}  services ${c.serviceCidr}`);
        lines.push(`  ${''.padEnd(12)} kubectl --kubeconfig ${c.kubeconfigPath} get ns`);
      }
      lines.push(`Logs: ${set.dir}/.mcsync-harness/<name>/logs/. Stop with Ctrl-C or: npm run clusters -- down --dir ${set.dir}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      await new Promise<never>(() => {}); // the signal handlers tear down and exit
    });

  program.command('down')
    .description('stop the clusters started with `up --dir DIR` and remove their files')
    .requiredOption('--dir <dir>', 'the directory given to `up`')
    .action(async (o: { dir: string }) => {
      await downDir(o.dir, (l) => process.stdout.write(`${l}\n`));
    });

  program.command('build')
    .description('build (or find) the Kubernetes components now, so a later `up` starts at once')
    .option('--data-plane', 'also kube-proxy, CoreDNS and kube-network-policies')
    .option('--with-helm', 'also helm (the chart tests render with it)')
    .option('--pods', 'also kube-scheduler and kwok (for `up --pods`)')
    .action(async (o: { dataPlane?: boolean; withHelm?: boolean; pods?: boolean }) => {
      const wanted = [...CONTROL_PLANE, ...(o.dataPlane ? DATA_PLANE : []), ...(o.withHelm ? (['helm'] as const) : []), ...(o.pods ? POD_LIFECYCLE : [])];
      const bins = await ensureComponents(wanted, { onProgress: say });
      for (const [name, path] of Object.entries(bins)) process.stdout.write(`${name.padEnd(24)} ${path}\n`);
      process.stdout.write(`build cache: ${buildDir()}\n`);
    });

  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof HarnessError) say(`error: ${err.message}`);
  else say(`error: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
