// Headless Chromium driven over the Chrome DevTools Protocol, with Node's own WebSocket and no
// browser-automation package: start it with `--remote-debugging-port=0`, read the port it chose
// from DevToolsActivePort in its fresh profile, attach to its page, then navigate, evaluate
// expressions in the page and take screenshots. Enough to test a page as a browser renders it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../util/errors.ts';
import { startProcess, type Supervised } from '../util/process.ts';
import { scratchDir } from '../util/tempdir.ts';
import { waitFor } from '../util/wait.ts';

/** Debian's package; MCSYNC_CHROMIUM points elsewhere. */
export const chromiumBinary = (): string => process.env.MCSYNC_CHROMIUM ?? '/usr/bin/chromium';

/** DevToolsActivePort: the port on its first line, the browser target's path on its second. */
export function parseDevToolsActivePort(text: string): { port: number; path: string } {
  const [portLine, path] = text.split('\n').map((l) => l.trim());
  const port = Number(portLine);
  if (!Number.isInteger(port) || port <= 0 || port > 65535 || !path?.startsWith('/devtools/')) {
    throw new HarnessError(`DevToolsActivePort is not "PORT\\n/devtools/...": ${JSON.stringify(text)}`);
  }
  return { port, path };
}

/** What CdpSession needs of a WebSocket, so a test can stand in for one. */
export interface MessageSocket {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', fn: () => void): void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** One CDP connection: commands matched to their answers by id, events to their listeners. */
export class CdpSession {
  readonly #socket: MessageSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, Set<(params: unknown) => void>>();
  #nextId = 1;
  #closed = false;

  constructor(socket: MessageSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (e) => this.#receive(String(e.data)));
    socket.addEventListener('close', () => this.#fail(new HarnessError('the DevTools connection closed')));
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new HarnessError(`${method}: the DevTools connection is closed`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Calls `fn` with each event of `method` until the returned function is called. */
  on(method: string, fn: (params: unknown) => void): () => void {
    const set = this.#listeners.get(method) ?? new Set();
    set.add(fn);
    this.#listeners.set(method, set);
    return () => set.delete(fn);
  }

  /** The next event of `method`; listen before sending what causes it. */
  once<T = unknown>(method: string, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new HarnessError(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(method, (p) => {
        clearTimeout(timer);
        off();
        resolve(p as T);
      });
    });
  }

  close(): void {
    this.#fail(new HarnessError('the DevTools connection closed'));
    this.#socket.close();
  }

  #receive(text: string): void {
    let msg: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string; data?: string } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.id !== undefined) {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new HarnessError(`${p.method}: ${msg.error.message ?? 'failed'}${msg.error.data ? ` (${msg.error.data})` : ''}`));
      else p.resolve(msg.result ?? {});
    } else if (msg.method) {
      for (const fn of [...(this.#listeners.get(msg.method) ?? [])]) fn(msg.params);
    }
  }

  #fail(err: Error): void {
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(new HarnessError(`${p.method}: ${err.message}`));
    this.#pending.clear();
  }
}

export interface Page {
  readonly cdp: CdpSession;
  /** Loads `url` and resolves once its load event fired. */
  goto(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (promises awaited), returned by value. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the whole page at `width` CSS pixels, written to `file`. */
  screenshot(file: string, width?: number): Promise<void>;
}

export interface Browser {
  page: Page;
  process: Supervised;
  close(): Promise<void>;
}

/** Flags for a quiet, throwaway browser that talks to nothing but the pages it is sent to. */
export function chromiumArgs(userDataDir: string, width: number, height: number): string[] {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
    `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
    `--window-size=${width},${height}`, 'about:blank',
  ];
}

export async function launchChromium(opts: { width?: number; height?: number } = {}): Promise<Browser> {
  const binary = chromiumBinary();
  if (!existsSync(binary)) throw new HarnessError(`${binary} not found: install Debian's chromium (scripts/setup.sh does) or set MCSYNC_CHROMIUM`);
  const width = opts.width ?? 1280;
  const height = opts.height ?? 900;
  const dir = scratchDir('mcsync-chromium-');
  const profile = join(dir, 'profile');
  const logPath = join(dir, 'chromium.log');
  const proc = startProcess('chromium', binary, chromiumArgs(profile, width, height), logPath);
  const tail = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n') : '');
  try {
    const portFile = join(profile, 'DevToolsActivePort');
    const { port } = await waitFor(async () => {
      if (!proc.running()) throw new HarnessError(`chromium exited:\n${tail()}`);
      return existsSync(portFile) && readFileSync(portFile, 'utf8').includes('\n') ? parseDevToolsActivePort(readFileSync(portFile, 'utf8')) : undefined;
    }, { what: 'chromium to open its DevTools port', timeoutMs: 30_000, intervalMs: 100 });
    const target = await waitFor(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl?: string }[];
      return list.find((t) => t.type === 'page' && t.webSocketDebuggerUrl);
    }, { what: 'chromium\'s page target', timeoutMs: 10_000, intervalMs: 100 });
    const socket = new WebSocket(target.webSocketDebuggerUrl!);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new HarnessError(`cannot open ${target.webSocketDebuggerUrl}`)), { once: true });
    });
    const cdp = new CdpSession(socket);
    await cdp.send('Page.enable');
    const page = pageOf(cdp, height);
    return {
      page,
      process: proc,
      async close() {
        await Promise.race([cdp.send('Browser.close').catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
        cdp.close();
        await proc.stop(3000);
      },
    };
  } catch (err) {
    await proc.stop(1000);
    throw err;
  }
}

function pageOf(cdp: CdpSession, height: number): Page {
  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await cdp.send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true },
    );
    if (r.exceptionDetails) throw new HarnessError(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  };
  return {
    cdp,
    evaluate,
    async goto(url) {
      const loaded = cdp.once('Page.loadEventFired');
      const r = await cdp.send<{ errorText?: string }>('Page.navigate', { url });
      if (r.errorText) throw new HarnessError(`navigating to ${url}: ${r.errorText}`);
      await loaded;
    },
    async screenshot(file, width = 1280) {
      await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      const full = await evaluate<number>('Math.ceil(document.body.getBoundingClientRect().bottom)');
      await cdp.send('Emulation.setDeviceMetricsOverride', { width, height: Math.max(full, 200), deviceScaleFactor: 1, mobile: false });
      const { data } = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
      await cdp.send('Emulation.clearDeviceMetricsOverride');
      writeFileSync(file, Buffer.from(data, 'base64'));
    },
  };
}
