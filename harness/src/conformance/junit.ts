// Ginkgo's JUnit report, read into one row per spec. Ginkgo names a spec's test case
// `[It] <full text> [Label1, Label2]` and gives it a status attribute (passed, failed, skipped,
// pending, panicked, interrupted, timedout, aborted); suite nodes (BeforeSuite,
// ReportAfterSuite, …) are test cases too and are kept apart, since a failed BeforeSuite is why
// every spec failed. The report is plain, machine-written XML: a few regular expressions and
// entity decoding read it; no XML library is needed for that.

export type SpecResult = 'pass' | 'fail' | 'skipped';

export interface SpecRow {
  name: string;
  labels: string[];
  result: SpecResult;
  /** Ginkgo's own status word (passed, failed, timedout, …). */
  status: string;
  /** First line of the failure (or skip) message; empty for a pass. */
  reason: string;
  seconds: number;
}

export interface JunitReport {
  specs: SpecRow[];
  /** Suite-level nodes, e.g. `[BeforeSuite]`, with their outcome. */
  suiteNodes: SpecRow[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_:][-\w:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1]!] = decodeXml(m[3] ?? m[4] ?? '');
  return out;
}

/** `[It] text [A, B]` → text and labels; a suite node keeps its bracketed kind as its name. */
export function splitSpecName(raw: string): { kind: string; name: string; labels: string[] } {
  const kind = /^\[([A-Za-z]+)\]\s*/.exec(raw);
  let rest = kind ? raw.slice(kind[0].length) : raw;
  let labels: string[] = [];
  const lab = /\s*\[([^\]]*)\]$/.exec(rest);
  if (lab && kind?.[1] === 'It') {
    labels = lab[1]!.split(',').map((s) => s.trim()).filter(Boolean);
    rest = rest.slice(0, lab.index);
  }
  // Containers with empty text leave double spaces in the joined name.
  return { kind: kind?.[1] ?? '', name: rest.replace(/\s+/g, ' ').trim(), labels };
}

/**
 * The first line of a failure, which says why. Gomega's Eventually and Consistently put the
 * timing first ("Timed out after 20.001s.") and the assertion's description after it, and a
 * failing function passed to Eventually is named on a line ending "with:" before its own
 * message: those lines say nothing alone, so the next one joins them. Source paths are cut to
 * the file name.
 */
export function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let out = lines.shift() ?? '';
  const incomplete = () => /^(Timed out|Failed) after [\d.]+s\.?$/.test(out) || /^(Timed out|Failed) after [\d.]+s\. .*with:$/.test(out) || /with:$/.test(out);
  while (lines.length > 0 && incomplete()) out = `${out} ${lines.shift()}`;
  return out.replace(/(?:\/[^\s/]+)+\/([^\s/]+\.go:\d+)/g, '$1');
}

function resultOf(status: string): SpecResult {
  if (status === 'passed') return 'pass';
  if (status === 'skipped' || status === 'pending') return 'skipped';
  return 'fail';
}

export function parseJunit(xml: string): JunitReport {
  const specs: SpecRow[] = [];
  const suiteNodes: SpecRow[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = attributes(m[1]!);
    const body = m[3] ?? '';
    const failure = /<(failure|error)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const skipped = /<skipped\b([^>]*?)\/?>/.exec(body);
    const status = attrs.status ?? (failure ? 'failed' : skipped ? 'skipped' : 'passed');
    const { kind, name, labels } = splitSpecName(attrs.name ?? '');
    let reason = '';
    if (failure) reason = firstLine(attributes(failure[2]!).message ?? '') || firstLine(decodeXml(failure[4] ?? ''));
    // Ginkgo says just "skipped" for a spec the filters left out, "skipped - why" for a Skip() call.
    else if (skipped) reason = firstLine(attributes(skipped[1]!).message ?? '').replace(/^skipped$/, 'not selected by the filters');
    const row: SpecRow = { name: kind === 'It' || kind === '' ? name : `[${kind}] ${name}`.trim(), labels, result: resultOf(status), status, reason, seconds: Number(attrs.time ?? 0) };
    if (kind === 'It' || kind === '') specs.push(row);
    else suiteNodes.push(row);
  }
  return { specs, suiteNodes };
}
