// `npm run demo -- --dataplane`: the stars example on a real flat network built on this machine
// (root only): two clusters, each with a node running kube-proxy and a CoreDNS pod, a router
// between them, no NAT, and every pod a real process. mcsync replicates the services; then pods
// call each other by name and print what DNS answered and the source address the callee saw.
// Everything is torn down at the end.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { dataPlaneUnsupported } from '../harness/src/dataplane/command.ts';
import { startDataPlane, type Attempt, type RealPod } from '../harness/src/dataplane/dataplane.ts';
import { EKS_SERVICES, ON_PREM_SERVICES, deployExample, type ExamplePod, starsConfigYaml } from '../harness/src/workload/examples/stars.ts';
import { waitFor } from '../harness/src/util/wait.ts';

const say = (s: string) => process.stdout.write(`${s}\n`);
const mcsyncMain = new URL('../src/cli/main.ts', import.meta.url).pathname;

const unsupported = dataPlaneUnsupported();
if (unsupported) {
  process.stderr.write(`demo --dataplane cannot run here: ${unsupported}\n`);
  process.exit(1);
}

function mcsync(args: string[]): Promise<void> {
  say(`\n$ mcsync ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mcsyncMain, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mcsync ${args[0]} exited ${code}`))));
  });
}

say('== building a flat network of network namespaces: a router, one node per cluster, one namespace per pod');
const dp = await startDataPlane({ names: ['onprem1', 'eks1'], proxyMode: 'nftables', onProgress: (l) => say(`   ${l}`) });
const pods = new Map<string, RealPod>();
try {
  for (const name of ['onprem1', 'eks1']) {
    const c = dp.cluster(name);
    const node = dp.network.node(name);
    say(`   ${name}: node ${node.address}, pods ${c.podCidr} (routed to the node by the router), services ${c.serviceCidr}, DNS ${dp.dnsIp(name)}, apiserver ${c.server}`);
  }
  say('== deploying the stars example; every pod is a process that answers with the address it saw its caller come from');
  const start = (cluster: string) => async (p: ExamplePod) => {
    const pod = await dp.runPod(cluster, { namespace: p.namespace, name: p.name, labels: p.labels, ports: [p.containerPort.containerPort] });
    pods.set(p.name, pod);
    say(`   ${cluster.padEnd(8)} ${`${p.namespace}/${p.name}`.padEnd(30)} ${pod.ip}`);
  };
  await deployExample(dp.cluster('onprem1'), ON_PREM_SERVICES, start('onprem1'));
  await deployExample(dp.cluster('eks1'), EKS_SERVICES, start('eks1'));
  await new Promise((r) => setTimeout(r, 1500)); // the controller-managers publish the source EndpointSlices

  const configPath = join(dp.set.dir, 'stars.yaml');
  writeFileSync(configPath, starsConfigYaml(dp.cluster('onprem1'), dp.cluster('eks1')));
  await mcsync(['sync', '--config', configPath]);
  // kube-proxy applies changes at most once a second: let it program the new replicas first, so
  // the round trips below are the network's and not that first second's.
  await new Promise((r) => setTimeout(r, 2000));

  const call = async (from: string, host: string, port: number, count = 3): Promise<void> => {
    const pod = pods.get(from)!;
    const answer = await dp.lookup(pod, host);
    say(`\n${pod.cluster}/${from} (${pod.ip}) resolves ${host}: ${answer.addresses.join(', ') || answer.error} (from ${pod.cluster}'s CoreDNS)`);
    const attempts = await waitFor(async () => {
      const got = await dp.get(pod, host, port, count);
      return got.every((a) => a.reply) ? got : undefined;
    }, { what: `${from} to reach ${host}:${port}`, timeoutMs: 30_000 });
    for (const a of attempts) say(`   ${describe(a, pod)}`);
  };

  say('\n== the EKS side calls the on-prem services by name');
  await call('client-0', 'frontend.stars', 80);
  await call('management-ui-0', 'backend.stars', 6379);
  say('\n== and the on-prem side calls the EKS services');
  await call('frontend-0', 'management-ui.management-ui', 80, 2);

  say('\n== `mcsync run` follows a rescheduled pod: frontend-1 goes away, frontend-2 comes up with a new IP');
  const run = spawn(process.execPath, [mcsyncMain, 'run', '--config', configPath, '--listen', '127.0.0.1:0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    await dp.stopPod(pods.get('frontend-1')!);
    await start('onprem1')({ namespace: 'stars', name: 'frontend-2', labels: { role: 'frontend' }, containerPort: { name: 'http', containerPort: 80 } });
    const began = Date.now();
    await waitFor(async () => {
      const got = await dp.get(pods.get('client-0')!, 'frontend.stars', 80, 10);
      const seen = new Set(got.map((a) => a.reply?.pod));
      return got.every((a) => a.reply) && seen.has('frontend-2') && !seen.has('frontend-1') ? true : undefined;
    }, { what: 'connections to reach frontend-2 only', timeoutMs: 30_000, intervalMs: 100 });
    say(`   within ${Date.now() - began} ms every call from eks1 lands on live pods:`);
    await call('client-0', 'frontend.stars', 80, 4);
  } finally {
    run.kill('SIGTERM');
    await new Promise((r) => run.once('exit', r));
  }
} finally {
  await dp.down();
  say('\n== torn down: processes, clusters, namespaces, veths and routes are gone');
}

function describe(a: Attempt, from: RealPod): string {
  const r = a.reply!;
  const verdict = r.client === from.ip ? 'its own pod IP: no NAT' : 'TRANSLATED';
  return `via ${a.address} -> ${r.cluster}/${r.pod} (${r.ip}:${r.port}) in ${a.ms} ms; it saw the caller as ${r.client}, ${verdict}`;
}
