// Joins a member cluster to Karmada.
// - Push (`joinPush`), the way `karmadactl join` does it: a ServiceAccount with cluster-admin in
//   the member, its bearer token (Karmada takes no client certificates) and the member's CA in a
//   Secret in karmada-cluster, and a Cluster object naming both.
// - Pull (`joinPull`), the way `karmadactl register` ends up: a karmada-agent for the member,
//   which creates that ServiceAccount, reports its token and creates the Cluster itself with
//   syncMode Pull, then applies the member's Works and collects its EndpointSlices.
// Both return once Karmada reports the cluster Ready.
import type { ClusterInfo } from '../controlplane/cluster.ts';
import { freePorts } from '../util/ports.ts';
import { waitFor } from '../util/wait.ts';
import { readFileSync } from 'node:fs';
import { KubeClient } from '../../../src/kube/client.ts';
import { agentArgs } from './agent.ts';
import { ensureKarmada } from './binaries.ts';
import { ensure, healthy, type RunningKarmada } from './controlplane.ts';

const NS = 'karmada-cluster';

export async function joinPush(karmada: RunningKarmada, member: ClusterInfo): Promise<void> {
  const m = KubeClient.fromFile(member.name, member.kubeconfigPath);
  const sa = `karmada-${member.name}`;
  let token: string;
  try {
    await ensure(m, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await ensure(m, `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: NS } });
    await ensure(m, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: sa },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: NS }],
    });
    await ensure(m, `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: sa, namespace: NS, annotations: { 'kubernetes.io/service-account.name': sa } },
    });
    token = await waitFor(async () => {
      const s = await m.request<{ data?: { token?: string } }>('GET', `/api/v1/namespaces/${NS}/secrets/${sa}`);
      return s.data?.token ? Buffer.from(s.data.token, 'base64').toString() : undefined;
    }, { what: `the token of ${member.name}/${NS}/${sa}`, timeoutMs: 60_000, intervalMs: 250 });
  } finally {
    m.close();
  }
  const k = karmada.client();
  try {
    await ensure(k, `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: member.name, namespace: NS },
      data: { token: Buffer.from(token).toString('base64'), caBundle: readFileSync(member.caCertPath).toString('base64') },
    });
    await ensure(k, '/apis/cluster.karmada.io/v1alpha1/clusters', {
      apiVersion: 'cluster.karmada.io/v1alpha1', kind: 'Cluster', metadata: { name: member.name },
      spec: { syncMode: 'Push', apiEndpoint: member.server, secretRef: { namespace: NS, name: member.name } },
    });
    await clusterReady(k, member.name);
  } finally {
    k.close();
  }
}

/**
 * Starts a karmada-agent for the member. It is handed karmada-apiserver's admin kubeconfig, where
 * `karmadactl register` would bootstrap a client certificate with the agent's own RBAC, and the
 * member's admin kubeconfig, where an in-cluster agent would use its ServiceAccount.
 */
export async function joinPull(karmada: RunningKarmada, member: ClusterInfo): Promise<void> {
  const { 'karmada-agent': bin } = await ensureKarmada(['karmada-agent']);
  const [metricsPort, healthPort] = await freePorts(2);
  const agent = karmada.startComponent('karmada-agent', bin, agentArgs({
    karmadaKubeconfig: karmada.controlPlane.kubeconfigPath, memberKubeconfig: member.kubeconfigPath,
    clusterName: member.name, apiEndpoint: member.server, budget: karmada.budget, metricsPort: metricsPort!, healthPort: healthPort!,
  }), member.name);
  await healthy(agent, `http://127.0.0.1:${healthPort}/healthz`);
  const k = karmada.client();
  try {
    await waitFor(async () => {
      const c = await k.request<{ spec?: { syncMode?: string } }>('GET', `/apis/cluster.karmada.io/v1alpha1/clusters/${member.name}`);
      if (c.spec?.syncMode !== undefined && c.spec.syncMode !== 'Pull') throw new Error(`cluster ${member.name} has syncMode ${c.spec.syncMode}`);
      return c.spec?.syncMode === 'Pull';
    }, { what: `karmada-agent to register cluster ${member.name} in pull mode`, timeoutMs: 120_000, intervalMs: 500 });
    await clusterReady(k, member.name);
  } finally {
    k.close();
  }
}

async function clusterReady(k: KubeClient, name: string): Promise<void> {
  await waitFor(async () => {
    const c = await k.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/apis/cluster.karmada.io/v1alpha1/clusters/${name}`);
    return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
  }, { what: `Karmada to report cluster ${name} Ready`, timeoutMs: 120_000, intervalMs: 500 });
}
