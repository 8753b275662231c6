// What a PromQL expression reads: the metric of every vector selector, the label names its
// matchers use, and the label names the aggregations and vector matchings around it group by.
// Enough of the language to check a dashboard's queries against a live /metrics; whether an
// expression is valid PromQL at all is promtool's to say (test/support/promtool.ts).

export class PromqlError extends Error {}

export interface Selector {
  /** The metric name, from before the braces or from an `__name__="…"` matcher. */
  metric: string;
  /** Label names the selector's own matchers use (`__name__` left out). */
  matchers: string[];
  /** Label names that by()/without() of enclosing aggregations and on()/ignoring()/group_x() of enclosing binary operations expect on this selector's series. */
  grouping: string[];
}

export interface Analysis {
  selectors: Selector[];
  /** Label names the expression itself makes (label_replace, label_join, count_values), so they need not exist on any metric. */
  madeLabels: string[];
}

type Kind = 'ident' | 'number' | 'string' | 'punct' | 'op';
interface Token {
  kind: Kind;
  text: string;
  at: number;
}

const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
]);

// Prometheus 2.x and 3.x functions. A name outside this list is a typo or a metric, never silently a function.
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil', 'changes',
  'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week', 'day_of_year',
  'days_in_month', 'deg', 'delta', 'deriv', 'double_exponential_smoothing', 'exp', 'floor', 'histogram_avg', 'histogram_count',
  'histogram_fraction', 'histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'histogram_sum', 'holt_winters', 'hour',
  'idelta', 'increase', 'info', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2', 'mad_over_time',
  'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rad',
  'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_by_label', 'sort_by_label_desc', 'sort_desc', 'sqrt',
  'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
  // only after `@`
  'start', 'end',
]);

// Words that are never metric names where they stand.
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', 'group_left', 'group_right', 'on', 'ignoring', 'by', 'without']);
const GROUPING = new Set(['by', 'without']);
const MATCHING = new Set(['on', 'ignoring', 'group_left', 'group_right']);

const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
// Numbers, durations (5m, 1h30m), hex and exponent forms: one token, none of them names.
const NUMBER = /(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?:[a-zA-Z0-9]*)/y;
const OPS = ['=~', '!~', '!=', '==', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '^', '@'];

export function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += c !== '`' && expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) throw new PromqlError(`unterminated string at ${i}: ${expr.slice(i, i + 20)}`);
      out.push({ kind: 'string', text: expr.slice(i + 1, j), at: i });
      i = j + 1;
      continue;
    }
    if ('(){}[],'.includes(c)) {
      out.push({ kind: 'punct', text: c, at: i++ });
      continue;
    }
    const word = matchAt(NUMBER, expr, i) ?? matchAt(IDENT, expr, i);
    if (word) {
      out.push({ kind: word.re === NUMBER ? 'number' : 'ident', text: word.text, at: i });
      i += word.text.length;
      continue;
    }
    const op = OPS.find((o) => expr.startsWith(o, i));
    if (!op) throw new PromqlError(`unexpected character ${JSON.stringify(c)} at ${i}`);
    out.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  return out;
}

function matchAt(re: RegExp, expr: string, i: number): { re: RegExp; text: string } | undefined {
  re.lastIndex = i;
  const m = re.exec(expr);
  return m && m[0].length > 0 ? { re, text: m[0] } : undefined;
}

/** Index of the bracket closing the one at `open`, over the tokens. */
function closing(tokens: Token[], open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (pairs[t.text]) stack.push(pairs[t.text]!);
    else if (t.text === ')' || t.text === '}' || t.text === ']') {
      if (stack.pop() !== t.text) throw new PromqlError(`unbalanced ${t.text} at ${t.at}`);
      if (stack.length === 0) return i;
    }
  }
  throw new PromqlError(`unclosed ${tokens[open]!.text} at ${tokens[open]!.at}`);
}

/** The label names in a `(a, b)` list starting at `open`; returns them and the index after `)`. */
function labelList(tokens: Token[], open: number): { labels: string[]; next: number } {
  if (tokens[open]?.text !== '(') throw new PromqlError(`expected ( after ${tokens[open - 1]?.text} at ${tokens[open - 1]?.at}`);
  const end = closing(tokens, open);
  const labels: string[] = [];
  for (let i = open + 1; i < end; i++) {
    const t = tokens[i]!;
    if (t.kind === 'ident' || t.kind === 'string') labels.push(t.text);
    else if (t.text !== ',') throw new PromqlError(`unexpected ${t.text} in a label list at ${t.at}`);
  }
  return { labels, next: end + 1 };
}

interface Scope {
  from: number;
  to: number;
  labels: string[];
}

