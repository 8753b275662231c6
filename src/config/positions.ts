// Where a value sits in the config file: the path into the parsed value, the name a user reads
// for it (clusters[1].services[0].nameMatches[2]) and the line of the YAML it was written on.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export type Path = (string | number)[];

/** Reports a problem at a path; the loader turns it into a ConfigIssue with file and line. */
export type Add = (path: Path, message: string) => void;

export function fieldName(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Label keys like app.kubernetes.io/name would be ambiguous in dotted form.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

export class Locator {
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
