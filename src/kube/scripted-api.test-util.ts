// A scripted stand-in for one cluster's API, for unit tests of code that writes: it records
// every request and answers each from a script, in order, or fails the test loudly when a
// request was not scripted. It knows nothing of Kubernetes semantics; a test says what the
// server answers. Named *.test-util.ts so node --test does not run it as a test file.
import { KubeApiError, type ApiClient, type ApiVerb, type RequestOpts } from './client.ts';

export interface RecordedRequest {
  method: ApiVerb;
  path: string;
  body?: unknown;
  query?: RequestOpts['query'];
}

/** The answer to one request: a value, a thrown error, or a function of the request. */
export type Reply = { value: unknown } | { error: Error } | ((req: RecordedRequest) => unknown);

interface Scripted {
  method: ApiVerb;
  path: string;
  reply: Reply;
}

export class ScriptedApi implements ApiClient {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  readonly #script: Scripted[] = [];

  constructor(name = 'fake') {
    this.name = name;
  }

  /** Answers the next `method path` request (once) with `reply`; earlier entries for the same request go first. */
  on(method: ApiVerb, path: string, reply: Reply): this {
    this.#script.push({ method, path, reply });
    return this;
  }

  /** Requests scripted but not made yet. */
  get unanswered(): string[] {
    return this.#script.map((s) => `${s.method} ${s.path}`);
  }

  async request<T>(method: ApiVerb, path: string, opts: RequestOpts = {}): Promise<T> {
    const req: RecordedRequest = { method, path, ...(opts.body !== undefined ? { body: structuredClone(opts.body) } : {}), ...(opts.query ? { query: opts.query } : {}) };
    this.requests.push(req);
    const i = this.#script.findIndex((s) => s.method === method && s.path === path);
    if (i < 0) throw new Error(`unscripted request ${method} ${path}`);
    const [{ reply }] = this.#script.splice(i, 1) as [Scripted];
    if (typeof reply === 'function') return structuredClone(reply(req)) as T;
    if ('error' in reply) throw reply.error;
    return structuredClone(reply.value) as T;
  }
}

export function apiError(status: number, reason = 'Test'): { error: KubeApiError } {
  return { error: new KubeApiError(status, reason, `${status} ${reason}`) };
}

/** Echoes the request body back as the server would store it: with a resourceVersion and uid. */
export function stored(resourceVersion: string): (req: RecordedRequest) => unknown {
  return (req) => {
    const body = req.body as { metadata: Record<string, unknown> };
    return { ...body, metadata: { ...body.metadata, resourceVersion, uid: (body.metadata.uid as string | undefined) ?? `uid-${resourceVersion}` } };
  };
}
