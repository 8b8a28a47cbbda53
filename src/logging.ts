/**
 * Logging and tracing. The core has no logging dependency: an injectable
 * logger with the console/pino shape, `NODE_DEBUG=horarium` through
 * `util.debuglog`, and `diagnostics_channel` channels for APM tools. All of
 * it costs nothing when unused.
 */
import { debuglog } from 'node:util';

/** The shape of `console` and of pino/bunyan/winston loggers. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

const debug = debuglog('horarium');

/**
 * The default logger: warnings and errors go to `console`, debug and info only
 * when `NODE_DEBUG=horarium` is set.
 */
export const defaultLogger: Logger = {
  debug: (message, ...details) => debug(message, ...details),
  info: (message, ...details) => debug(message, ...details),
  warn: (message, ...details) => console.warn(`horarium: ${message}`, ...details),
  error: (message, ...details) => console.error(`horarium: ${message}`, ...details),
};

/**
 * Does `logger.debug` do anything? False only for the default logger with
 * `NODE_DEBUG=horarium` unset and for `silentLogger`, so hot paths can skip
 * building debug messages.
 */
export function debugEnabled(logger: Logger): boolean {
  if (logger === silentLogger) return false;
  if (logger === defaultLogger) return debug.enabled;
  return true;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
