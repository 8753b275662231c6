// Human output the way kubectl users expect it: aligned columns, upper-case headers, colour only
// on a terminal; machines get JSON or YAML of the same data.
import { stringify } from 'yaml';
import { UsageError } from './io.ts';

/** `table` is the default; `wide` is the table with more columns, as `kubectl get -o wide`. */
export type Format = 'table' | 'wide' | 'json' | 'yaml';

/** The formats of a command whose table has no wider form. */
export const DATA_FORMATS: Format[] = ['table', 'json', 'yaml'];
/** The formats of a command whose table has a wide form. */
export const TABLE_FORMATS: Format[] = ['table', 'wide', 'json', 'yaml'];

export function parseFormat(v: string, allowed: Format[] = DATA_FORMATS): Format {
  if (!(allowed as string[]).includes(v)) throw new UsageError(`--output must be one of ${allowed.join(', ')}, not "${v}"`);
  return v as Format;
}

export const isData = (f: Format): f is 'json' | 'yaml' => f === 'json' || f === 'yaml';

const useColour = () => process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour() ? `\u001b[${code}m${s}\u001b[0m` : s);
export const green = paint(32);
export const yellow = paint(33);
export const red = paint(31);
export const dim = paint(2);

// eslint-disable-next-line no-control-regex
const visibleLength = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * YAML that reads back the same under YAML 1.1 (kubectl, Go tools: `y`, `no`, `on` are
 * booleans there) and 1.2 (where `0o17` is a number): every string value is double-quoted,
 * and keys are quoted wherever YAML 1.1 would misread them.
 */
export function render(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(data, null, 2) : stringify(data, { version: '1.1', defaultStringType: 'QUOTE_DOUBLE' });
}

/** A one-line progress bar on stderr, only when stderr is a terminal and the work is large. */
export function progress(total: number, label: string): { tick(): void; done(): void } {
  const on = process.stderr.isTTY === true && total >= 20;
  let n = 0;
  const draw = () => {
    const width = 30;
    const filled = Math.round((n / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total}`);
  };
  return {
    tick() {
      n++;
      if (on && (n === total || n % Math.max(1, Math.floor(total / 100)) === 0)) draw();
    },
    done() {
      if (on) process.stderr.write('\n');
    },
  };
}
