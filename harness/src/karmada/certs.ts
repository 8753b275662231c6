// The certificates Karmada's control plane needs beyond a harness cluster's own: the
// aggregation layer's front proxy (its own CA and the client cert kube-apiserver presents to
// aggregated apiservers), and loopback serving certs for karmada-webhook and
// karmada-aggregated-apiserver, signed by the cluster's CA so the apiserver can verify them.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new HarnessError(`openssl ${args[0]} failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)}`);
  }
}

function key(path: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  return path;
}

export interface Pair {
  cert: string;
  key: string;
}

function ca(dir: string, name: string, cn: string): Pair {
  const k = key(join(dir, `${name}.key`));
  const cert = join(dir, `${name}.crt`);
  openssl(['req', '-new', '-x509', '-key', k, '-out', cert, '-days', '3650', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key: k };
}

function leaf(dir: string, name: string, issuer: Pair, cn: string, usage: 'serverAuth' | 'clientAuth', sans: string[] = []): Pair {
  // name is the files' base name (tls.crt / tls.key is what karmada-webhook's --cert-dir reads).
  const k = key(join(dir, `${name}.key`));
  const cert = join(dir, `${name}.crt`);
  const args = ['req', '-new', '-x509', '-key', k, '-out', cert, '-days', '3650', '-subj', `/CN=${cn}`, '-CA', issuer.cert, '-CAkey', issuer.key,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment', '-addext', `extendedKeyUsage=${usage}`];
  if (sans.length > 0) args.push('-addext', `subjectAltName=${sans.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`);
  openssl(args);
  return { cert, key: k };
}

export interface FrontProxyPki {
  ca: Pair;
  client: Pair;
}

/** The aggregation layer's CA and the `front-proxy-client` cert the apiserver proxies with. */
export function createFrontProxyPki(dir: string): FrontProxyPki {
  mkdirSync(dir, { recursive: true });
  const fpCa = ca(dir, 'front-proxy-ca', 'front-proxy-ca');
  return { ca: fpCa, client: leaf(dir, 'front-proxy-client', fpCa, 'front-proxy-client', 'clientAuth') };
}

/** kube-apiserver flags that turn on the aggregation layer with these certs. */
export function frontProxyFlags(pki: FrontProxyPki): string[] {
  return [
    '--proxy-client-cert-file', pki.client.cert, '--proxy-client-key-file', pki.client.key,
    '--requestheader-client-ca-file', pki.ca.cert, '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
  ];
}

/** dir/tls.crt and dir/tls.key: a loopback serving cert for a component the apiserver calls (webhook, aggregated apiserver). */
export function servingPair(dir: string, cn: string, clusterCa: Pair, names: string[] = []): Pair {
  mkdirSync(dir, { recursive: true });
  return leaf(dir, 'tls', clusterCa, cn, 'serverAuth', ['localhost', '127.0.0.1', ...names]);
}
