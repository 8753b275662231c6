// Kubeconfigs the harness writes: one cluster, one user, one context named after the cluster,
// certificates embedded. Every string is quoted (yaml-text.ts says why): a cluster named `y`
// must stay the string "y" for kube-controller-manager, kubectl and client-node alike.
import { readFileSync, writeFileSync } from 'node:fs';
import { HarnessError } from '../util/errors.ts';
import { yamlString } from '../util/yaml-text.ts';

export interface KubeconfigUser {
  name: string;
  certFile?: string;
  keyFile?: string;
  token?: string;
}

/**
 * The apiserver URL as written. It is left plain when it is the https URL the harness builds
 * (scheme, host, port: no YAML schema reads that as anything but a string), because tests
 * point a copy at a dead port by rewriting `server: https://…` in the text; anything else is
 * quoted like every other string.
 */
function serverScalar(server: string): string {
  return /^https:\/\/[A-Za-z0-9.\-[\]:]+:\d+$/.test(server) ? server : yamlString(server);
}

/** The kubeconfig's text; see writeKubeconfig. */
export function kubeconfigText(clusterName: string, server: string, caCertFile: string, user: KubeconfigUser): string {
  const b64 = (f: string) => yamlString(readFileSync(f).toString('base64'));
  let userLines: string[];
  if (user.token !== undefined) userLines = [`    token: ${yamlString(user.token)}`];
  else if (user.certFile !== undefined && user.keyFile !== undefined) {
    userLines = [`    client-certificate-data: ${b64(user.certFile)}`, `    client-key-data: ${b64(user.keyFile)}`];
  } else throw new HarnessError(`kubeconfig user ${user.name} needs a token or a certificate and key`);
  const cluster = yamlString(clusterName);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${cluster}`,
    '  cluster:',
    `    server: ${serverScalar(server)}`,
    `    certificate-authority-data: ${b64(caCertFile)}`,
    'users:',
    `- name: ${yamlString(user.name)}`,
    '  user:',
    ...userLines,
    'contexts:',
    `- name: ${cluster}`,
    '  context:',
    `    cluster: ${cluster}`,
    `    user: ${yamlString(user.name)}`,
    `current-context: ${cluster}`,
    '',
  ].join('\n');
}

/** A self-contained kubeconfig (certificates embedded), one context named after the cluster. */
export function writeKubeconfig(path: string, clusterName: string, server: string, caCertFile: string, user: KubeconfigUser): void {
  writeFileSync(path, kubeconfigText(clusterName, server, caCertFile, user), { mode: 0o600 });
}
