// Structured logs (pino) to stderr, so stdout carries only data.
import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function createLogger(level: string): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  return pino({ level, base: { app: 'mcsync' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
