// mcsync uses one class of @kubernetes/client-node: KubeConfig, for loading kubeconfigs and
// authenticating requests over Node's https (applyToHTTPSOptions). Its module also imports, for
// paths mcsync never takes, the package's whole generated API client (makeApiClient) and undici
// (the dispatchers of its fetch-based clients): together about 80 MB of resident memory, more
// than mcsync's caches hold at 10,000 endpoints. This hook, registered before anything imports
// the package, gives those two imports of config.js stand-ins with the same names, so neither
// is loaded. Everything else of client-node (auth plugins, TLS, proxy agents) loads as shipped.
// A namespace import: on a Node without registerHooks a named import would fail before the
// CLI could say which Node it needs.
import * as nodeModule from 'node:module';

const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';

/** What config.js imports that mcsync's use of it never reaches, and the names it takes from each. */
export const STANDS_IN_FOR: Readonly<Record<string, readonly string[]>> = {
  './gen/index.js': ['createConfiguration', 'ServerConfiguration'],
  undici: ['Agent', 'ProxyAgent'],
};

function standIn(specifier: string, names: readonly string[]): string {
  const lines = [
    `const unavailable = () => { throw new Error(${JSON.stringify(`mcsync loads @kubernetes/client-node without ${specifier}: only KubeConfig's https options are available`)}); };`,
    ...names.map((n) => (/^[A-Z]/.test(n) ? `export class ${n} { constructor() { unavailable(); } }` : `export function ${n}() { unavailable(); }`)),
  ];
  return `data:text/javascript;base64,${Buffer.from(lines.join('\n')).toString('base64')}`;
}

const URLS = new Map(Object.entries(STANDS_IN_FOR).map(([spec, names]) => [spec, standIn(spec, names)]));

/** The stand-in's URL when a resolution is config.js asking for one of those modules. */
export function standInFor(specifier: string, parentURL: string | undefined): string | undefined {
  return parentURL?.endsWith(CONFIG_MODULE) ? URLS.get(specifier) : undefined;
}

let registered = false;

/**
 * Installs the hook once; false when this Node has no synchronous module hooks (before 22.15),
 * in which case the package loads whole, as it would without the hook.
 */
export function slimClientNode(): boolean {
  if (registered) return true;
  const register = (nodeModule as Partial<typeof nodeModule>).registerHooks;
  if (typeof register !== 'function') return false;
  register({
    resolve(specifier, context, next) {
      const url = standInFor(specifier, context.parentURL);
      return url ? { url, shortCircuit: true } : next(specifier, context);
    },
  });
  registered = true;
  return true;
}
