// karmada-agent's command line for one member in pull mode (flags read from
// cmd/agent/app/options/options.go of the pinned module). Pure, so the budget and the listeners
// it is given can be checked without starting anything.
import type { KarmadaBudget } from './controlplane.ts';

export interface AgentArgs {
  /** Kubeconfig for karmada-apiserver (--karmada-kubeconfig). */
  karmadaKubeconfig: string;
  /** Kubeconfig for the member it serves (--kubeconfig, read by controller-runtime's GetConfig). */
  memberKubeconfig: string;
  /** The Cluster object's name, which the agent creates with syncMode Pull. */
  clusterName: string;
  /**
   * The member's apiserver URL, written into the Cluster's apiEndpoint. The agent's
   * endpointsliceCollect controller dials the member through the Cluster object and the
   * credential the agent reports, not through its own kubeconfig, so it must be set.
   */
  apiEndpoint: string;
  budget: KarmadaBudget;
  metricsPort: number;
  healthPort: number;
}

export function agentArgs(a: AgentArgs): string[] {
  return [
    '--karmada-kubeconfig', a.karmadaKubeconfig, '--kubeconfig', a.memberKubeconfig,
    '--cluster-name', a.clusterName, '--cluster-api-endpoint', a.apiEndpoint,
    // The same gate as the controller-manager: without it the agent skips endpointsliceCollect.
    '--feature-gates=MultiClusterService=true', '--leader-elect=false',
    // Defaults are :8080 and :10357 on every interface; two agents on one host would collide.
    '--metrics-bind-address', `127.0.0.1:${a.metricsPort}`, '--health-probe-bind-address', `127.0.0.1:${a.healthPort}`,
    // The push-mode controller-manager's budget, toward the member and toward karmada-apiserver.
    '--cluster-api-qps', String(a.budget.qps), '--cluster-api-burst', String(a.budget.burst),
    '--kube-api-qps', String(a.budget.qps), '--kube-api-burst', String(a.budget.burst), '--v', '1',
  ];
}
