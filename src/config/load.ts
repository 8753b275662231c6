// Reads the config file and turns it into a Config, or into one ConfigError that lists every
// problem at once, each with file, line and field, so a user fixes a broken file in one pass
// instead of one error per run.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { configSchema } from './schema.ts';
import type { Config } from './types.ts';
import { fieldName, Locator, type Path } from './positions.ts';
import { describe, explainZodIssue, fileProblem } from './wording.ts';
import { checkSemantics } from './checks.ts';
import { checkKubeconfigs } from './kubeconfig.ts';
import { buildConfig } from './build.ts';
import { readInventoryProviders } from './inventory-files.ts';

export interface ConfigIssue {
  file: string;
  /** 1-based; 1 for problems with the file as a whole. */
  line: number;
  /** Dotted path such as clusters[1].services[0].nameMatches[2], or (file) / (root). */
  field: string;
  message: string;
}

export interface LoadOptions {
  /** Open every kubeconfig and check its context (default true). No server is contacted. */
  checkKubeconfigs?: boolean;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}: ${issue.field}: ${issue.message}`;
}

/**
 * Reads and validates the config file at `path`. Error messages name the file as given here
 * (what the user typed); Config.file is absolute.
 */
export function loadConfig(path: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file: path, line: 1, field: '(file)', message: fileProblem('config file', err) }]);
  }
  return parseConfigText(text, path, opts);
}

/** As loadConfig, from text already in memory; `file` names it in errors and anchors relative kubeconfig paths. */
export function parseConfigText(text: string, file: string, opts: LoadOptions = {}): Config {
  const fail = (line: number, field: string, message: string): never => {
    throw new ConfigError([{ file, line, field, message }]);
  };
  const empty = 'the file is empty; it needs at least a clusters list';
  if (text.trim() === '') fail(1, '(file)', empty);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    // Validating a half-parsed document would only add noise on top of the real mistake.
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 1,
        field: '(file)',
        // The pretty message repeats the position and quotes the source; the issue carries both already.
        message: `YAML syntax error: ${e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim()}`,
      })),
    );
  }
  const locator = new Locator(doc, lineCounter);
  const top = locator.deref(doc.contents);
  if (top == null || (isScalar(top) && top.value == null)) fail(1, '(file)', empty);

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // toJS refuses alias bombs ("Excessive alias count"); its message holds no file content.
    fail(1, '(file)', `YAML error: ${(err as Error).message}`);
  }
  if (!isMap(top)) {
    fail(locator.line([]), '(root)', `the top level must be a mapping with a clusters list, got ${describe(raw)}`);
  }

  const issues: ConfigIssue[] = [];
  const add = (path: Path, message: string): void => {
    issues.push({ file, line: locator.line(path), field: fieldName(path), message });
  };

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const [path, message] of explainZodIssue(issue, raw)) add(path, message);
    }
  }
  // These run on the raw value so they report alongside the schema's findings, not after a second run.
  checkSemantics(raw, add);
  const absFile = resolve(file);
  if (opts.checkKubeconfigs ?? true) checkKubeconfigs(raw, dirname(absFile), add);
  // The inventory's provider file is read with the config: a problem in it is one in the config.
  const providers = readInventoryProviders(raw, dirname(absFile), add, (issue) => issues.push(issue));

  if (issues.length > 0 || !parsed.success) throw new ConfigError(sortIssues(issues));
  return buildConfig(parsed.data, absFile, (path) => ({ file, line: locator.line(path), field: fieldName(path) }), providers);
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const k = formatIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line);
}
