// Reads the config file and turns it into a Config, or into one ConfigError that lists every
// problem at once, each with file, line and field, so a user fixes a broken file in one pass
// instead of one error per run.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { clusterEntry, configSchema, durationMs, serviceEntry, type RawConfig } from './schema.ts';
import type { ClusterConfig, Config, CopyFilter, ExportRule, SourcePos } from './types.ts';
import { parseLabelSelector } from '../vocab/selector.ts';
import { MCS_SERVICE_NAME, MCS_SOURCE_CLUSTER, SERVICE_NAME, SLICE_MANAGED_BY } from '../vocab/labels.ts';

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

  if (issues.length > 0 || !parsed.success) throw new ConfigError(sortIssues(issues));
  return buildConfig(parsed.data, absFile, (path) => ({ file, line: locator.line(path), field: fieldName(path) }));
}

// ---------------------------------------------------------------------------------------------
// Positions

type Path = (string | number)[];

function fieldName(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Label keys like app.kubernetes.io/name would be ambiguous in dotted form.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

class Locator {
  readonly doc: Document;
  readonly lineCounter: LineCounter;

  constructor(doc: Document, lineCounter: LineCounter) {
    this.doc = doc;
    this.lineCounter = lineCounter;
  }

  deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private lineOf(node: unknown, fallback: number): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lineCounter.linePos(range[0]).line : fallback;
  }

  /**
   * Line of the node at `path`, or of its nearest existing ancestor (a missing required key is
   * reported where its parent starts). A mapping's value is reported at its key's line: that is
   * where the user wrote the field, even when the value starts on a later line.
   */
  line(path: Path): number {
    let node = this.deref(this.doc.contents);
    let line = this.lineOf(node, 1);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) return line;
        line = this.lineOf(pair.key, line);
        node = this.deref(pair.value);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return line;
        line = this.lineOf(item, line);
        node = this.deref(item);
      } else {
        return line;
      }
    }
    return line;
  }
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
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

// ---------------------------------------------------------------------------------------------
// Schema issues, in words a user of the YAML file recognises (mapping, list) rather than zod's

