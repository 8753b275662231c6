// Starts a node's exec server (build.ts, exec-server/main.go) in the node's namespace on the
// kubelet port of the node's own address, where the apiserver sends `pods/exec`. It serves TLS
// with a certificate from the cluster's CA and accepts only clients that CA signed (the
// apiserver's kubelet client certificate).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningCluster } from '../../controlplane/cluster.ts';
import { HarnessError } from '../../util/errors.ts';
import { startProcess, type Supervised } from '../../util/process.ts';
import type { NodeNetns } from '../network.ts';
import { waitLogged } from '../wait-up.ts';

/** The kubelet's usual port; each node has an address of its own, so every node uses it. */
export const KUBELET_PORT = 10250;

function servingCert(cluster: RunningCluster, address: string): { cert: string; key: string } {
  const dir = join(cluster.dir, 'pki');
  const key = join(dir, 'exec-server.key');
  const cert = join(dir, 'exec-server.crt');
  try {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('openssl', [
      'req', '-new', '-x509', '-key', key, '-out', cert, '-days', '3650', '-subj', `/CN=${cluster.name}-node-0`,
      '-CA', cluster.pki.caCert, '-CAkey', cluster.pki.caKey,
      '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth', '-addext', `subjectAltName=IP:${address}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new HarnessError(`making the exec server's certificate failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)}`);
  }
  return { cert, key };
}

export async function startExecServer(cluster: RunningCluster, node: NodeNetns, binary: string, podsDir: string): Promise<Supervised> {
  mkdirSync(podsDir, { recursive: true });
  const { cert, key } = servingCert(cluster, node.address);
  const proc = startProcess(`${cluster.name}/exec-server`, 'ip', [
    'netns', 'exec', node.ns, binary,
    '--listen', `${node.address}:${KUBELET_PORT}`, '--tls-cert', cert, '--tls-key', key,
    '--client-ca', cluster.pki.caCert, '--pods-dir', podsDir,
  ], join(cluster.dir, 'logs', 'exec-server.log'));
  await waitLogged(proc, 'serving exec', 20_000);
  return proc;
}
