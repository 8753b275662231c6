// Free loopback ports. All ports of a run are taken while every probe socket is still open,
// so clusters started together never draw the same port.
import { createServer, type Server } from 'node:net';
import { HarnessError } from './errors.ts';

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port, host, exclusive: true }, () => resolve(srv));
  });
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0, host));
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Fails with a clear message when a port someone asked for is taken. */
export async function assertPortsFree(ports: number[], host = '127.0.0.1'): Promise<void> {
  for (const port of ports) {
    try {
      await close(await listen(port, host));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HarnessError(
        code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use; stop what holds it (ss -ltnp 'sport = :${port}') or choose another --port-base`
          : `cannot listen on ${host}:${port}: ${code ?? String(err)}`,
      );
    }
  }
}
