import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentArgs } from './agent.ts';

const args = agentArgs({
  karmadaKubeconfig: '/k/karmada.kubeconfig', memberKubeconfig: '/k/b.kubeconfig', clusterName: 'b',
  apiEndpoint: 'https://127.0.0.1:6443', budget: { qps: 40, burst: 60 }, metricsPort: 1001, healthPort: 1002,
});
const flag = (name: string) => {
  const i = args.indexOf(name);
  assert.ok(i >= 0, `${name} is missing`);
  return args[i + 1];
};

test('karmada-agent gets the same client budget toward karmada-apiserver and toward its member', () => {
  assert.equal(flag('--kube-api-qps'), '40');
  assert.equal(flag('--kube-api-burst'), '60');
  assert.equal(flag('--cluster-api-qps'), '40');
  assert.equal(flag('--cluster-api-burst'), '60');
});

test('karmada-agent listens on loopback only and names the kubeconfig of each side', () => {
  assert.equal(flag('--metrics-bind-address'), '127.0.0.1:1001');
  assert.equal(flag('--health-probe-bind-address'), '127.0.0.1:1002');
  assert.equal(flag('--karmada-kubeconfig'), '/k/karmada.kubeconfig');
  assert.equal(flag('--kubeconfig'), '/k/b.kubeconfig');
});

test('karmada-agent registers its member under its name, with the endpoint its collector dials', () => {
  assert.equal(flag('--cluster-name'), 'b');
  assert.equal(flag('--cluster-api-endpoint'), 'https://127.0.0.1:6443');
  assert.ok(args.includes('--feature-gates=MultiClusterService=true'));
  assert.ok(args.includes('--leader-elect=false'));
});
