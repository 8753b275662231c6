import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { assertPortsFree, freePorts } from './ports.ts';

test('free ports drawn together are distinct', async () => {
  const ports = await freePorts(12);
  assert.equal(new Set(ports).size, 12);
});

test('a port in use is reported by number with how to find its holder', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    await assert.rejects(assertPortsFree([port]), new RegExp(`port ${port} on 127.0.0.1 is already in use`));
  } finally {
    srv.close();
  }
});
