// The access-provider file of KEP-5339 (the file upstream controllers take as
// --clusterprofile-provider-file): which exec plugin gives credentials for each access provider
// a ClusterProfile may list.
//
//   {"providers": [{"name": "secretreader",
//                   "execConfig": {"apiVersion": "client.authentication.k8s.io/v1",
//                                  "command": "/usr/local/bin/secretreader-plugin",
//                                  "args": [], "env": [], "provideClusterInfo": true},
//                   "profileSourcedCLIArgsPolicy": "Append"}]}
//
// Read once with the config; every problem names the provider file, its line and the field.
// Fields other consumers of the format may add are ignored, as the upstream library does.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { EXEC_API_VERSIONS, type ExecApiVersion } from '../vocab/inventory.ts';
import { fieldName, Locator, type Path } from './positions.ts';
import { isRecord } from './raw.ts';
import type { AccessProviderConfig } from './types.ts';
import { fileProblem } from './wording.ts';

export interface ProviderFileIssue {
  file: string;
  line: number;
  field: string;
  message: string;
}

const ARGS_POLICIES = ['Append', 'Ignore'] as const;
const ENVS_POLICIES = ['AppendIfNotExists', 'Replace', 'Ignore'] as const;

/**
 * Reads the provider file at `path` (absolute); `shown` names it in issues. Returns the
 * providers, or the issues that stop it from being used (never both).
 */
export function readProviderFile(path: string, shown: string, env: NodeJS.ProcessEnv = process.env): { providers: AccessProviderConfig[] } | { issues: ProviderFileIssue[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { issues: [{ file: shown, line: 1, field: '(file)', message: fileProblem('provider file', err) }] };
  }
  return parseProviderFile(text, path, shown, env);
}

export function parseProviderFile(text: string, path: string, shown: string, env: NodeJS.ProcessEnv = process.env): { providers: AccessProviderConfig[] } | { issues: ProviderFileIssue[] } {
  const lineCounter = new LineCounter();
  // JSON is what the KEP writes; YAML, its superset, reads it the same and gives lines.
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    return { issues: doc.errors.map((e) => ({ file: shown, line: e.linePos?.[0].line ?? 1, field: '(file)', message: `not JSON or YAML: ${e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim()}` })) };
  }
  const locator = new Locator(doc, lineCounter);
  const issues: ProviderFileIssue[] = [];
  const add = (p: Path, message: string): void => {
    issues.push({ file: shown, line: locator.line(p), field: fieldName(p), message });
  };
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    return { issues: [{ file: shown, line: 1, field: '(file)', message: `YAML error: ${(err as Error).message}` }] };
  }
  if (!isRecord(raw) || !Array.isArray(raw['providers'])) {
    add([], 'must be an object with a "providers" list');
    return { issues };
  }
  const providers: AccessProviderConfig[] = [];
  const seen = new Map<string, number>();
  raw['providers'].forEach((p: unknown, i: number) => {
    const at: Path = ['providers', i];
    if (!isRecord(p)) return add(at, 'must be an object with name and execConfig');
    const name = p['name'];
    if (typeof name !== 'string' || name === '') return add([...at, 'name'], 'must be a non-empty string');
    const first = seen.get(name);
    if (first !== undefined) return add([...at, 'name'], `duplicate provider "${name}" (already providers[${first}])`);
    seen.set(name, i);
    const ec = p['execConfig'];
    if (!isRecord(ec)) return add([...at, 'execConfig'], `provider "${name}" has no execConfig object`);
    const before = issues.length;
    const apiVersion = ec['apiVersion'];
    if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion)) add([...at, 'execConfig', 'apiVersion'], `must be one of ${EXEC_API_VERSIONS.join(', ')}`);
    const command = ec['command'];
    let resolved = '';
    if (typeof command !== 'string' || command === '') add([...at, 'execConfig', 'command'], 'must be a non-empty string');
    else {
      const found = findCommand(command, dirname(path), env);
      if (typeof found === 'string') resolved = found;
      else add([...at, 'execConfig', 'command'], `plugin of provider "${name}" ${found.problem}`);
    }
    const args = ec['args'] ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) add([...at, 'execConfig', 'args'], 'must be a list of strings');
    const envList = ec['env'] ?? [];
    if (!Array.isArray(envList) || envList.some((e) => !isRecord(e) || typeof e['name'] !== 'string' || e['name'] === '' || typeof e['value'] !== 'string')) {
      add([...at, 'execConfig', 'env'], 'must be a list of {name, value} strings');
    }
    const provideClusterInfo = ec['provideClusterInfo'] ?? false;
    if (typeof provideClusterInfo !== 'boolean') add([...at, 'execConfig', 'provideClusterInfo'], 'must be true or false');
    // mcsync runs unattended: a plugin that must ask a person could only hang.
    if (ec['interactiveMode'] === 'Always') add([...at, 'execConfig', 'interactiveMode'], 'is Always, but mcsync runs plugins without a terminal (use Never or IfAvailable)');
    const argsPolicy = p['profileSourcedCLIArgsPolicy'] ?? 'Ignore';
    if (!ARGS_POLICIES.includes(argsPolicy as never)) add([...at, 'profileSourcedCLIArgsPolicy'], `must be one of ${ARGS_POLICIES.join(', ')}`);
    const envsPolicy = p['profileSourcedEnvVarsPolicy'] ?? 'Ignore';
    if (!ENVS_POLICIES.includes(envsPolicy as never)) add([...at, 'profileSourcedEnvVarsPolicy'], `must be one of ${ENVS_POLICIES.join(', ')}`);
    if (issues.length > before) return;
    providers.push({
      name,
      exec: {
        apiVersion: apiVersion as ExecApiVersion,
        command: resolved,
        args: args as string[],
        env: (envList as { name: string; value: string }[]).map((e) => ({ name: e.name, value: e.value })),
        provideClusterInfo: provideClusterInfo as boolean,
      },
      argsPolicy: argsPolicy as AccessProviderConfig['argsPolicy'],
      envsPolicy: envsPolicy as AccessProviderConfig['envsPolicy'],
    });
  });
  if (issues.length === 0 && providers.length === 0) add(['providers'], 'is empty: no access provider could give credentials');
  return issues.length > 0 ? { issues } : { providers };
}

/**
 * As client-go finds an exec command: a name with a slash is a path (relative ones against the
 * file that names it), a bare name is looked up on PATH. The absolute path, or why there is none.
 */
export function findCommand(command: string, baseDir: string, env: NodeJS.ProcessEnv): string | { problem: string } {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(baseDir, command);
    return executable(p) ? p : { problem: `was not found: ${p} is not an executable file` };
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && executable(join(dir, command))) return join(dir, command);
  }
  return { problem: `was not found: no executable "${command}" on PATH` };
}
