// `npm run demo`: the seed's Figure 1, live. Two local clusters (on-prem and EKS stand-ins),
// the stars example deployed across them, shown with kubectl. `--keep` leaves them up.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_PLANE, ensureComponents } from '../harness/src/components.ts';
import { startClusterSet } from '../harness/src/clusterset.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample, starsConfigYaml } from '../harness/src/examples/stars.ts';

const keep = process.argv.includes('--keep');
const say = (s: string) => process.stdout.write(`${s}\n`);
const bins = await ensureComponents(CONTROL_PLANE, { onProgress: (l) => process.stderr.write(`${l}\n`) });

say('== starting two local clusters: onprem1 and eks1 (etcd + kube-apiserver + kube-controller-manager each)');
const set = await startClusterSet({ names: ['onprem1', 'eks1'] });
try {
  const [onprem, eks] = [set.get('onprem1'), set.get('eks1')];
  await deployExample(onprem, ON_PREM_SERVICES);
  await deployExample(eks, EKS_SERVICES);
  const configPath = join(set.dir, 'stars.yaml');
  writeFileSync(configPath, starsConfigYaml(onprem, eks));
  for (const c of [onprem, eks]) {
    say(`\n== cluster ${c.name} (pods ${c.podCidr}, services ${c.serviceCidr})`);
    const out = spawnSync(bins.kubectl, ['--kubeconfig', c.kubeconfigPath, 'get', 'services,endpointslices', '-A', '-l', 'app=stars-demo'], { encoding: 'utf8' });
    say(out.stdout.trimEnd() || out.stderr.trimEnd());
    const slices = spawnSync(bins.kubectl, ['--kubeconfig', c.kubeconfigPath, 'get', 'endpointslices', '-A', '-o', 'wide'], { encoding: 'utf8' });
    say(slices.stdout.trimEnd());
  }
  say(`\nconfig for these clusters: ${configPath}`);
  if (keep) {
    say(`clusters stay up; kubeconfigs in ${set.dir}. Ctrl-C to stop.`);
    await new Promise<never>(() => {});
  }
} finally {
  if (!keep) await set.down();
}
