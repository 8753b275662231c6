// A config whose clusters nobody listens for (a loopback port that refuses), for tests of how
// the CLI behaves when nothing answers. Named *.test-util.ts so node --test does not run it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a kubeconfig and a config naming `clusters` into `dir`; returns the config's path. */
export function unreachableConfig(dir: string, clusters: readonly string[]): string {
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n'));
  const config = join(dir, 'mcsync.yaml');
  writeFileSync(config, ['clusters:', ...clusters.flatMap((n) => [`- name: ${n}`, '  kubeconfig: kubeconfig'])].join('\n') + '\n');
  return config;
}
