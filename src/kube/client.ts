// A small JSON REST client for one cluster. Authentication (client certificates, tokens, exec
// plugins) comes from @kubernetes/client-node's KubeConfig; requests go over one keep-alive
// agent per cluster, because the engine issues many small requests and the generated client
// re-creates its agent and re-serialises every object through its type model.
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeconfigFile } from './credential-file.ts';
import { ExecCredentialError, ExecCredentialSource } from './exec-credential.ts';
import type { ProfileAccess } from '../config/types.ts';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  constructor(status: number, reason: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The cluster could not be talked to at all; `kind` says why in words a person can act on. */
export class KubeConnectionError extends Error {
  override name = 'KubeConnectionError';
  /** auth-plugin and credential-file fail before anything is sent: the apiserver was not contacted. */
  readonly kind: 'dns' | 'refused' | 'timeout' | 'tls' | 'auth-plugin' | 'credential-file' | 'network';
  constructor(kind: KubeConnectionError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface RequestOpts {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: { metadata?: { name?: string; namespace?: string; resourceVersion?: string }; code?: number; reason?: string; message?: string; [k: string]: unknown };
}

export type WatchQuery = Record<string, string | number | boolean | undefined>;

/** The verbs mcsync sends as plain requests (watches go through ListerWatcher). */
export type ApiVerb = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a writer needs of a cluster: one request at a time. KubeClient is one; a test fake is another. */
export interface ApiClient {
  /** The cluster's name, for messages. */
  readonly name: string;
  request<T>(method: ApiVerb, path: string, opts?: RequestOpts): Promise<T>;
}

/** What a reflector needs of a cluster, as client-go's ListerWatcher: a paged list and a watch. */
/** How long a watch request may wait for the apiserver's answer (its headers) before it counts as failed. */
export const WATCH_OPEN_TIMEOUT_MS = 10_000;
/** How long one request (each page of a list among them) may go unanswered unless its caller says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ListerWatcher {
  /** The cluster's name, for messages. */
  readonly name: string;
  list<T>(path: string, query?: Record<string, string | undefined>): Promise<ListResult<T>>;
  /**
   * `openTimeoutMs`: how long the apiserver may take to answer the watch before it counts as
   * failed; `onOpen`: called once the apiserver has answered with a stream (an idle collection
   * may then send nothing at all until the stream ends).
   */
  watch(path: string, query: WatchQuery, onEvent: (e: WatchEvent) => void, signal: AbortSignal, openTimeoutMs?: number, onOpen?: () => void): Promise<void>;
}

export type RequestObserver = (verb: string, path: string, status: number) => void;

export interface ClientOptions {
  /** Connections kept open to this apiserver. */
  maxSockets?: number;
  userAgent?: string;
}

function classify(err: NodeJS.ErrnoException, server: string): KubeConnectionError {
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new KubeConnectionError('dns', `cannot resolve the host of ${server} (${code})`);
  if (code === 'ECONNREFUSED') return new KubeConnectionError('refused', `connection to ${server} refused: nothing listens there`);
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' && /timeout/i.test(err.message)) return new KubeConnectionError('timeout', `no answer from ${server} in time`);
  if (/CERT|SSL|TLS|self.signed|certificate/i.test(code + err.message)) {
    return new KubeConnectionError('tls', `TLS with ${server} failed: ${code || err.message} (check certificate-authority and the server's name)`);
  }
  return new KubeConnectionError('network', `cannot reach ${server}: ${code || err.message}`);
}

/** What a connection is made with: a change of any of it re-makes the connections. */
type TlsMaterial = Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'>;

/**
 * Whether two sets of TLS material are the same, compared field by field (buffers by content):
 * asked on every request, so it must cost a comparison, not a serialization of the certificates.
 */
function sameTls(a: TlsMaterial, b: TlsMaterial | undefined): boolean {
  if (!b) return false;
  const same = (x: unknown, y: unknown): boolean => {
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return x.equals(y);
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => same(v, y[i]));
    return x === y;
  };
  return (['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const).every((k) => same(a[k], b[k]));
}

/**
 * Why the kubeconfig's credentials could not be turned into request options. A file it names
 * (certificate-authority, client-certificate, client-key) that cannot be read is named with its
 * field, since the exec plugin has nothing to do with it; anything else is the exec plugin or
 * token file. Paths are not secrets; the files' contents never reach a message.
 */
function credentialsError(name: string, kc: KubeConfig, err: unknown): KubeConnectionError {
  const e = err as NodeJS.ErrnoException;
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const files: [string | undefined, string][] = [[cluster?.caFile, 'certificate-authority'], [user?.certFile, 'client-certificate'], [user?.keyFile, 'client-key']];
  const field = typeof e.path === 'string' ? files.find(([f]) => f !== undefined && f === e.path)?.[1] : undefined;
  if (field) return new KubeConnectionError('credential-file', `${field} file ${e.path} named in the kubeconfig cannot be read (${e.code ?? 'unreadable'})`);
  // Exec plugins and token files fail here; their messages never carry the credential.
  return new KubeConnectionError('auth-plugin', `cannot get credentials for ${name}: ${(e?.message ?? String(err)).split('\n')[0]}`);
}

/** The server address of a kubeconfig's current cluster as a URL, or an error that names it (unless it could hold a password). */
function serverUrl(name: string, server: string): URL {
  try {
    const url = new URL(server);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // said below
  }
  const shown = server.includes('@') ? 'its server address' : `server "${server}"`;
  throw new Error(`kubeconfig for ${name}: ${shown} of the current context's cluster is not an https:// URL (write server: https://HOST:PORT)`);
}

export class KubeClient {
  readonly name: string;
  readonly server: string;
  private kc: KubeConfig;
  /** Where fromFile read the credentials: a rotated file is picked up without a restart. */
  private file?: KubeconfigFile;
  /** An inventory cluster's exec plugin (fromAccess): run again when its answer expires or is refused. */
  private exec?: ExecCredentialSource;
  private readonly base: URL;
  private agent?: Agent | HttpAgent;
  /** The TLS material the agent was made with; other material needs other connections. */
  private agentTls?: TlsMaterial;
  /** Counts credential changes, so a request refused with 401 knows whether newer ones exist. */
  private credentials = 0;
  private readonly opts: ClientOptions;
  private get userAgent(): string {
    return this.opts.userAgent ?? 'mcsync';
  }
  private observers: RequestObserver[] = [];

  constructor(name: string, kc: KubeConfig, opts: ClientOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig for ${name} has no cluster in its current context`);
    this.name = name;
    this.kc = kc;
    this.server = cluster.server.replace(/\/+$/, '');
    this.base = serverUrl(name, this.server);
    this.opts = opts;
  }

  static fromFile(name: string, path: string, context?: string, opts?: ClientOptions): KubeClient {
    const { file, kc } = KubeconfigFile.open(path, context);
    const client = new KubeClient(name, kc, opts);
    client.file = file;
    return client;
  }

  /**
   * An inventory cluster: the server and CA its access provider gives, credentials from the
   * provider file's exec plugin. The KubeConfig holds no user; the plugin's answer is added to
   * each request.
   */
  static fromAccess(name: string, access: ProfileAccess, opts?: ClientOptions): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{
        name,
        server: access.server,
        ...(access.caData !== undefined ? { caData: access.caData } : {}),
        ...(access.tlsServerName !== undefined ? { tlsServerName: access.tlsServerName } : {}),
        skipTLSVerify: access.insecureSkipTlsVerify === true,
      }],
      users: [{ name }],
      contexts: [{ name, cluster: name, user: name }],
      currentContext: name,
    });
    const client = new KubeClient(name, kc, opts);
    client.exec = new ExecCredentialSource({
      cluster: name,
      profile: access.profile,
      provider: access.provider,
      exec: access.exec,
      clusterInfo: {
        server: access.server,
        ...(access.caData !== undefined ? { 'certificate-authority-data': access.caData } : {}),
        ...(access.tlsServerName !== undefined ? { 'tls-server-name': access.tlsServerName } : {}),
        ...(access.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
        ...(access.execClusterConfig !== undefined ? { config: access.execClusterConfig } : {}),
      },
      timeoutMs: access.execTimeoutMs,
    });
    return client;
  }

  /** How many times this client's exec plugin has run (0 without one). */
  get execRuns(): number {
    return this.exec?.runs ?? 0;
  }

  /** The ServiceAccount of the pod this process runs in (token, CA and address mounted by Kubernetes). */
  static inCluster(name: string, opts?: ClientOptions): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return new KubeClient(name, kc, opts);
  }

  /** Called after every request with its verb, path and HTTP status (0 on a connection error). */
  observe(fn: RequestObserver): void {
    this.observers.push(fn);
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  /**
   * Takes in credentials read again from the file. The server address stays: another address
   * would be another cluster, which only a config reload may bring.
   */
  private useCredentials(kc: KubeConfig | undefined): void {
    if (!kc) return;
    this.kc = kc;
    this.credentials++;
  }

  /**
   * After a 401: the file is read again at once, and the answer is whether the credentials now
   * differ from those the refused request carried (`sentWith`, from requestOptions) — newer
   * ones may also have come in through a request that was refused at the same time.
   */
  private newerAfterUnauthorized(sentWith: number): boolean {
    if (this.exec) {
      // The plugin's answer was refused: dropped, so the one retry runs the plugin again.
      this.exec.invalidate(sentWith);
      return true;
    }
    this.useCredentials(this.file?.reread());
    return this.credentials !== sentWith;
  }

  private async requestOptions(): Promise<RequestOptions & { credentials: number }> {
    this.useCredentials(this.file?.changed());
    const o: RequestOptions = { headers: {} };
    try {
      await this.kc.applyToHTTPSOptions(o);
    } catch (err) {
      throw credentialsError(this.name, this.kc, err);
    }
    if (this.exec) {
      let cred;
      try {
        cred = await this.exec.get();
      } catch (err) {
        // Its message names the cluster, profile and provider already, and never the credential.
        if (err instanceof ExecCredentialError) throw new KubeConnectionError('auth-plugin', err.message);
        throw err;
      }
      // For an exec client the count is the plugin's answer: what a 401 drops.
      this.credentials = cred.generation;
      if (cred.token !== undefined) o.headers = { ...(o.headers ?? {}), Authorization: `Bearer ${cred.token}` };
      if (cred.cert !== undefined) {
        o.cert = cred.cert;
        o.key = cred.key;
      }
    }
    const tls: TlsMaterial = { ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx, passphrase: o.passphrase, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername };
    if (this.agent && !sameTls(tls, this.agentTls)) {
      // A rotated client certificate or CA: connections are re-made with it. A token travels
      // in each request's headers, so a rotated token keeps the connections (and open watches).
      this.agent.destroy();
      this.agent = undefined;
    }
    if (!this.agent) {
      const common = { keepAlive: true, maxSockets: this.opts.maxSockets ?? 16 };
      this.agent = this.base.protocol === 'http:' ? new HttpAgent(common) : new Agent({ ...common, ...tls });
      this.agentTls = tls;
    }
    return { headers: o.headers, auth: o.auth, agent: this.agent, credentials: this.credentials };
  }

  async request<T>(method: string, path: string, ro: RequestOpts = {}): Promise<T> {
    const sent = { credentials: this.credentials };
    try {
      return await this.send<T>(method, path, ro, sent);
    } catch (err) {
      // Refused before anything was done, so sending it again is safe, whatever the verb.
      if (err instanceof KubeApiError && err.status === 401 && this.newerAfterUnauthorized(sent.credentials)) return this.send<T>(method, path, ro, sent);
      throw err;
    }
  }

  private async send<T>(method: string, path: string, ro: RequestOpts, sent: { credentials: number }): Promise<T> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries(ro.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const base = await this.requestOptions();
    sent.credentials = base.credentials;
    const payload = ro.body === undefined ? undefined : Buffer.from(JSON.stringify(ro.body));
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (payload) {
      headers['Content-Type'] = ro.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    let status = 0;
    try {
      const { statusCode, text, retryAfter } = await new Promise<{ statusCode: number; text: string; retryAfter?: string }>((resolve, reject) => {
        const req = send(url, { method, headers, agent: base.agent, auth: base.auth, timeout: ro.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] as string | undefined }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
        req.on('error', reject);
        req.end(payload);
      });
      status = statusCode;
      if (statusCode >= 200 && statusCode < 300) return (text ? JSON.parse(text) : undefined) as T;
      let reason = 'Unknown';
      let message = text.slice(0, 500);
      try {
        const st = JSON.parse(text) as { reason?: string; message?: string };
        reason = st.reason ?? reason;
        message = st.message ?? message;
      } catch {
        // not a Status object (e.g. a proxy's HTML); keep the start of the text
      }
      const ra = retryAfter !== undefined ? Number(retryAfter) : undefined;
      throw new KubeApiError(statusCode, reason, `${method} ${path} on ${this.name}: ${statusCode} ${reason}: ${message}`, Number.isFinite(ra) ? ra : undefined);
    } catch (err) {
      if (err instanceof KubeApiError || err instanceof KubeConnectionError) throw err;
      throw classify(err as NodeJS.ErrnoException, this.server);
    } finally {
      for (const o of this.observers) o(method, path, status);
    }
  }

  /**
   * Opens a watch and calls `onEvent` for every event until the server ends the stream (its
   * timeoutSeconds), `signal` aborts it (resolves), or the connection fails (rejects). An HTTP
   * error status rejects with KubeApiError; a 410 inside the stream arrives as an ERROR event.
   */
  async watch(path: string, query: WatchQuery, onEvent: (e: WatchEvent) => void, signal: AbortSignal, openTimeoutMs = WATCH_OPEN_TIMEOUT_MS, onOpen?: () => void): Promise<void> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries({ ...query, watch: 1 })) if (v !== undefined) url.searchParams.set(k, String(v));
    const base = await this.requestOptions();
    const headers = { ...(base.headers as Record<string, string>), Accept: 'application/json', 'User-Agent': this.userAgent };
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    await new Promise<void>((resolve, reject) => {
      // A healthy apiserver answers a watch at once and streams afterwards; one that accepts the
      // connection but never answers (hung, or a blackholing proxy) would otherwise hold the
      // watch open with no error for as long as the inactivity watchdog allows, and the cluster
      // would never count as unavailable.
      const opened = setTimeout(() => req.destroy(Object.assign(new Error('no answer to the watch request in time'), { code: 'ETIMEDOUT' })), openTimeoutMs);
      const req = send(url, { method: 'GET', headers, agent: base.agent, auth: base.auth, signal }, (res) => {
        clearTimeout(opened);
        for (const o of this.observers) o('WATCH', path, res.statusCode ?? 0);
        if ((res.statusCode ?? 0) !== 200) {
          // The reflector retries the watch; with the file read again, it retries with what is there now.
          if (res.statusCode === 401) this.newerAfterUnauthorized(base.credentials);
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            let reason = 'Unknown';
            try { reason = (JSON.parse(text) as { reason?: string }).reason ?? reason; } catch { /* not a Status */ }
            reject(new KubeApiError(res.statusCode ?? 0, reason, `WATCH ${path} on ${this.name}: ${res.statusCode} ${reason}`));
          });
          return;
        }
        onOpen?.();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal.aborted ? resolve() : reject(classify(err as NodeJS.ErrnoException, this.server))));
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(classify(err as NodeJS.ErrnoException, this.server))));
      req.on('close', () => clearTimeout(opened));
      req.end();
    });
  }

  /** Lists every page of a collection (limit/continue), so huge collections do not arrive in one response. */
  async list<T>(path: string, query: Record<string, string | undefined> = {}, pageSize = 500): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.request<{ items: T[] | null; metadata: { continue?: string; resourceVersion: string } }>('GET', path, {
        query: { ...query, limit: pageSize, continue: cont },
      });
      items.push(...(page.items ?? []));
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }
}
