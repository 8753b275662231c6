// Logs go to stderr, so stdout carries only data. Two shapes: JSON lines (pino's own, for
// machines and log collectors) and short lines for a person at a terminal, which one-shot
// commands print by default when stderr is a terminal.
import pino, { type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

interface Stderr {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** pretty on a terminal, json otherwise (a pipe, a file, a log collector). */
export function defaultLogFormat(stderr: Stderr = process.stderr): LogFormat {
  return stderr.isTTY === true ? 'pretty' : 'json';
}

export function createLogger(level: string, format: LogFormat = 'json', stderr: Stderr = process.stderr): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  const options = { level, base: { app: 'mcsync' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'pretty') return pino(options, prettyDestination(stderr, stderr.isTTY === true && !process.env['NO_COLOR']));
  // Asynchronous: a line per write at info would otherwise block the event loop on every write
  // to a pipe whose reader is slow (profiled: 14 % of the controller's wall time under churn).
  // pino flushes what is pending synchronously when the process exits, crashes included.
  return pino(options, pino.destination({ dest: 2, sync: false }));
}

/** Writes each pino line as prettyLine renders it; a one-shot command logs a handful of lines, so synchronously. */
function prettyDestination(stderr: Stderr, colour: boolean): DestinationStream {
  return { write: (line: string) => void stderr.write(prettyLine(line, colour)) };
}

const LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
const COLOURS: Record<number, number> = { 10: 2, 20: 2, 40: 33, 50: 31, 60: 31 };
/** Fields every line carries, or that the prefix already shows. */
const SHOWN = new Set(['level', 'time', 'app', 'pid', 'hostname', 'msg', 'file', 'line', 'field']);

/**
 * One pino JSON line as `warning: FILE:LINE: FIELD: message key=value …`: the level in words,
 * a config position the way config errors print it, the message, then the other fields.
 * Anything that is not a pino line is passed through as it is.
 */
export function prettyLine(json: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof o['level'] === 'number' ? o['level'] : 30;
  const label = LABELS[level] ?? `level ${level}`;
  const where = [o['file'] === undefined ? '' : `${String(o['file'])}${o['line'] === undefined ? '' : `:${String(o['line'])}`}`, o['field'] === undefined ? '' : String(o['field'])]
    .filter(Boolean).map((s) => `${s}: `).join('');
  const fields = Object.entries(o).filter(([k, v]) => !SHOWN.has(k) && v !== undefined).map(([k, v]) => ` ${k}=${fieldText(v)}`).join('');
  const head = colour && COLOURS[level] ? `\u001b[${COLOURS[level]}m${label}\u001b[0m` : label;
  return `${head}: ${where}${String(o['msg'] ?? '')}${fields}\n`;
}

function fieldText(v: unknown): string {
  // pino's error serializer: the message says it; the stack is for --log-format json.
  if (typeof v === 'object' && v !== null && 'message' in v && 'stack' in v) return JSON.stringify((v as { message: unknown }).message);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}
