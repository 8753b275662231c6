// Certificates and keys for one harness cluster, made with the openssl CLI (ECDSA P-256: fast
// to generate, accepted by every component). Each cluster gets its own CA, as real ones do.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';

export interface ClusterPki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  schedulerCert: string;
  schedulerKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new HarnessError('openssl is needed to make cluster certificates; install it (apt-get install openssl)');
    throw new HarnessError(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
}

function newKey(dir: string, name: string): string {
  const path = join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path], dir);
  return path;
}

function signedCert(dir: string, name: string, subject: string, ext: string[]): { cert: string; key: string } {
  const key = newKey(dir, name);
  const cert = join(dir, `${name}.crt`);
  const args = ['req', '-new', '-x509', '-key', key, '-out', cert, '-days', '3650', '-subj', subject];
  args.push('-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'));
  for (const e of ext) args.push('-addext', e);
  openssl(args, dir);
  return { cert, key };
}

/** `hosts` are the names and IPs clients use to reach the apiserver. */
export function createClusterPki(dir: string, clusterName: string, hosts: string[]): ClusterPki {
  const caKey = newKey(dir, 'ca');
  const caCert = join(dir, 'ca.crt');
  openssl(
    ['req', '-new', '-x509', '-key', caKey, '-out', caCert, '-days', '3650', '-subj', `/CN=mcsync-harness-ca-${clusterName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const san = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', ...hosts]
    .map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`));
  const leaf = (usage: string) => ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${usage}`];
  const serving = signedCert(dir, 'apiserver', '/CN=kube-apiserver', [...leaf('serverAuth'), `subjectAltName=${[...new Set(san)].join(',')}`]);
  const admin = signedCert(dir, 'admin', '/O=system:masters/CN=mcsync-harness-admin', leaf('clientAuth'));
  const kcm = signedCert(dir, 'controller-manager', '/CN=system:kube-controller-manager', leaf('clientAuth'));
  // The identity the bootstrap RBAC roles of kube-scheduler name (used by clusters that run pods).
  const scheduler = signedCert(dir, 'scheduler', '/CN=system:kube-scheduler', leaf('clientAuth'));
  const serviceAccountKey = newKey(dir, 'service-account');
  const serviceAccountPub = join(dir, 'service-account.pub');
  openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub], dir);
  return {
    caCert, caKey,
    servingCert: serving.cert, servingKey: serving.key,
    adminCert: admin.cert, adminKey: admin.key,
    controllerManagerCert: kcm.cert, controllerManagerKey: kcm.key,
    schedulerCert: scheduler.cert, schedulerKey: scheduler.key,
    serviceAccountKey, serviceAccountPub,
  };
}