function explainZodIssue(issue: z.core.$ZodIssue, raw: unknown): [Path, string][] {
  const path: Path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      // Named at each key's own line, so two stray keys are two issues the user can jump to.
      return issue.keys.map((key) => [[...path, key], unknownKeyMessage(path, key)]);
    case 'invalid_type': {
      if (value === undefined) return [[path, `missing required field "${String(path.at(-1))}"`]];
      return [[path, `must be ${expectedName(issue.expected)}, got ${describe(value)}${typeHint(issue.expected, value)}`]];
    }
    case 'invalid_value':
      return [[path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`]];
    case 'too_small':
      return [[path, sizeMessage('least', issue.origin, issue.minimum)]];
    case 'too_big':
      return [[path, sizeMessage('most', issue.origin, issue.maximum)]];
    case 'invalid_format':
      return [[path, `${issue.message}, got ${describe(value)}`]];
    case 'custom':
      if (typeof value === 'string' && issue.message.startsWith('invalid regular expression')) {
        return [[path, regexMessage(value)]];
      }
      return [[path, issue.message]];
    default:
      return [[path, issue.message]];
  }
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${expected}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}

function typeHint(expected: string, value: unknown): string {
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return ' (quote it to make it a string)';
  }
  // YAML 1.1, which the original's PyYAML spoke, read these as booleans; YAML 1.2 does not.
  if (expected === 'boolean' && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)) {
    return ' (write true or false)';
  }
  return '';
}

function sizeMessage(bound: 'least' | 'most', origin: string, limit: number | bigint): string {
  if (origin === 'number' || origin === 'int' || origin === 'bigint') return `must be at ${bound} ${limit}`;
  if (bound === 'least' && Number(limit) === 1) return 'must not be empty';
  const unit = origin === 'string' ? 'characters' : 'entries';
  return `must have at ${bound} ${limit} ${unit}`;
}

function regexMessage(src: string): string {
  let reason = 'not a valid regular expression';
  try {
    new RegExp(src);
  } catch (err) {
    const message = (err as Error).message;
    const prefix = `Invalid regular expression: /${src}/: `;
    reason = message.startsWith(prefix) ? message.slice(prefix.length) : message;
  }
  const python = src.includes('(?P') ? ' (Python\'s (?P<name>...) is written (?<name>...) here)' : '';
  return `invalid regular expression ${JSON.stringify(src)}: ${reason}${python}`;
}

function keysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The keys the schema allows in the object at `path`, found by walking the schema alongside it. */
function allowedKeysAt(path: Path): string[] {
  let schema: z.ZodType = configSchema;
  for (const seg of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodObject && typeof seg === 'string') schema = schema.shape[seg] as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
    if (schema === undefined) return [];
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return keysOf(schema);
}

function unknownKeyMessage(path: Path, key: string): string {
  const base = `unknown key "${key}"`;
  // The common mistake is a key one level too high: a cluster field at the top, a filter on the cluster.
  if (path.length === 0 && keysOf(clusterEntry).includes(key)) return `${base} (it belongs in an entry of clusters)`;
  if (path.length === 2 && path[0] === 'clusters' && keysOf(serviceEntry).includes(key)) {
    return `${base} (it belongs in an entry of services)`;
  }
  const allowed = allowedKeysAt(path);
  const near = allowed.find((k) => k.toLowerCase() === key.toLowerCase()) ?? allowed.find((k) => editDistance(k, key) <= 2);
  if (near !== undefined) return `${base}; did you mean "${near}"?`;
  return allowed.length > 0 ? `${base}; expected one of: ${allowed.join(', ')}` : base;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Checks the schema cannot express: references between clusters, selector syntax, label syntax

type Add = (path: Path, message: string) => void;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function records(v: unknown): [Record<string, unknown>, number][] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i): [Record<string, unknown>, number][] => (isRecord(item) ? [[item, i]] : []));
}

function checkSemantics(raw: unknown, add: Add): void {
  if (!isRecord(raw)) return;
  const clusters = records(raw['clusters']);
  const firstIndex = new Map<string, number>();
  for (const [c, i] of clusters) {
    const name = c['name'];
    if (typeof name !== 'string') continue;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else add(['clusters', i, 'name'], `duplicate cluster name "${name}" (already used by clusters[${first}])`);
  }
  const known = [...firstIndex.keys()];

  const checkExportTo = (list: unknown, path: Path, self: unknown): void => {
    if (!Array.isArray(list)) return;
    list.forEach((dest, k) => {
      if (typeof dest !== 'string' || dest === '') return;
      if (dest === self) add([...path, k], `"${dest}" is this cluster itself; replicas only go to other clusters`);
      else if (!firstIndex.has(dest)) add([...path, k], `unknown cluster "${dest}" (the clusters are: ${known.join(', ')})`);
    });
  };

  for (const [c, i] of clusters) {
    const base: Path = ['clusters', i];
    checkExportTo(c['exportTo'], [...base, 'exportTo'], c['name']);
    const services = c['services'];
    for (const [entry, j] of records(services)) {
      const path: Path = [...base, 'services', j];
      const selector = entry['labelSelector'];
      if (typeof selector === 'string' && selector !== '') {
        try {
          parseLabelSelector(selector);
        } catch (err) {
          add([...path, 'labelSelector'], `invalid label selector ${JSON.stringify(selector)}: ${(err as Error).message}`);
        }
      }
      checkExportTo(entry['exportTo'], [...path, 'exportTo'], c['name']);
    }
    // Without entries these cluster-level defaults apply to nothing; silently ignoring them is
    // exactly what the strict schema exists to prevent.
    if (services === undefined || (Array.isArray(services) && services.length === 0)) {
      for (const key of ['nameMatches', 'exportTo']) {
        if (c[key] !== undefined) {
          add([...base, key], `has no effect: this cluster has no services entries to apply it to (add services: [{}] to export all its Services)`);
        }
      }
    }
    checkReplicaMetadata(c['replicaLabels'], [...base, 'replicaLabels'], 'label', add);
    checkReplicaMetadata(c['replicaAnnotations'], [...base, 'replicaAnnotations'], 'annotation', add);
  }
  checkLeaderElection(raw['leaderElection'], firstIndex, known, add);
}

/** client-go's rule: retryPeriod < renewDeadline < leaseDuration, or a leader loses its lease while renewing on time. */
function checkLeaderElection(le: unknown, clusters: Map<string, number>, known: string[], add: Add): void {
  if (!isRecord(le)) return;
  const cluster = le['cluster'];
  if (typeof cluster === 'string' && cluster !== '' && !clusters.has(cluster)) {
    add(['leaderElection', 'cluster'], `unknown cluster "${cluster}" (the clusters are: ${known.join(', ')})`);
  }
  const ms = (key: string, dflt: string): number | undefined => {
    const v = le[key] ?? dflt;
    try {
      return typeof v === 'number' || typeof v === 'string' ? durationMs(v) : undefined;
    } catch {
      return undefined;
    }
  };
  const lease = ms('leaseDuration', '15s');
  const renew = ms('renewDeadline', '10s');
  const retry = ms('retryPeriod', '2s');
  if (lease === undefined || renew === undefined || retry === undefined || [lease, renew, retry].some(Number.isNaN)) return;
  if (renew >= lease) add(['leaderElection', le['renewDeadline'] !== undefined ? 'renewDeadline' : 'leaseDuration'], 'renewDeadline must be shorter than leaseDuration');
  if (retry >= renew) add(['leaderElection', le['retryPeriod'] !== undefined ? 'retryPeriod' : 'renewDeadline'], 'retryPeriod must be shorter than renewDeadline');
}

const RESERVED_PREFIX = 'mcsync.io/';
/** Labels mcsync sets on replicas itself; a user value would detach slices from their Service. */
const MCSYNC_WRITTEN_LABELS = [SERVICE_NAME, SLICE_MANAGED_BY, MCS_SOURCE_CLUSTER, MCS_SERVICE_NAME];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Kubernetes' qualified-name rule, shared by label and annotation keys. */
function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'has more than one "/"';
  const name = parts.at(-1)!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'has a prefix that is not a DNS subdomain (lower-case letters, digits, - and ., at most 253)';
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return 'must be at most 63 letters, digits, -, _ and . (after an optional "prefix/"), starting and ending alphanumeric';
  }
  return undefined;
}

function checkReplicaMetadata(map: unknown, path: Path, kind: 'label' | 'annotation', add: Add): void {
  if (!isRecord(map)) return;
  for (const [key, value] of Object.entries(map)) {
    const at: Path = [...path, key];
    const problem = keyProblem(key);
    if (problem !== undefined) add(at, `"${key}" is not a valid ${kind} key: it ${problem}`);
    else if (key.startsWith(RESERVED_PREFIX)) add(at, `"${key}" uses the reserved prefix ${RESERVED_PREFIX}, which only mcsync writes`);
    else if (kind === 'label' && MCSYNC_WRITTEN_LABELS.includes(key)) add(at, `"${key}" is set by mcsync on every replica and cannot be overridden`);
    if (kind === 'label' && typeof value === 'string' && (value.length > 63 || !/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(value))) {
      add(at, `${JSON.stringify(value)} is not a valid label value: at most 63 letters, digits, -, _ and ., starting and ending alphanumeric`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kubeconfigs: opened and inspected locally; nothing from inside them reaches an error message,
// because a kubeconfig holds tokens and keys and these messages end up in logs and CI output.

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

function fileProblem(what: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const prefix = what === '' ? '' : `${what} `;
  switch (code) {
    case 'ENOENT':
      return `${prefix}not found`;
    case 'EISDIR':
      return `${prefix}is a directory, not a file`;
    case 'EACCES':
    case 'EPERM':
      return `${prefix}cannot be read: permission denied`;
    default:
      return `${prefix}cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}

function checkKubeconfigs(raw: unknown, configDir: string, add: Add): void {
  if (!isRecord(raw)) return;
  const cache = new Map<string, KubeconfigInfo>();
  for (const [c, i] of records(raw['clusters'])) {
    const written = c['kubeconfig'];
    if (typeof written !== 'string' || written === '') continue;
    const path = resolveKubeconfigPath(written, configDir);
    let info = cache.get(path);
    if (info === undefined) {
      info = inspectKubeconfig(path);
      cache.set(path, info);
    }
    const shown = written === path ? path : `${written} (${path})`;
    const kubeconfigAt: Path = ['clusters', i, 'kubeconfig'];
    if ('problem' in info) {
      add(kubeconfigAt, `kubeconfig ${shown} ${info.problem}`);
      continue;
    }
    const context = c['context'];
    if (typeof context === 'string' && context !== '') {
      if (!info.contexts.includes(context)) add(['clusters', i, 'context'], `context "${context}" is not in kubeconfig ${shown}`);
    } else if (context === undefined) {
      if (info.current === undefined) {
        add(kubeconfigAt, `kubeconfig ${shown} has no current-context; name one with "context:"`);
      } else if (!info.contexts.includes(info.current)) {
        add(kubeconfigAt, `kubeconfig ${shown} has a current-context that is not one of its contexts; name one with "context:"`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The validated Config

/**
 * The original matched names with Python's re.match, which anchors at the start but not the
 * end: "web" matches "web-v2". The group keeps an alternation like "a|b" anchored as a whole.
 */
export function compileNameMatch(src: string): RegExp {
  return new RegExp(`^(?:${src})`);
}

function copyFilter(raw: RawConfig['copyLabels']): CopyFilter {
  const filter: CopyFilter = { exclude: raw?.exclude ?? [] };
  if (raw?.include !== undefined) filter.include = raw.include;
  return filter;
}

function buildConfig(data: RawConfig, absFile: string, pos: (path: Path) => SourcePos): Config {
  const allNames = data.clusters.map((c) => c.name);
  const clusters = data.clusters.map((c, i): ClusterConfig => {
    const base: Path = ['clusters', i];
    const exports = (c.services ?? []).map((s, j): ExportRule => {
      const nameMatches = s.nameMatches ?? c.nameMatches;
      const destinations = s.exportTo ?? c.exportTo ?? allNames;
      const rule: ExportRule = {
        exportTo: [...new Set(destinations)].filter((n) => n !== c.name),
        conflictPolicy: s.conflictPolicy ?? data.conflictPolicy ?? 'skip',
        force: s.force ?? false,
        pos: pos([...base, 'services', j]),
      };
      if (s.namespace !== undefined) rule.namespace = s.namespace;
      if (nameMatches !== undefined) rule.nameMatches = nameMatches.map(compileNameMatch);
      if (s.names !== undefined) rule.names = s.names;
      if (s.labelSelector !== undefined) rule.labelSelector = s.labelSelector;
      if (s.exclude !== undefined) rule.exclude = s.exclude;
      return rule;
    });
    const cluster: ClusterConfig = {
      name: c.name,
      kubeconfig: c.kubeconfig === undefined ? '' : resolveKubeconfigPath(c.kubeconfig, dirname(absFile)),
      inCluster: c.kubeconfig === undefined,
      staleAfterMs: durationMs(c.staleAfter ?? '5m'),
      stalePolicy: c.stalePolicy ?? 'keep',
      exports,
      replicaLabels: c.replicaLabels ?? {},
      replicaAnnotations: c.replicaAnnotations ?? {},
      pos: pos(base),
      kubeconfigPos: pos([...base, 'kubeconfig']),
    };
    if (c.context !== undefined) {
      cluster.context = c.context;
      cluster.contextPos = pos([...base, 'context']);
    }
    return cluster;
  });
  return {
    file: absFile,
    instance: data.instance ?? 'default',
    createNamespaces: data.createNamespaces ?? true,
    copyLabels: copyFilter(data.copyLabels),
    copyAnnotations: copyFilter(data.copyAnnotations),
    concurrency: data.concurrency ?? 8,
    controller: {
      writeQps: data.controller?.writeQps ?? 20,
      writeBurst: data.controller?.writeBurst ?? 40,
      resyncMs: durationMs(data.controller?.resyncInterval ?? '10m'),
      watchTimeoutSeconds: Math.max(1, Math.round(durationMs(data.controller?.watchTimeout ?? '5m') / 1000)),
    },
    leaderElection: {
      ...(data.leaderElection?.cluster !== undefined ? { cluster: data.leaderElection.cluster } : {}),
      namespace: data.leaderElection?.namespace ?? 'kube-system',
      name: data.leaderElection?.name ?? `mcsync-${data.instance ?? 'default'}`,
      leaseDurationMs: durationMs(data.leaderElection?.leaseDuration ?? '15s'),
      renewDeadlineMs: durationMs(data.leaderElection?.renewDeadline ?? '10s'),
      retryPeriodMs: durationMs(data.leaderElection?.retryPeriod ?? '2s'),
    },
    clusters,
  };
}
