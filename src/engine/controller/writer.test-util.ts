// A ClusterWriter for unit tests: writes through a scripted client, never refused, logs nowhere.
import type { ApiClient } from '../../kube/client.ts';
import { ClusterWriter } from './writer.ts';

const quiet = { info() {}, error() {} };

export function testWriter(client: ApiClient, opts: { instance?: string; refusal?: () => string | undefined; metrics?: ConstructorParameters<typeof ClusterWriter>[0]['metrics'] } = {}): ClusterWriter {
  return new ClusterWriter({
    cluster: client.name,
    client,
    instance: opts.instance ?? 'default',
    concurrency: 4,
    refusal: opts.refusal ?? (() => undefined),
    log: quiet,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
}

export function testWriters(clients: Iterable<ApiClient>, opts: Parameters<typeof testWriter>[1] = {}): Map<string, ClusterWriter> {
  return new Map([...clients].map((c) => [c.name, testWriter(c, opts)]));
}
