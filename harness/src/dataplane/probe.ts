// What a test runs inside a pod's network namespace, like `kubectl exec` into a client pod:
//   node probe.ts lookup NAME            -> {"addresses":[…]} through the pod's resolv.conf
//   node probe.ts get HOST PORT [COUNT]  -> {"attempts":[…]} COUNT fresh TCP connections, each an HTTP GET
//   node probe.ts watch HOST PORT MS     -> one JSON line per attempt, a fresh connection every MS
//                                           milliseconds until stopped, each stamped with the
//                                           wall clock ("t"), as a client in a pod sees a Service
//   node probe.ts watch HOST PORT MS overlap
//                                        -> the same, but a new connection starts every MS ms even
//                                           while earlier ones wait for an answer (lines come in
//                                           the order attempts end): a failing attempt, which
//                                           waits out its 1 s timeout, hides nothing that follows
// Names go through getaddrinfo, as any program in a pod resolves them, so the search path and
// the cluster's DNS are exercised for real. Prints one JSON line; never throws for a network
// failure, which is reported as that attempt's error code and how long it took to fail.
import { lookup } from 'node:dns/promises';
import { request } from 'node:http';
import type { EchoReply } from './echo-server.ts';

export interface Attempt {
  /** The address the name resolved to (a ClusterIP, or a pod IP for a headless name). */
  address?: string;
  reply?: EchoReply;
  /** errno code (ECONNREFUSED, ETIMEDOUT, ENOTFOUND, …) when the attempt failed. */
  error?: string;
  /** Name resolution time. */
  lookupMs: number;
  /** From the connection attempt to the reply or the failure. */
  ms: number;
}

const TIMEOUT_MS = Number(process.env.PROBE_TIMEOUT_MS ?? 3000);

async function get(host: string, port: number, timeoutMs = TIMEOUT_MS): Promise<Attempt> {
  let started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let address: string;
  try {
    address = (await lookup(host, { family: 4 })).address;
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err), lookupMs: ms(), ms: 0 };
  }
  const lookupMs = ms();
  started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: address, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve({ address, reply: JSON.parse(body) as EchoReply, lookupMs, ms: ms() });
        } catch {
          resolve({ address, error: 'EBADREPLY', lookupMs, ms: ms() });
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ address, error: err.code ?? err.message, lookupMs, ms: ms() }));
    req.end();
  });
}

const [cmd, a, b, c, d] = process.argv.slice(2);
if (cmd === 'lookup' && a) {
  try {
    const all = await lookup(a, { all: true, family: 4 });
    process.stdout.write(`${JSON.stringify({ addresses: all.map((x) => x.address).sort() })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ addresses: [], error: (err as NodeJS.ErrnoException).code ?? String(err) })}\n`);
  }
} else if (cmd === 'get' && a && b) {
  const attempts: Attempt[] = [];
  for (let i = 0; i < Number(c ?? 1); i++) attempts.push(await get(a, Number(b)));
  process.stdout.write(`${JSON.stringify({ attempts })}\n`);
} else if (cmd === 'watch' && a && b && c && (d === undefined || d === 'overlap')) {
  // Resolved once: the point is what the Service's address does while its endpoints change.
  const address = (await lookup(a, { family: 4 })).address;
  process.on('SIGTERM', () => process.exit(0));
  for (;;) {
    const t = Date.now();
    const attempt = get(address, Number(b), 1_000).then((x) => process.stdout.write(`${JSON.stringify({ t, ...x })}\n`));
    if (d !== 'overlap') await attempt;
    await new Promise((r) => setTimeout(r, Math.max(0, Number(c) - (Date.now() - t))));
  }
} else {
  process.stderr.write('usage: probe.ts lookup NAME | probe.ts get HOST PORT [COUNT] | probe.ts watch HOST PORT MS [overlap]\n');
  process.exit(2);
}
