// Connects to every configured cluster and proves each is reachable and answers as Kubernetes
// before anything is read or written. A failure names the config file, line and field of that
// cluster's kubeconfig, never a credential.
import { ConfigError, type ConfigIssue } from '../config/load.ts';
import type { Config, ClusterConfig } from '../config/types.ts';
import { KubeApiError, KubeClient, KubeConnectionError } from '../kube/client.ts';

export interface Connected {
  config: ClusterConfig;
  client: KubeClient;
  version: string;
}

function describe(err: unknown): string {
  if (err instanceof KubeConnectionError) return err.message;
  if (err instanceof KubeApiError) {
    if (err.status === 401) return 'the apiserver rejected the credentials (401 Unauthorized): expired or wrong token or certificate';
    if (err.status === 403) return 'the credentials are valid but may not read /version (403 Forbidden)';
    return err.message;
  }
  return (err as Error).message.split('\n')[0] ?? String(err);
}

export async function connectAll(config: Config, opts: { timeoutMs?: number; maxSockets?: number } = {}): Promise<Map<string, Connected>> {
  const { connected, issues } = await connectEach(config, opts);
  if (issues.length > 0) {
    for (const c of connected.values()) c.client.close();
    throw new ConfigError(issues);
  }
  return connected;
}

/** For read-only views (status): what can be reached, and why the rest cannot. */
export async function connectAvailable(config: Config, opts: { timeoutMs?: number; maxSockets?: number } = {}): Promise<{ connected: Map<string, Connected>; issues: ConfigIssue[] }> {
  return connectEach(config, opts);
}

async function connectEach(config: Config, opts: { timeoutMs?: number; maxSockets?: number }): Promise<{ connected: Map<string, Connected>; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const connected = new Map<string, Connected>();
  await Promise.all(config.clusters.map(async (c) => {
    let client: KubeClient;
    try {
      const clientOpts = { maxSockets: opts.maxSockets ?? Math.max(8, config.concurrency * 2) };
      client = c.inCluster ? KubeClient.inCluster(c.name, clientOpts) : KubeClient.fromFile(c.name, c.kubeconfig, c.context, clientOpts);
    } catch (err) {
      const what = c.inCluster ? 'the in-cluster ServiceAccount (no kubeconfig given)' : `kubeconfig ${c.kubeconfig}`;
      issues.push({ ...c.kubeconfigPos, message: `cluster ${c.name}: cannot use ${what}: ${describe(err)}` });
      return;
    }
    try {
      const v = await client.request<{ gitVersion: string }>('GET', '/version', { timeoutMs: opts.timeoutMs ?? 10_000 });
      connected.set(c.name, { config: c, client, version: v.gitVersion });
    } catch (err) {
      client.close();
      issues.push({ ...c.kubeconfigPos, message: `cluster ${c.name} cannot be reached at ${client.server}: ${describe(err)}` });
    }
  }));
  issues.sort((a, b) => a.line - b.line);
  return { connected, issues };
}

export function closeAll(clusters: Map<string, Connected>): void {
  for (const c of clusters.values()) c.client.close();
}
