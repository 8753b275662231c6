// Figures taken from the servers and the processes themselves, never estimated: write
// requests from apiserver_request_total, watches from apiserver_longrunning_requests, memory
// and CPU from /proc.
import { readFileSync } from 'node:fs';
import type { ClusterInfo } from '../../../harness/src/controlplane/cluster.ts';
import { requestCounts, WRITE_VERBS } from '../../../harness/src/observe/metrics.ts';
import { kubeConfigFor } from '../../../harness/src/workload/pods.ts';
import { request } from 'node:https';

export const REPLICA_RESOURCES = ['services', 'endpointslices', 'namespaces'];

export async function writes(clusters: ClusterInfo[]): Promise<number[]> {
  return Promise.all(clusters.map(async (c) => (await requestCounts(c))
    .filter((x) => WRITE_VERBS.includes(x.verb) && REPLICA_RESOURCES.includes(x.resource))
    .reduce((s, x) => s + x.value, 0)));
}

async function metricsText(cluster: ClusterInfo): Promise<string> {
  const kc = kubeConfigFor(cluster);
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  await kc.applyToHTTPSOptions(opts as never);
  return new Promise((resolve, reject) => {
    const req = request(`${kc.getCurrentCluster()!.server}/metrics`, { ca: opts.ca, cert: opts.cert, key: opts.key }, (res) => {
      let t = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (t += c));
      res.on('end', () => resolve(t));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Namespace-scoped watches open on an apiserver (the controller-manager's are cluster-scoped). */
export async function namespacedWatches(cluster: ClusterInfo): Promise<number> {
  let n = 0;
  for (const line of (await metricsText(cluster)).split('\n')) {
    if (line.startsWith('apiserver_longrunning_requests{') && line.includes('verb="WATCH"') && line.includes('scope="namespace"')) {
      n += Number(line.slice(line.lastIndexOf('}') + 1));
    }
  }
  return n;
}

export interface ProcessCost {
  rssPeakMB: number;
  cpuSeconds: number;
}

/** Peak resident memory (VmHWM) and CPU time so far of a live process. */
export function processCost(pid: number): ProcessCost {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  return { rssPeakMB: Math.round(hwm / 1024), cpuSeconds: Math.round((ticks / 100) * 100) / 100 };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return percentile(s, 50);
}
