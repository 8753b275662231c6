// The controller's HTTP endpoint: Prometheus scrapes, Kubernetes probes and, when enabled, the
// status page (page.ts) with its data. node:http only — a handful of read-only routes do not
// justify a framework, and probes must keep answering while the event
// loop is busy with a relist, which favours the least code on the path.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControllerMetrics } from './metrics.ts';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './page.ts';

/** What /healthz or /readyz answers: 200 when ok, else 503, with the detail as JSON. */
export interface ProbeResult {
  ok: boolean;
  detail?: unknown;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: ControllerMetrics;
  /** Process alive and its loops running; failing it makes Kubernetes restart the pod. */
  health: () => ProbeResult;
  /** Leader with synced caches, or a standby with synced caches. */
  ready: () => ProbeResult;
  status?: () => unknown;
  /** The status page's data; given, `/` serves the page and `/fleet` this, as JSON. */
  fleet?: () => unknown;
}

export interface HttpServer {
  /** The bound port, the real one when 0 was asked for. */
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      // Only reached if writing the response itself failed; the socket is the only thing left.
      res.destroy(err instanceof Error ? err : undefined);
    });
  });
  // A scraper that opens a connection and never finishes its request must not pin a socket.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port: opts.port, host: opts.host }, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // close() drops idle keep-alive sockets itself, but a connection with a request still
        // arriving (a stalled scraper or probe) would hold shutdown until its timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Probes and scrapers may add query strings (`/readyz?verbose`); routing ignores them.
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = ROUTES.has(path) || (path === '/status' && opts.status) || ((path === '/' || path === '/fleet') && opts.fleet) ? path : undefined;
  if (!route) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }

  switch (route) {
    case '/metrics': {
      let body: string;
      try {
        body = await opts.metrics.text();
      } catch (err) {
        return send(res, 500, 'text/plain; charset=utf-8', `collecting metrics failed: ${message(err)}\n`);
      }
      return send(res, 200, opts.metrics.contentType, body);
    }
    case '/healthz':
      return sendProbe(res, opts.health);
    case '/readyz':
      return sendProbe(res, opts.ready);
    case '/status':
      return sendView(res, opts.status!);
    case '/fleet':
      return sendView(res, opts.fleet!);
    case '/':
      res.setHeader('Content-Security-Policy', STATUS_PAGE_CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML);
  }
}

function sendView(res: ServerResponse, view: () => unknown): void {
  let body: string;
  try {
    body = JSON.stringify(view() ?? null);
  } catch (err) {
    return sendJson(res, 500, { error: message(err) });
  }
  send(res, 200, JSON_TYPE, body + '\n');
}

const ROUTES = new Set(['/metrics', '/healthz', '/readyz']);
const JSON_TYPE = 'application/json; charset=utf-8';

function sendProbe(res: ServerResponse, probe: () => ProbeResult): void {
  let result: ProbeResult;
  try {
    result = probe();
  } catch (err) {
    // A probe that throws cannot vouch for anything, so it counts as failing.
    result = { ok: false, detail: `check failed: ${message(err)}` };
  }
  const ok = result.ok === true;
  try {
    sendJson(res, ok ? 200 : 503, { ok, detail: result.detail ?? null });
  } catch (err) {
    // An unserialisable detail must not turn a verdict into a 500 or a hung probe.
    sendJson(res, ok ? 200 : 503, { ok, detail: `detail not serialisable: ${message(err)}` });
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  send(res, status, JSON_TYPE, body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
