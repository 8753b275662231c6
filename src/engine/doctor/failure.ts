// Why a cluster could not be reached, in words a person can act on: a short reason for
// machines and one line for people, naming what to check.
import { classifyFailure } from '../../kube/failure.ts';
import { firstLine } from './verdict.ts';

const ADVICE: Record<string, string> = {
  dns: 'check the server address in the kubeconfig and this host\'s DNS',
  refused: 'check that the apiserver is up and the kubeconfig\'s server address and port',
  timeout: 'check the network path and firewalls between here and the apiserver',
  tls: 'check certificate-authority(-data) in the kubeconfig and that the server name matches the apiserver\'s certificate',
  'auth-plugin': 'run the kubeconfig\'s exec plugin by hand (e.g. `aws eks get-token`) and fix its PATH or credentials',
  'credential-file': 'fix the path in the kubeconfig (a relative path is relative to the kubeconfig\'s directory) or the file\'s permissions; the apiserver was not contacted',
  network: 'check the network path to the apiserver',
  unauthorized: 'the token or client certificate is expired or wrong: refresh the kubeconfig',
  forbidden: 'the credential is valid but may not read /version: grant the system:public-info-viewer ClusterRole',
  kubeconfig: 'fix the kubeconfig',
};

/** Why a cluster could not be reached, as a short reason and one line saying what to do. */
export function describeFailure(err: unknown): { reason: string; message: string } {
  const f = classifyFailure(err);
  const reason = f.kind === 'http' ? `http-${f.status}` : f.kind;
  const what = f.kind === 'kubeconfig' ? `cannot use the kubeconfig: ${f.message}` : f.kind === 'unauthorized' ? 'the apiserver rejected the credentials (401 Unauthorized)' : f.message;
  const advice = ADVICE[reason] ?? 'see docs/troubleshooting.md';
  return { reason, message: `${firstLine(what)}: ${advice}` };
}

