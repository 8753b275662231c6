// Kubeconfigs: opened and inspected locally; nothing from inside them reaches an error message,
// because a kubeconfig holds tokens and keys and these messages end up in logs and CI output.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Add, Path } from './positions.ts';
import { isRecord, records } from './raw.ts';
import { fileProblem } from './wording.ts';

export function resolveKubeconfigPath(p: string, configDir: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(configDir, p);
}

type KubeconfigInfo = { contexts: string[]; current: string | undefined } | { problem: string };

function inspectKubeconfig(path: string): KubeconfigInfo {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    return { problem: kubeconfigProblem(err) };
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (contexts.length === 0) return { problem: 'is not a valid kubeconfig (it has no contexts)' };
  const current = kc.getCurrentContext();
  return { contexts, current: typeof current === 'string' && current !== '' ? current : undefined };
}

/** A short reason built only from error codes, positions and client-node's fixed field-path messages. */
function kubeconfigProblem(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; mark?: { line?: unknown } };
  if (typeof e.code === 'string') return fileProblem('', err).trimStart();
  if (e.name === 'YAMLException') {
    if (typeof e.mark?.line === 'number') return `is not a valid kubeconfig (YAML error at line ${e.mark.line + 1})`;
    if (typeof e.message === 'string' && e.message.includes('input is empty')) return 'is empty';
    return 'is not a valid kubeconfig (not YAML)';
  }
  if (typeof e.message === 'string') {
    const missing = /^((?:clusters|users|contexts)\[\d+\]\.[a-z.]+ is missing)$/.exec(e.message);
    if (missing) return `is not a valid kubeconfig (${missing[1]})`;
  }
  return 'is not a valid kubeconfig';
}

export function checkKubeconfigs(raw: unknown, configDir: string, add: Add): void {
  if (!isRecord(raw)) return;
  const cache = new Map<string, KubeconfigInfo>();
  for (const [c, i] of records(raw['clusters'])) checkKubeconfig(c, ['clusters', i], configDir, add, cache);
  const hub = isRecord(raw['inventory']) ? raw['inventory']['hub'] : undefined;
  if (isRecord(hub)) checkKubeconfig(hub, ['inventory', 'hub'], configDir, add, cache);
}

/** One `kubeconfig` (and `context`) field at `base`: the file opens and the context is in it. */
function checkKubeconfig(c: Record<string, unknown>, base: Path, configDir: string, add: Add, cache: Map<string, KubeconfigInfo>): void {
  const written = c['kubeconfig'];
  if (written === undefined && typeof c['context'] === 'string') {
    // Without kubeconfig: the in-cluster ServiceAccount is used, and it has no contexts: the
    // context would be ignored without a word, and the wrong cluster used.
    add([...base, 'context'], `context "${c['context']}" needs a kubeconfig: to pick it from; add kubeconfig: PATH, or remove context: to use the in-cluster ServiceAccount`);
    return;
  }
  if (typeof written !== 'string' || written === '') return;
  const path = resolveKubeconfigPath(written, configDir);
  let info = cache.get(path);
  if (info === undefined) {
    info = inspectKubeconfig(path);
    cache.set(path, info);
  }
  const shown = written === path ? path : `${written} (${path})`;
  const kubeconfigAt: Path = [...base, 'kubeconfig'];
  if ('problem' in info) {
    add(kubeconfigAt, `kubeconfig ${shown} ${info.problem}`);
    return;
  }
  const context = c['context'];
  if (typeof context === 'string' && context !== '') {
    if (!info.contexts.includes(context)) add([...base, 'context'], `context "${context}" is not in kubeconfig ${shown}`);
  } else if (context === undefined) {
    if (info.current === undefined) {
      add(kubeconfigAt, `kubeconfig ${shown} has no current-context; name one with "context:"`);
    } else if (!info.contexts.includes(info.current)) {
      add(kubeconfigAt, `kubeconfig ${shown} has a current-context that is not one of its contexts; name one with "context:"`);
    }
  }
}
