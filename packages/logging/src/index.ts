/**
 * The one way Inkling's services log: pino, pretty and coloured when standard output is a terminal (npm
 * start in a shell), one JSON object per line otherwise (containers, log shippers, tests that read a child's
 * output). `LOG_FORMAT=pretty|json` overrides the choice.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'pretty' | 'json';

export interface LoggerOptions {
  level?: string;
  /** Defaults to the LOG_FORMAT variable, else `auto`. */
  format?: LogFormat;
  /** Written with every line as pino's `name` ('gateway', 'worker', 'trainer'). */
  service?: string;
}

/** Whether `format` (or LOG_FORMAT) means pretty output for a stream that is / is not a terminal. */
export function prettyFor(format: string | undefined, isTty: boolean): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return isTty;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const settings = { level, ...(options.service ? { name: options.service } : {}) };
  if (!prettyFor(options.format ?? process.env.LOG_FORMAT, process.stdout.isTTY === true)) return pino(settings);
  // Synchronous, so the last lines before a crash or exit are not lost.
  return pino(settings, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
}

export type { Logger };
