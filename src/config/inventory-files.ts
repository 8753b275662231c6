// The files an inventory block names, read when the config loads: the provider file must parse
// and name plugins that exist, so a bad one stops every command before anything is contacted.
import { resolveKubeconfigPath } from './kubeconfig.ts';
import type { Add } from './positions.ts';
import { readProviderFile, type ProviderFileIssue } from './provider-file.ts';
import { isRecord } from './raw.ts';
import type { AccessProviderConfig } from './types.ts';

export function readInventoryProviders(raw: unknown, configDir: string, add: Add, addIssue: (issue: ProviderFileIssue) => void): AccessProviderConfig[] {
  const inv = isRecord(raw) ? raw['inventory'] : undefined;
  if (!isRecord(inv)) return [];
  const written = inv['providerFile'];
  if (typeof written !== 'string' || written === '') return [];
  const path = resolveKubeconfigPath(written, configDir);
  const shown = written === path ? path : `${written} (${path})`;
  const read = readProviderFile(path, path);
  if ('providers' in read) return read.providers;
  const only = read.issues.length === 1 ? read.issues[0]! : undefined;
  // A file that cannot be read is one problem, said where the config names it.
  if (only?.field === '(file)' && only.message.startsWith('provider file ')) {
    add(['inventory', 'providerFile'], `provider file ${shown}${only.message.slice('provider file'.length)}`);
    return [];
  }
  // Where the config names the file, then each problem where it is in the file.
  add(['inventory', 'providerFile'], `provider file ${shown} cannot be used: ${read.issues.length === 1 ? 'a problem' : `${read.issues.length} problems`} in it, each reported with its own line`);
  for (const issue of read.issues) addIssue(issue);
  return [];
}
