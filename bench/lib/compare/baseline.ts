// The original automation's approach, for comparison on the same clusters: one kubectl process
// per object — read the Service and its Endpoints from the source, strip what must not cross,
// `kubectl apply` each into the destination. Replicas go to a namespace of their own so they
// never meet mcsync's.
import { spawn } from 'node:child_process';

function kubectl(bin: string, kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err.trim()}`))));
    p.stdin.end(input ?? '');
  });
}

type Obj = { metadata: Record<string, unknown>; spec?: Record<string, unknown>; subsets?: { addresses?: Record<string, unknown>[]; notReadyAddresses?: Record<string, unknown>[] }[]; status?: unknown };

/** What the original removed before copying (and, unlike it, also node ports and LB fields). */
function clean(o: Obj, namespace: string): Obj {
  const metadata: Record<string, unknown> = { name: o.metadata.name, namespace, labels: o.metadata.labels };
  const out: Obj = { ...o, metadata };
  delete out.status;
  if (out.spec) {
    const spec = { ...out.spec };
    for (const k of ['selector', 'clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy']) delete spec[k];
    out.spec = spec;
  }
  if (out.subsets) {
    out.subsets = out.subsets.map((s) => ({
      ...s,
      addresses: s.addresses?.map(({ nodeName: _n, targetRef: _t, ...a }) => a),
      notReadyAddresses: s.notReadyAddresses?.map(({ nodeName: _n, targetRef: _t, ...a }) => a),
    }));
  }
  return out;
}

export interface BaselineResult {
  services: number;
  objectsWritten: number;
  kubectlProcesses: number;
  seconds: number;
  secondsPerObject: number;
}

export async function kubectlPerObject(bin: string, source: string, dest: string, namespace: string, services: string[]): Promise<BaselineResult> {
  const target = `${namespace}-baseline`;
  let processes = 0;
  const started = performance.now();
  await kubectl(bin, dest, ['create', 'namespace', target]).catch(() => undefined);
  processes++;
  for (const name of services) {
    const svc = JSON.parse(await kubectl(bin, source, ['get', 'service', name, '-n', namespace, '-o', 'json'])) as Obj;
    const eps = JSON.parse(await kubectl(bin, source, ['get', 'endpoints', name, '-n', namespace, '-o', 'json'])) as Obj;
    await kubectl(bin, dest, ['apply', '-f', '-'], JSON.stringify(clean(svc, target)));
    await kubectl(bin, dest, ['apply', '-f', '-'], JSON.stringify(clean(eps, target)));
    processes += 4;
  }
  const seconds = (performance.now() - started) / 1000;
  await kubectl(bin, dest, ['delete', 'namespace', target, '--wait=false']).catch(() => undefined);
  const objectsWritten = services.length * 2;
  return { services: services.length, objectsWritten, kubectlProcesses: processes, seconds: round(seconds), secondsPerObject: round(seconds / objectsWritten, 4) };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
