// The program every data-plane pod runs: an HTTP server on each port it is given that answers
// with who it is and the address it saw the client come from. That source address is the
// test's proof that nothing on the path translated the client's pod IP.
//   node echo-server.ts --pod NAME --cluster NAME --port 80 [--port 6379 …]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

export interface EchoReply {
  pod: string;
  cluster: string;
  /** The pod's own address the connection arrived on. */
  ip: string;
  port: number;
  /** The client's address as this pod saw it. */
  client: string;
}

const { values } = parseArgs({ options: { pod: { type: 'string' }, cluster: { type: 'string' }, port: { type: 'string', multiple: true } } });
const ports = (values.port ?? []).map(Number);
if (!values.pod || !values.cluster || ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  process.stderr.write('usage: echo-server.ts --pod NAME --cluster NAME --port N [--port N …]\n');
  process.exit(2);
}

const bound = ports.map((port) => new Promise<void>((resolve, reject) => {
  const server = createServer((req, res) => {
    const reply: EchoReply = {
      pod: values.pod!, cluster: values.cluster!,
      ip: req.socket.localAddress ?? '', port, client: req.socket.remoteAddress ?? '',
    };
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(reply));
  });
  server.once('error', reject);
  server.listen({ port, host: '0.0.0.0' }, () => resolve());
}));
await Promise.all(bound);
process.stdout.write(`listening ${ports.join(',')}\n`);
