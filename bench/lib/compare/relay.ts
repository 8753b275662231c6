// The propagation floor: the least a replicator can do. It watches the source's EndpointSlices
// and, for each change, PUTs the matching replica slice in every destination with the source's
// endpoints — no model, no plan, no ownership checks, no rate limit. Replicas must already exist
// (one slice per Service, as mcsync writes them for up to 100 endpoints); the relay only updates
// them. Runs as its own process, as mcsync does, and prints "relay ready" once it is watching.
//
//   node bench/lib/compare/relay.ts --source a.kubeconfig --dest b.kubeconfig --dest c.kubeconfig --namespace bench
import { parseArgs } from 'node:util';
import { BareClient } from './bare-client.ts';

interface Slice {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: unknown }[];
  [k: string]: unknown;
}

const { values } = parseArgs({ options: {
  source: { type: 'string' }, dest: { type: 'string', multiple: true }, namespace: { type: 'string', default: 'bench' },
  instance: { type: 'string', default: 'bench' }, sockets: { type: 'string', default: '16' },
} });
const ns = values.namespace!;
const slicesPath = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
const SERVICE = 'kubernetes.io/service-name';

const source = await BareClient.open(values.source!, 2);
const dests = await Promise.all((values.dest ?? []).map((d) => BareClient.open(d, Number(values.sockets))));

/** Per destination: the replica slice of each Service as last written, and what is still to be written. */
const replicas = await Promise.all(dests.map(async (d) => {
  const res = await d.send('GET', `${slicesPath}?labelSelector=${encodeURIComponent(`mcsync.io/instance=${values.instance}`)}`);
  const items = (JSON.parse(res.body) as { items: Slice[] }).items;
  return { client: d, current: new Map(items.map((s) => [s.metadata.labels![SERVICE]!, s])), busy: new Set<string>(), pending: new Map<string, Slice['endpoints']>() };
}));

async function put(r: (typeof replicas)[number], svc: string, endpoints: Slice['endpoints']): Promise<void> {
  r.busy.add(svc);
  try {
    for (let eps: Slice['endpoints'] | undefined = endpoints; eps !== undefined; eps = r.pending.get(svc)) {
      r.pending.delete(svc);
      const cur = r.current.get(svc);
      if (!cur) return;
      const res = await r.client.send('PUT', `${slicesPath}/${cur.metadata.name}`, JSON.stringify({ ...cur, endpoints: eps }));
      if (res.status === 200) r.current.set(svc, JSON.parse(res.body) as Slice);
      else if (res.status === 409) {
        // Someone else wrote it: take theirs and write ours on top.
        r.current.set(svc, JSON.parse((await r.client.send('GET', `${slicesPath}/${cur.metadata.name}`)).body) as Slice);
        if (!r.pending.has(svc)) r.pending.set(svc, eps);
      } else process.stderr.write(`PUT ${svc}: ${res.status} ${res.body.slice(0, 200)}\n`);
    }
  } finally {
    r.busy.delete(svc);
  }
}

function relay(slice: Slice): void {
  const svc = slice.metadata.labels?.[SERVICE];
  if (!svc) return;
  const endpoints = (slice.endpoints ?? []).map((e) => ({ addresses: e.addresses, conditions: e.conditions }));
  for (const r of replicas) {
    if (r.busy.has(svc)) r.pending.set(svc, endpoints);
    else void put(r, svc, endpoints);
  }
}

const sel = encodeURIComponent('endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io');
const listed = JSON.parse((await source.send('GET', `${slicesPath}?labelSelector=${sel}`)).body) as { metadata: { resourceVersion: string } };
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.stdout.write('relay ready\n');
let rv = listed.metadata.resourceVersion;
while (!stop.signal.aborted) {
  await source.stream(`${slicesPath}?watch=1&labelSelector=${sel}&resourceVersion=${rv}&timeoutSeconds=600`, (line) => {
    const e = JSON.parse(line) as { type: string; object: Slice };
    if (e.type === 'ERROR') return;
    rv = e.object.metadata.resourceVersion ?? rv;
    if (e.type === 'ADDED' || e.type === 'MODIFIED') relay(e.object);
  }, stop.signal);
}
source.close();
for (const d of dests) d.close();
