// The floor's HTTP client: one keep-alive HTTPS agent per apiserver and nothing else — no
// retries, no rate limit, no type model, no ownership checks — so what it costs is what the
// apiserver and the wire cost. Credentials come from the harness kubeconfig.
import { Agent, request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface BareResponse {
  status: number;
  body: string;
}

export class BareClient {
  readonly server: URL;
  private readonly agent: Agent;

  private constructor(server: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }, maxSockets: number) {
    this.server = new URL(server);
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  static async open(kubeconfigPath: string, maxSockets: number): Promise<BareClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    await kc.applyToHTTPSOptions(tls as never);
    return new BareClient(kc.getCurrentCluster()!.server, tls, maxSockets);
  }

  send(method: string, path: string, body?: string): Promise<BareResponse> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.server.hostname, port: this.server.port, path, method, agent: this.agent,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A long-running GET (a watch): calls back with each line of the stream until it ends or `signal` aborts. */
  stream(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.server.hostname, port: this.server.port, path, method: 'GET', agent: this.agent, signal, headers: { accept: 'application/json' } }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line) onLine(line);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight, in order of the list. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
