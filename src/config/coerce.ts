/**
 * Coercion of configuration values: numbers and booleans from the strings
 * that env files and JSON give, as APScheduler's `asint`/`asbool` do. Used by
 * the scheduler's own options and by every store and executor factory, so
 * that `maxWorkers: '20'` and `maxWorkers: 20` mean the same everywhere.
 */
import { describeValue } from './describe.ts';
import { ConfigurationError } from './errors.ts';

export interface CoerceNumberOptions {
  /** Require a whole number. */
  integer?: boolean;
  /** Require a value > 0. */
  positive?: boolean;
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'on', 'y', 't', '1']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'no', 'off', 'n', 'f', '0']);
const NULL_WORDS: ReadonlySet<string> = new Set(['none', 'null', '']);

function describeNumber(options: CoerceNumberOptions): string {
  let text = `a ${options.positive === true ? 'positive ' : ''}${options.integer === true ? 'whole number' : 'number'}`;
  const { min, max } = options;
  if (min !== undefined && max !== undefined) text += ` from ${min} to ${max}`;
  else if (min !== undefined) text += ` of at least ${min}`;
  else if (max !== undefined) text += ` of at most ${max}`;
  return text;
}

function readNumber(value: unknown, options: CoerceNumberOptions): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value.trim())) n = Number(value.trim());
  if (n === undefined || !Number.isFinite(n)) return undefined;
  if (options.integer === true && !Number.isInteger(n)) return undefined;
  if (options.positive === true && !(n > 0)) return undefined;
  if (options.min !== undefined && n < options.min) return undefined;
  if (options.max !== undefined && n > options.max) return undefined;
  return n === 0 ? 0 : n; // no -0
}

/**
 * A number from a number or decimal text (`'20'`, `' 1.5 '`, `'1e3'`), checked
 * against the constraints.
 *
 * @throws ConfigurationError naming `key` and the value otherwise.
 *
 * @example
 * ```ts
 * coerceNumber('executors.pool.maxWorkers', ' 20 ', { integer: true, positive: true }); // 20
 * coerceNumber('executors.pool.maxWorkers', 'many', { integer: true, positive: true });
 * // ConfigurationError: executors.pool.maxWorkers: expected a positive whole number, got "many"
 * ```
 */
export function coerceNumber(
  key: string,
  value: unknown,
  options: CoerceNumberOptions = {},
): number {
  const n = readNumber(value, options);
  if (n === undefined) {
    throw new ConfigurationError(
      key,
      `expected ${describeNumber(options)}, got ${describeValue(value)}`,
    );
  }
  return n;
}

/**
 * Like `coerceNumber`, but `null` and the text `'none'`, `'null'` or `''`
 * (case-insensitive, trimmed) give `null`.
 *
 * @example
 * ```ts
 * coerceNullableNumber('executors.pool.idleTimeout', 'none', { positive: true }); // null
 * coerceNullableNumber('executors.pool.idleTimeout', '30', { positive: true }); // 30
 * ```
 */
export function coerceNullableNumber(
  key: string,
  value: unknown,
  options: CoerceNumberOptions = {},
): number | null {
  if (value === null) return null;
  if (typeof value === 'string' && NULL_WORDS.has(value.trim().toLowerCase())) return null;
  const n = readNumber(value, options);
  if (n === undefined) {
    throw new ConfigurationError(
      key,
      `expected ${describeNumber(options)} or null ('none'), got ${describeValue(value)}`,
    );
  }
  return n;
}

/** Is `value` one of the words (or numbers) {@link coerceBoolean} reads as a boolean? */
export function isBooleanWord(value: unknown): boolean {
  if (typeof value === 'boolean' || value === 0 || value === 1) return true;
  if (typeof value !== 'string') return false;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) || FALSE_WORDS.has(word);
}

/**
 * A boolean from a boolean, `0`/`1`, or the text `true/yes/on/y/t/1` or
 * `false/no/off/n/f/0` (case-insensitive, trimmed) — APScheduler's `asbool`.
 *
 * @throws ConfigurationError naming `key` and the value otherwise.
 *
 * @example
 * ```ts
 * coerceBoolean('jobstores.main.eager', 'yes'); // true
 * ```
 */
export function coerceBoolean(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new ConfigurationError(
    key,
    `expected a boolean (true/yes/on/y/t/1 or false/no/off/n/f/0), got ${describeValue(value)}`,
  );
}
