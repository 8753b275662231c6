import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { ControllerMetrics } from './metrics.ts';
import { startHttpServer, type ProbeResult } from './http.ts';

const HOST = '127.0.0.1';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(port: number, path: string, method = 'GET', agent?: import('node:http').Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, method, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function withServer(
  opts: { health?: () => ProbeResult; ready?: () => ProbeResult; status?: () => unknown; fleet?: () => unknown },
  fn: (port: number, metrics: ControllerMetrics) => Promise<void>,
): Promise<void> {
  const metrics = new ControllerMetrics();
  const server = await startHttpServer({
    host: HOST,
    port: 0,
    metrics,
    health: opts.health ?? (() => ({ ok: true })),
    ready: opts.ready ?? (() => ({ ok: true })),
    ...(opts.status ? { status: opts.status } : {}),
    ...(opts.fleet ? { fleet: opts.fleet } : {}),
  });
  try {
    await fn(server.port, metrics);
  } finally {
    await server.close();
  }
}

test('port 0 binds a real free port; /metrics serves mcsync and process metrics', async () => {
  await withServer({}, async (port, metrics) => {
    assert.ok(port > 0);
    metrics.writes.inc({ cluster: 'east', verb: 'create', kind: 'Service', result: 'done' });
    const r = await call(port, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], metrics.contentType);
    assert.match(r.body, /^# TYPE mcsync_propagation_seconds histogram$/m);
    assert.match(r.body, /^mcsync_writes_total\{cluster="east",verb="create",kind="Service",result="done"\} 1$/m);
    assert.match(r.body, /^process_cpu_seconds_total /m);
  });
});

test('/healthz and /readyz follow their callbacks between 200 and 503', async () => {
  let health: ProbeResult = { ok: true };
  let ready: ProbeResult = { ok: false, detail: 'caches not synced: west' };
  await withServer({ health: () => health, ready: () => ready }, async (port) => {
    let r = await call(port, '/healthz');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { ok: true, detail: null });

    r = await call(port, '/readyz');
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { ok: false, detail: 'caches not synced: west' });

    ready = { ok: true, detail: { role: 'leader' } };
    health = { ok: false, detail: { stuck: ['reflector east/services'] } };
    r = await call(port, '/readyz?verbose');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true, detail: { role: 'leader' } });
    r = await call(port, '/healthz');
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { ok: false, detail: { stuck: ['reflector east/services'] } });
  });
});

test('a check that throws or has an unserialisable detail still answers', async () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await withServer(
    {
      health: () => {
        throw new Error('boom');
      },
      ready: () => ({ ok: true, detail: circular }),
    },
    async (port) => {
      let r = await call(port, '/healthz');
      assert.equal(r.status, 503);
      assert.deepEqual(JSON.parse(r.body), { ok: false, detail: 'check failed: boom' });
      r = await call(port, '/readyz');
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).ok, true);
    },
  );
});

test('/status returns the callback as JSON, and 404 without one', async () => {
  let n = 0;
  await withServer({ status: () => ({ clusters: { east: { synced: true } }, calls: ++n }) }, async (port) => {
    const r = await call(port, '/status');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { clusters: { east: { synced: true } }, calls: 1 });
    assert.equal(JSON.parse((await call(port, '/status')).body).calls, 2);
  });
  await withServer({}, async (port) => {
    assert.equal((await call(port, '/status')).status, 404);
  });
});

test('with a fleet view, / serves the status page under a CSP that admits only its own script, and /fleet the view', async () => {
  await withServer({ fleet: () => ({ clusters: [{ name: 'east' }], exports: [] }) }, async (port) => {
    const page = await call(port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    const script = /<script>([\s\S]*)<\/script>/.exec(page.body)![1]!;
    const hash = createHash('sha256').update(script).digest('base64');
    assert.match(String(page.headers['content-security-policy']), new RegExp(`default-src 'none'; script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    assert.match(String(page.headers['content-security-policy']), /connect-src 'self'/);
    const fleet = await call(port, '/fleet');
    assert.match(String(fleet.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(fleet.body), { clusters: [{ name: 'east' }], exports: [] });
    assert.equal((await call(port, '/', 'POST')).status, 405);
  });
  await withServer({ status: () => ({}) }, async (port) => {
    assert.equal((await call(port, '/fleet')).status, 404, 'no page unless enabled');
  });
});

test('unknown paths are 404, other methods on known paths 405', async () => {
  await withServer({ status: () => ({}) }, async (port) => {
    for (const path of ['/', '/metricsx', '/healthz/x', '/nope']) {
      assert.equal((await call(port, path)).status, 404, path);
    }
    for (const path of ['/metrics', '/healthz', '/readyz', '/status']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const r = await call(port, path, method);
        assert.equal(r.status, 405, `${method} ${path}`);
        assert.equal(r.headers.allow, 'GET');
      }
    }
  });
});

// Both close() tests are bounded by their own timeout, set below the server timeout that would
// otherwise end the connection (keep-alive 5 s, headers 10 s): finishing inside it shows close()
// cut the socket rather than waited. How long close() takes is not asserted.
test('close() ends idle keep-alive connections instead of waiting for them', { timeout: 4000 }, async () => {
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
  const metrics = new ControllerMetrics();
  const server = await startHttpServer({ host: HOST, port: 0, metrics, health: () => ({ ok: true }), ready: () => ({ ok: true }) });
  try {
    assert.equal((await call(server.port, '/healthz', 'GET', agent)).status, 200);
    const idle = Object.values(agent.freeSockets).flat();
    assert.equal(idle.length, 1, 'the agent keeps the connection open, idle');
    const cut = new Promise<void>((resolve) => idle[0]!.once('close', () => resolve()));
    await server.close();
    await cut;
    await assert.rejects(call(server.port, '/healthz'), { code: 'ECONNREFUSED' });
  } finally {
    agent.destroy();
  }
});

test('close() also cuts a connection stuck mid-request', { timeout: 5000 }, async () => {
  const { connect } = await import('node:net');
  const server = await startHttpServer({
    host: HOST,
    port: 0,
    metrics: new ControllerMetrics(),
    health: () => ({ ok: true }),
    ready: () => ({ ok: true }),
  });
  const socket = connect({ host: HOST, port: server.port });
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // Headers never finished: not idle, so only closeAllConnections() ends it before headersTimeout.
  socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 50));
  await server.close();
  await ended;
});

test('a port already in use rejects instead of hanging', async () => {
  await withServer({}, async (port) => {
    await assert.rejects(
      startHttpServer({ host: HOST, port, metrics: new ControllerMetrics(), health: () => ({ ok: true }), ready: () => ({ ok: true }) }),
      { code: 'EADDRINUSE' },
    );
  });
});
