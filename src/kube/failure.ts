// Why a cluster could not be used, as a kind a program can branch on and words a person can
// act on. Built only from error codes, HTTP statuses and messages mcsync wrote itself, so no
// credential ever reaches the text.
import { KubeApiError, KubeConnectionError } from './client.ts';

export type FailureKind =
  | KubeConnectionError['kind']
  | 'unauthorized'
  | 'forbidden'
  /** The kubeconfig (or the in-cluster ServiceAccount) could not be turned into a client. */
  | 'kubeconfig'
  | 'http';

export interface Failure {
  kind: FailureKind;
  /** One line, without advice. */
  message: string;
  /** The HTTP status, when the apiserver answered. */
  status?: number;
}

const firstLine = (s: string) => s.split('\n')[0] ?? s;

export function classifyFailure(err: unknown): Failure {
  if (err instanceof KubeConnectionError) return { kind: err.kind, message: firstLine(err.message) };
  if (err instanceof KubeApiError) {
    if (err.status === 401) return { kind: 'unauthorized', status: 401, message: 'the apiserver rejected the credentials (401 Unauthorized): expired or wrong token or certificate' };
    if (err.status === 403) return { kind: 'forbidden', status: 403, message: firstLine(err.message) };
    return { kind: 'http', status: err.status, message: firstLine(err.message) };
  }
  return { kind: 'kubeconfig', message: firstLine((err as Error).message ?? String(err)) };
}
