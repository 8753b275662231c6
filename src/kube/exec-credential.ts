// Credentials from an exec plugin, by client-go's exec-credential protocol
// (client.authentication.k8s.io v1 / v1beta1): the plugin gets an ExecCredential in
// KUBERNETES_EXEC_INFO (with the cluster when provideClusterInfo) and prints one with a token or
// a client certificate. The answer is kept until its expirationTimestamp, and dropped on a 401
// so the next request runs the plugin again. client-node's own exec support keeps answers
// the same way but never drops one on a 401, passes no KUBERNETES_EXEC_INFO and waits forever
// for a plugin that hangs, so inventory clusters use this instead.
//
// Errors name the cluster, its ClusterProfile and provider, never the credential: the plugin's
// output is never quoted, and its stderr only with anything token-like taken out.
import { spawn } from 'node:child_process';
import { EXEC_INFO_ENV, type ExecClusterInfo, type ExecConfig, type ExecCredential, type ExecCredentialStatus } from '../vocab/inventory.ts';

export interface ExecTarget {
  /** The cluster's name in mcsync, its profile (namespace/name) and provider: what errors name. */
  cluster: string;
  profile: string;
  provider: string;
  exec: ExecConfig;
  /** What the plugin gets as spec.cluster when provideClusterInfo. */
  clusterInfo: ExecClusterInfo;
  timeoutMs: number;
}

export interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** Epoch ms; undefined: good until refused. */
  expiresAt?: number;
  /** Counts the plugin's answers, so a 401 drops only the answer the refused request carried. */
  generation: number;
}

export class ExecCredentialError extends Error {
  override name = 'ExecCredentialError';
}

/** Most of what a plugin may print; a plugin that prints more is broken, not slow. */
const MAX_OUTPUT = 1 << 20;

export class ExecCredentialSource {
  readonly target: ExecTarget;
  readonly #now: () => number;
  #current?: Credential;
  #running?: Promise<Credential>;
  #generation = 0;
  /** How many times the plugin ran: for tests and metrics. */
  runs = 0;

  constructor(target: ExecTarget, now: () => number = Date.now) {
    this.target = target;
    this.#now = now;
  }

  /** The credential to send now: the kept one while it has not expired, else the plugin's new answer. */
  async get(): Promise<Credential> {
    const c = this.#current;
    if (c && (c.expiresAt === undefined || this.#now() < c.expiresAt)) return c;
    // Requests that need a credential at the same moment share one run of the plugin.
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** After a 401: the credential of that generation is refused; the next get() runs the plugin again. */
  invalidate(generation: number): void {
    if (this.#current?.generation === generation) this.#current = undefined;
  }

  /** Where this plugin's errors start: which cluster, profile and provider. */
  private what(): string {
    const t = this.target;
    return `cluster ${t.cluster}: credential plugin of access provider "${t.provider}" (ClusterProfile ${t.profile})`;
  }

  async #run(): Promise<Credential> {
    const t = this.target;
    const input: ExecCredential = {
      apiVersion: t.exec.apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false, ...(t.exec.provideClusterInfo ? { cluster: t.clusterInfo } : {}) },
    };
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of t.exec.env) env[e.name] = e.value;
    env[EXEC_INFO_ENV] = JSON.stringify(input);
    this.runs++;
    const { code, signal, stdout, stderr, timedOut, spawnError } = await runPlugin(t.exec.command, t.exec.args, env, t.timeoutMs);
    if (spawnError) throw new ExecCredentialError(`${this.what()} could not be started: ${t.exec.command}: ${spawnError}`);
    if (timedOut) throw new ExecCredentialError(`${this.what()} did not answer within ${Math.round(t.timeoutMs / 100) / 10}s and was stopped`);
    if (code !== 0) {
      const why = lastLine(scrub(stderr, this.#current));
      throw new ExecCredentialError(`${this.what()} failed (${signal ? `signal ${signal}` : `exit code ${code}`})${why ? `: ${why}` : ''}`);
    }
    const cred = this.#parse(stdout);
    this.#current = cred;
    return cred;
  }

  #parse(stdout: string): Credential {
    const bad = (why: string): never => {
      throw new ExecCredentialError(`${this.what()} printed no usable ExecCredential: ${why}`);
    };
    let out: unknown;
    try {
      out = JSON.parse(stdout);
    } catch {
      return bad('its output is not JSON');
    }
    const o = out as Partial<ExecCredential> | null;
    if (o === null || typeof o !== 'object') return bad('its output is not a JSON object');
    if (o.kind !== 'ExecCredential') return bad('kind is not ExecCredential');
    if (o.apiVersion !== this.target.exec.apiVersion) return bad(`apiVersion is ${JSON.stringify(o.apiVersion)}, the provider file asks for ${this.target.exec.apiVersion}`);
    const st: ExecCredentialStatus | undefined = o.status;
    if (!st || typeof st !== 'object') return bad('it has no status');
    const token = typeof st.token === 'string' && st.token !== '' ? st.token : undefined;
    const cert = typeof st.clientCertificateData === 'string' && st.clientCertificateData !== '' ? st.clientCertificateData : undefined;
    const key = typeof st.clientKeyData === 'string' && st.clientKeyData !== '' ? st.clientKeyData : undefined;
    if ((cert === undefined) !== (key === undefined)) return bad('status has only one of clientCertificateData and clientKeyData');
    if (token === undefined && cert === undefined) return bad('status has neither a token nor a client certificate');
    let expiresAt: number | undefined;
    if (st.expirationTimestamp !== undefined) {
      expiresAt = Date.parse(st.expirationTimestamp);
      if (!Number.isFinite(expiresAt)) return bad('status.expirationTimestamp is not an RFC 3339 time');
    }
    return { ...(token ? { token } : {}), ...(cert ? { cert, key: key! } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}), generation: ++this.#generation };
  }
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: string;
}

function runPlugin(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    // stdin is closed: an unattended plugin that reads it would only ever wait.
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' ? 'not executable' : (err.code ?? err.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ...(spawnError !== undefined ? { spawnError } : {}) });
    });
  });
}

/** Takes out of a plugin's error text what could be a credential: the one it gave before, bearer tokens, JWTs, PEM blocks. */
export function scrub(text: string, previous?: Pick<Credential, 'token'>): string {
  let out = text;
  if (previous?.token) out = out.split(previous.token).join('[redacted]');
  return out
    .replace(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g, '[redacted]')
    .replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted]')
    .replace(/(bearer\s+)\S+/gi, '$1[redacted]')
    .replace(/("?token"?\s*[:=]\s*"?)[^"\s,}]+/gi, '$1[redacted]');
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.at(-1) ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
