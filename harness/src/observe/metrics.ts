// Write requests counted by the apiserver itself (apiserver_request_total), so tests and
// benchmarks can say "zero writes" from the server's own books rather than from the client's.
import { request } from 'node:https';
import type { ClusterInfo } from '../controlplane/cluster.ts';
import { kubeConfigFor } from '../workload/pods.ts';

export const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'CREATE', 'UPDATE', 'DELETECOLLECTION'];

export interface RequestCount {
  verb: string;
  resource: string;
  subresource: string;
  code: string;
  value: number;
}

async function fetchMetrics(cluster: ClusterInfo): Promise<string> {
  const kc = kubeConfigFor(cluster);
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts as never);
  const server = kc.getCurrentCluster()!.server;
  return new Promise((resolve, reject) => {
    const req = request(`${server}/metrics`, { ca: opts.ca, cert: opts.cert, key: opts.key, headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET /metrics: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export async function requestCounts(cluster: ClusterInfo): Promise<RequestCount[]> {
  const text = await fetchMetrics(cluster);
  const counts: RequestCount[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels = parseLabels(line.slice('apiserver_request_total{'.length, close));
    counts.push({ verb: labels.verb ?? '', resource: labels.resource ?? '', subresource: labels.subresource ?? '', code: labels.code ?? '', value: Number(line.slice(close + 1).trim()) });
  }
  return counts;
}

/** Total write requests (any code) on the given resources, e.g. ['services','endpointslices','namespaces']. */
export async function writeCount(cluster: ClusterInfo, resources: string[]): Promise<number> {
  const counts = await requestCounts(cluster);
  return counts.filter((c) => WRITE_VERBS.includes(c.verb) && resources.includes(c.resource)).reduce((s, c) => s + c.value, 0);
}

/** Watches the apiserver is serving now, by resource (apiserver_longrunning_requests, verb WATCH). */
export async function watchCounts(cluster: ClusterInfo): Promise<Record<string, number>> {
  const text = await fetchMetrics(cluster);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{')) continue;
    const close = line.lastIndexOf('}');
    const labels = parseLabels(line.slice('apiserver_longrunning_requests{'.length, close));
    if (labels.verb !== 'WATCH') continue;
    const resource = labels.resource ?? '';
    out[resource] = (out[resource] ?? 0) + Number(line.slice(close + 1).trim());
  }
  return out;
}
