// mcsync uses one class of @kubernetes/client-node: KubeConfig, for loading kubeconfigs and
// authenticating requests. Its module imports the package's whole generated API client (about
// 50 MB of resident memory, a fifth of the controller's at 10,000 endpoints) for a single
// method mcsync never calls, makeApiClient. This hook, registered before anything imports the
// package, gives that one import a stand-in with the same names, so the generated client is
// never loaded. Everything else of client-node (auth plugins, TLS, proxies) loads as shipped.
import { registerHooks } from 'node:module';

/** The names config.js takes from the generated client; a test keeps this equal to what the installed version imports. */
export const GENERATED_IMPORTS = ['createConfiguration', 'ServerConfiguration'] as const;

const STAND_IN = [
  'const unavailable = () => { throw new Error("mcsync loads @kubernetes/client-node without its generated API client: KubeConfig.makeApiClient is not available"); };',
  'export function createConfiguration() { unavailable(); }',
  'export class ServerConfiguration { constructor() { unavailable(); } }',
].join('\n');

export const STAND_IN_URL = `data:text/javascript;base64,${Buffer.from(STAND_IN).toString('base64')}`;

/** Whether a resolution is config.js asking for the generated client. */
export function isGeneratedClientImport(specifier: string, parentURL: string | undefined): boolean {
  return specifier === './gen/index.js' && (parentURL?.endsWith('/@kubernetes/client-node/dist/config.js') ?? false);
}

let registered = false;

/**
 * Installs the hook once; false when this Node has no synchronous module hooks (before 22.15),
 * in which case the package loads whole, as it would without the hook.
 */
export function slimClientNode(): boolean {
  if (registered) return true;
  if (typeof registerHooks !== 'function') return false;
  registerHooks({
    resolve(specifier, context, next) {
      if (isGeneratedClientImport(specifier, context.parentURL)) return { url: STAND_IN_URL, shortCircuit: true };
      return next(specifier, context);
    },
  });
  registered = true;
  return true;
}