export function analyse(expr: string): Analysis {
  const tokens = tokenize(expr);
  const found: { at: number; metric: string | undefined; matchers: string[] }[] = [];
  const scopes: Scope[] = [];
  const madeLabels: string[] = [];
  // The innermost ( … ) around token i, or the whole expression.
  const enclosing = (i: number): Scope => {
    let best: Scope = { from: 0, to: tokens.length, labels: [] };
    for (let o = 0; o < i; o++) {
      if (tokens[o]!.text !== '(' || tokens[o]!.kind !== 'punct') continue;
      const c = closing(tokens, o);
      if (c > i && o >= best.from) best = { from: o, to: c, labels: [] };
    }
    return best;
  };

  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '[') {
      // A range or subquery: durations, a step, or a Grafana interval already substituted.
      i = closing(tokens, i) + 1;
      continue;
    }
    if (t.kind === 'punct' && t.text === '{') {
      const end = closing(tokens, i);
      const { metric, matchers } = readMatchers(tokens, i + 1, end);
      const named = tokens[i - 1]?.kind === 'ident' && isMetricName(tokens, i - 1) ? tokens[i - 1]!.text : undefined;
      if (named) found[found.length - 1]!.matchers.push(...matchers);
      else found.push({ at: i, metric, matchers });
      i = end + 1;
      continue;
    }
    if (t.kind !== 'ident') {
      i++;
      continue;
    }
    const word = t.text;
    const lower = word.toLowerCase();
    const call = tokens[i + 1]?.kind === 'punct' && tokens[i + 1]!.text === '(';
    if (AGGREGATIONS.has(word) && (call || GROUPING.has(tokens[i + 1]?.text ?? ''))) {
      let j = i + 1;
      let labels: string[] = [];
      if (GROUPING.has(tokens[j]!.text)) ({ labels, next: j } = labelList(tokens, j + 1));
      if (tokens[j]?.text !== '(') throw new PromqlError(`expected ( after ${word} at ${t.at}`);
      const end = closing(tokens, j);
      if (labels.length === 0 && GROUPING.has(tokens[end + 1]?.text ?? '')) labels = labelList(tokens, end + 2).labels;
      if (word === 'count_values' && tokens[j + 1]?.kind === 'string') madeLabels.push(tokens[j + 1]!.text);
      scopes.push({ from: j, to: end, labels });
      i = j;
      continue;
    }
    if (GROUPING.has(word)) {
      // The trailing clause of an aggregation, already read with it.
      i = labelList(tokens, i + 1).next;
      continue;
    }
    if (MATCHING.has(word)) {
      if (call) {
        const { labels, next } = labelList(tokens, i + 1);
        scopes.push({ ...enclosing(i), labels });
        i = next;
      } else i++;
      continue;
    }
    if (call) {
      if (!FUNCTIONS.has(word)) throw new PromqlError(`unknown function ${word}() at ${t.at}`);
      if (word === 'label_replace' || word === 'label_join') {
        const dst = tokens.slice(i + 2, closing(tokens, i + 1)).find((x, k, all) => x.kind === 'string' && all[k - 1]?.text === ',');
        if (dst) madeLabels.push(dst.text);
      }
      i += 2;
      continue;
    }
    if (KEYWORDS.has(lower)) {
      i++;
      continue;
    }
    found.push({ at: i, metric: word, matchers: [] });
    i++;
  }

  const selectors = found.map(({ at, metric, matchers }) => {
    if (metric === undefined) throw new PromqlError(`a selector without a metric name at ${tokens[at]!.at}: cannot say what it reads`);
    const grouping = [...new Set(scopes.filter((s) => s.from < at && at < s.to).flatMap((s) => s.labels))];
    return { metric, matchers: [...new Set(matchers)], grouping };
  });
  return { selectors, madeLabels: [...new Set(madeLabels)] };
}

function isMetricName(tokens: Token[], i: number): boolean {
  const w = tokens[i]!.text;
  return !KEYWORDS.has(w.toLowerCase()) && !AGGREGATIONS.has(w) && !FUNCTIONS.has(w);
}

function readMatchers(tokens: Token[], from: number, to: number): { metric: string | undefined; matchers: string[] } {
  let metric: string | undefined;
  const matchers: string[] = [];
  let i = from;
  while (i < to) {
    const [name, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (name?.kind === 'string' && (i + 1 === to || tokens[i + 1]!.text === ',')) {
      metric = name.text; // Prometheus 3's {"metric.name"}
      i += 2;
      continue;
    }
    if (!name || (name.kind !== 'ident' && name.kind !== 'string') || op?.kind !== 'op' || !['=', '!=', '=~', '!~'].includes(op.text) || value?.kind !== 'string') {
      throw new PromqlError(`a matcher must be label op "value" at ${tokens[i]?.at}`);
    }
    if (name.text === '__name__') {
      if (op.text !== '=') throw new PromqlError(`__name__${op.text} at ${name.at}: a name pattern cannot be checked against what is exposed`);
      metric = value.text;
    } else matchers.push(name.text);
    i += 3;
    if (tokens[i]?.text === ',') i++;
  }
  return { metric, matchers };
}
