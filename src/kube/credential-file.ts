// A kubeconfig file whose credentials may be rewritten while mcsync runs: a token or client
// certificate is rotated (a Secret volume update, an operator's script) and the old one
// revoked. The file is looked at again in two cases: its mtime changed (checked at most once a
// second, before a request), or the apiserver answered 401 (read at once, whatever the mtime
// says: an mtime can stay the same across a rewrite, and a revoked credential cannot wait).
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** How often the file's mtime is compared, at most. */
export const CREDENTIAL_CHECK_MS = 1000;

export class KubeconfigFile {
  readonly path: string;
  readonly context: string | undefined;
  /** The text the current credentials came from: a re-read that finds the same text changes nothing. */
  #text: string;
  /**
   * The token the current credentials hold. A `token-file:` is read when the kubeconfig is
   * parsed, so a rotated token file changes nothing in the kubeconfig's own text: after a 401 the
   * kubeconfig is parsed again and the token compared.
   */
  #token: string | undefined;
  #mtimeMs: number;
  #checkedAt: number;
  readonly #now: () => number;

  private constructor(path: string, context: string | undefined, text: string, token: string | undefined, mtimeMs: number, now: () => number) {
    this.path = path;
    this.context = context;
    this.#text = text;
    this.#token = token;
    this.#mtimeMs = mtimeMs;
    this.#now = now;
    this.#checkedAt = now();
  }

  /** Reads the file once; throws as KubeConfig.loadFromFile does when it does not load. */
  static open(path: string, context?: string, now: () => number = Date.now): { file: KubeconfigFile; kc: KubeConfig } {
    const mtimeMs = statSync(path).mtimeMs;
    const text = readFileSync(path, 'utf8');
    const kc = parse(path, text, context, false);
    return { file: new KubeconfigFile(path, context, text, kc.getCurrentUser()?.token, mtimeMs, now), kc };
  }

  /** New credentials when the file's mtime moved since the last look (at most once a second). */
  changed(): KubeConfig | undefined {
    const now = this.#now();
    if (now - this.#checkedAt < CREDENTIAL_CHECK_MS) return undefined;
    this.#checkedAt = now;
    const mtimeMs = mtimeOf(this.path);
    if (mtimeMs === undefined || mtimeMs === this.#mtimeMs) return undefined;
    return this.#reload(mtimeMs);
  }

  /** After a 401: the file read now; new credentials only when its text differs from the current ones'. */
  reread(): KubeConfig | undefined {
    this.#checkedAt = this.#now();
    const mtimeMs = mtimeOf(this.path);
    return mtimeMs === undefined ? undefined : this.#reload(mtimeMs, true);
  }

  #reload(mtimeMs: number, tokenFileToo = false): KubeConfig | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const sameText = text === this.#text;
    if (sameText && !(tokenFileToo && /token-file\s*:/.test(text))) {
      this.#mtimeMs = mtimeMs;
      return undefined;
    }
    let kc: KubeConfig;
    try {
      kc = parse(this.path, text, this.context, true);
    } catch {
      // Half written, or broken: keep the credentials that work and look again next time.
      return undefined;
    }
    const token = kc.getCurrentUser()?.token;
    this.#mtimeMs = mtimeMs;
    if (sameText && token === this.#token) return undefined;
    this.#text = text;
    this.#token = token;
    return kc;
  }
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** What KubeConfig.loadFromFile does, from text already read: relative paths resolve against the file's directory. */
function parse(path: string, text: string, context: string | undefined, needCluster: boolean): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  kc.makePathsAbsolute(dirname(path));
  if (context) kc.setCurrentContext(context);
  // On the first read the client says it, with the cluster's name; on a re-read the old credentials stay.
  if (needCluster && !kc.getCurrentCluster()) throw new Error(`${path}: no cluster in its current context`);
  return kc;
}
