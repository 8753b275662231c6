// A client whose requests give up sooner than the default 30 s unless the caller says
// otherwise: a destination that stops answering then holds a work item for seconds, not half
// a minute per attempt.
import type { ApiClient, ApiVerb, RequestOpts } from './client.ts';

export function withRequestTimeout(client: ApiClient, timeoutMs: number): ApiClient {
  return {
    name: client.name,
    request<T>(method: ApiVerb, path: string, opts: RequestOpts = {}): Promise<T> {
      return client.request<T>(method, path, { ...opts, timeoutMs: opts.timeoutMs ?? timeoutMs });
    },
  };
}
