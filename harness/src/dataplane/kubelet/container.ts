// What a kubelet works out for a container before it starts it, for the data-plane pod runtime:
// the environment (literal values, the downward-API fields, ConfigMap and Secret keys), the
// command line with $(VAR) references expanded, and whether that command exists on this host.
// The runtime runs the command, not the image: no image is pulled, so a container that names no
// command of its own cannot run here and says so in its status.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** What every container gets unless it sets the variable itself, as container runtimes do. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A container that cannot start, with the reason a kubelet would put in its waiting state. */
export class ContainerError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Reads one key of a ConfigMap or Secret (the runtime passes the API; tests pass a map). */
export type KeyReader = (kind: 'ConfigMap' | 'Secret', namespace: string, name: string, key: string) => Promise<string | undefined>;

/** The value of a downward-API field path, or undefined for one the kubelet would not resolve either. */
export function fieldValue(pod: V1Pod, fieldPath: string): string | undefined {
  const meta = pod.metadata ?? {};
  const bracket = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (bracket) return (bracket[1] === 'labels' ? meta.labels : meta.annotations)?.[bracket[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return meta.name;
    case 'metadata.namespace': return meta.namespace;
    case 'metadata.uid': return meta.uid;
    case 'spec.nodeName': return pod.spec?.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP': return pod.status?.hostIP;
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((x) => x.ip).join(',');
    case 'status.podIP': return pod.status?.podIP;
    // The kubelet joins them with commas, primary family first.
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((x) => x.ip).join(',');
    default: return undefined;
  }
}

/**
 * Expands $(NAME) from `vars` the way Kubernetes does in command, args and env values: `$$` is
 * a literal `$`, and a reference to an unknown name is left as written.
 */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      const name = close < 0 ? undefined : text.slice(i + 2, close);
      if (name !== undefined && vars.has(name)) {
        out += vars.get(name);
        i = close;
      } else if (name !== undefined) {
        out += text.slice(i, close + 1);
        i = close;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The container's environment, in order, each value resolved: PATH and HOSTNAME first (a
 * container's own setting wins), then its `env` entries, where later ones may refer to earlier
 * ones with $(NAME). `envFrom` and resource fields are not supported: they fail the container.
 */
export async function containerEnv(pod: V1Pod, container: V1Container, readKey: KeyReader): Promise<Map<string, string>> {
  const vars = new Map<string, string>([['PATH', DEFAULT_PATH], ['HOSTNAME', pod.metadata?.name ?? ''], ['HOME', '/root']]);
  if (container.envFrom?.length) {
    throw new ContainerError('CreateContainerConfigError', `container ${container.name}: envFrom is not supported by the harness's pod runtime`);
  }
  const namespace = pod.metadata?.namespace ?? 'default';
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.valueFrom?.fieldRef) {
      value = fieldValue(pod, e.valueFrom.fieldRef.fieldPath);
      if (value === undefined) throw new ContainerError('CreateContainerConfigError', `container ${container.name}: env ${e.name}: unsupported field path ${e.valueFrom.fieldRef.fieldPath}`);
    } else if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef!;
      const kind = e.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret';
      value = await readKey(kind, namespace, ref.name ?? '', ref.key);
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerError('CreateContainerConfigError', `container ${container.name}: env ${e.name}: ${kind} ${namespace}/${ref.name} has no key ${ref.key}`);
      }
    } else if (e.valueFrom) {
      throw new ContainerError('CreateContainerConfigError', `container ${container.name}: env ${e.name}: only fieldRef, configMapKeyRef and secretKeyRef are supported`);
    } else {
      value = expand(e.value ?? '', vars);
    }
    vars.set(e.name, value);
  }
  return vars;
}

/**
 * The command line: `command` then `args`, expanded. With no `command` the image's entrypoint
 * would run; there is no image here, so `args` alone are taken as the command line (right for
 * images without an entrypoint, such as shells and tool images). Neither: it cannot run.
 */
export function commandLine(container: V1Container, vars: ReadonlyMap<string, string>): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, vars));
  if (argv.length === 0) {
    throw new ContainerError('CreateContainerError',
      `container ${container.name}: no command or args; the harness runs a container's command on this host and ignores its image (${container.image ?? 'none'})`);
  }
  return argv;
}

/** The executable `name` resolves to with `path` (the container's PATH), or a ContainerError as a runtime reports it. */
export function resolveExecutable(name: string, path: string, containerName: string): string {
  const candidates = name.includes('/') ? [name] : path.split(':').filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not there, or not executable
    }
  }
  const where = name.includes('/') ? 'no such file' : 'executable file not found in $PATH';
  throw new ContainerError('RunContainerError', `container ${containerName}: exec: "${name}": ${where} (the harness runs commands from this host; install the package that provides it)`);
}
