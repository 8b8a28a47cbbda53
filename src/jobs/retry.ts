/**
 * The job options `retry` (run a failed fire again after a backoff) and
 * `overlap` (what a fire does when the job already runs `maxInstances`
 * times): their checks, their stored form, and the backoff.
 */
import { suggestName } from '../config/suggest.ts';
import { describeInput } from '../time/errors.ts';
import { InvalidJobOptionError } from './errors.ts';

/** How a failed or timed-out run of a fire is run again, as the job keeps it (every field set). */
export interface RetryPolicy {
  /** Runs after the first one, at most (0 = none). */
  readonly attempts: number;
  /** Seconds before the first retry. */
  readonly delay: number;
  /** Each further retry waits this many times longer than the one before. */
  readonly factor: number;
  /** The longest wait, seconds. */
  readonly maxDelay: number;
  /** Wait a random time between half the backoff and all of it, so that many failures do not retry in step. */
  readonly jitter: boolean;
}

/** The `retry` job option: `attempts` is required, the rest have defaults. */
export interface RetryOptions {
  /** Runs after the first failed one, at most (0 = none). */
  attempts: number;
  /** Seconds before the first retry (default 1). */
  delay?: number;
  /** Each further retry waits this many times longer (default 2). */
  factor?: number;
  /** The longest wait, seconds (default 300). */
  maxDelay?: number;
  /** Wait a random time between half the backoff and all of it (default false). */
  jitter?: boolean;
}

/** What a fire does when its job already runs `maxInstances` times (cluster-wide on a shared store). */
export type OverlapPolicy = 'skip' | 'queue' | 'replace';

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'replace'];

/** The defaults of the optional fields of `retry`. */
export const RETRY_DEFAULTS: Readonly<Omit<RetryPolicy, 'attempts'>> = {
  delay: 1,
  factor: 2,
  maxDelay: 300,
  jitter: false,
};

/** Retries a job may ask for at most (a fire is one row: its attempt count must stay small). */
export const MAX_RETRY_ATTEMPTS = 1000;
/** The longest wait: a timer cannot wait longer than 2³¹ − 1 ms. */
export const MAX_RETRY_DELAY_SECONDS = 2_147_483;

const RETRY_KEYS = ['attempts', 'delay', 'factor', 'maxDelay', 'jitter'] as const;

function fail(field: string, message: string): never {
  throw new InvalidJobOptionError(field, message);
}

function seconds(field: string, value: unknown, min: number, minText: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    fail(field, `${field} must be ${minText} (seconds), got ${describeInput(value)}`);
  if (value > MAX_RETRY_DELAY_SECONDS)
    fail(field, `${field} must be at most ${MAX_RETRY_DELAY_SECONDS} seconds, got ${value}`);
  return value;
}

/**
 * The `retry` option as the job keeps it, defaults filled in; null turns
 * retries off.
 *
 * @throws InvalidJobOptionError naming the field at fault (`retry.attempts`…).
 */
export function checkRetry(value: unknown): RetryPolicy | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    fail(
      'retry',
      `retry must be an object such as { attempts: 3 } or null, got ${describeInput(value)}`,
    );
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if ((RETRY_KEYS as readonly string[]).includes(key)) continue;
    const suggestion = suggestName(key, RETRY_KEYS);
    fail(
      `retry.${key}`,
      `retry has no option "${key}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; it takes ${RETRY_KEYS.join(', ')}`,
    );
  }
  const { attempts } = given;
  if (
    typeof attempts !== 'number' ||
    !Number.isInteger(attempts) ||
    attempts < 0 ||
    attempts > MAX_RETRY_ATTEMPTS
  )
    fail(
      'retry.attempts',
      `retry.attempts must be a whole number from 0 to ${MAX_RETRY_ATTEMPTS} (runs after the first one), got ${describeInput(attempts)}`,
    );
  const delay =
    given.delay === undefined
      ? RETRY_DEFAULTS.delay
      : seconds('retry.delay', given.delay, 0, '0 or more');
  let factor = RETRY_DEFAULTS.factor;
  if (given.factor !== undefined) {
    if (typeof given.factor !== 'number' || !Number.isFinite(given.factor) || given.factor < 1)
      fail(
        'retry.factor',
        `retry.factor must be a number of 1 or more (1 = the same wait each time), got ${describeInput(given.factor)}`,
      );
    factor = given.factor;
  }
  const maxDelay =
    given.maxDelay === undefined
      ? Math.max(RETRY_DEFAULTS.maxDelay, delay)
      : seconds('retry.maxDelay', given.maxDelay, 0, '0 or more');
  if (maxDelay < delay)
    fail(
      'retry.maxDelay',
      `retry.maxDelay (${maxDelay} s) must not be less than retry.delay (${delay} s)`,
    );
  let jitter = RETRY_DEFAULTS.jitter;
  if (given.jitter !== undefined) {
    if (typeof given.jitter !== 'boolean')
      fail(
        'retry.jitter',
        `retry.jitter must be true or false, got ${describeInput(given.jitter)}`,
      );
    jitter = given.jitter;
  }
  return { attempts, delay, factor, maxDelay, jitter };
}

/** Is this a `retry` as a stored job keeps it (every field set and valid)? */
export function isRetryPolicy(value: unknown): value is RetryPolicy | null {
  if (value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value as object);
  if (keys.length !== RETRY_KEYS.length || !RETRY_KEYS.every((key) => keys.includes(key)))
    return false;
  try {
    const checked = checkRetry(value) as RetryPolicy;
    return RETRY_KEYS.every((key) => checked[key] === (value as RetryPolicy)[key]);
  } catch {
    return false;
  }
}

/**
 * The `overlap` option.
 *
 * @throws InvalidJobOptionError for anything but 'skip', 'queue' or 'replace'.
 */
export function checkOverlap(value: unknown): OverlapPolicy {
  if (typeof value === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(value))
    return value as OverlapPolicy;
  const suggestion =
    typeof value === 'string' ? suggestName(value.toLowerCase(), OVERLAP_POLICIES) : undefined;
  return fail(
    'overlap',
    `overlap must be 'skip', 'queue' or 'replace', got ${describeInput(value)}${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`,
  );
}

export function isOverlapPolicy(value: unknown): value is OverlapPolicy {
  return typeof value === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(value);
}

/**
 * Does a run that ended as attempt `attempt` (1 = the fire's first run) get
 * another one under `policy`?
 */
export function retriesLeft(policy: RetryPolicy | null, attempt: number): boolean {
  return policy !== null && attempt <= policy.attempts;
}

/**
 * How long to wait (ms) before running attempt `attempt + 1` of a fire whose
 * attempt `attempt` failed: `delay · factor^(attempt − 1)`, at most
 * `maxDelay`; with `jitter`, a uniform random time between half of that and
 * all of it (never less than half, so that a burst of failures still backs
 * off). `random` returns a number in [0, 1) (tests pass their own).
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(attempt - 1, 0);
  // factor^exponent overflows to Infinity for long runs of failures: maxDelay caps it.
  const seconds = Math.min(policy.delay * policy.factor ** exponent, policy.maxDelay);
  const ms = seconds * 1000;
  if (!policy.jitter) return Math.round(ms);
  return Math.round(ms / 2 + (ms / 2) * random());
}
