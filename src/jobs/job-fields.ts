/**
 * The settings of a job, each declared once: what values it takes, its
 * default, whether the scheduler's `jobDefaults` may set it (and how a
 * configuration string is coerced), and that the stored document holds it
 * as a plain JSON value. `addJob` and `modifyJob` check options with
 * {@link checkJobSetting}, restoring a stored job with
 * {@link readJobSetting}, and the configuration's `jobDefaults` with
 * {@link coerceJobDefault} — the same rule everywhere, so a value refused by
 * one path can never get in through another.
 *
 * The structural fields (id, function, args, trigger, next run time) have
 * codecs of their own in `serialization.ts`.
 */
import { coerceBoolean, coerceNullableNumber, coerceNumber } from '../config/coerce.ts';
import { describeValue } from '../config/describe.ts';
import { InvalidJobOptionError } from './errors.ts';
import {
  checkOverlap,
  checkRetry,
  isOverlapPolicy,
  isRetryPolicy,
  type OverlapPolicy,
  type RetryPolicy,
} from './retry.ts';

/** How a configuration string becomes a setting's value. @throws ConfigurationError naming `key` */
type Coerce<T> = (key: string, value: unknown) => T;

/** One setting of a job. */
interface SettingSpec<T> {
  /** What a valid value is, for messages: "a positive whole number". */
  readonly expected: string;
  readonly test: (value: unknown) => value is T;
  /** The value when neither the job nor `jobDefaults` gives one. */
  readonly default: T;
  /** Stored documents written before the setting existed lack it: they read as the default. */
  readonly optionalInDocument?: boolean;
  /**
   * Checks and normalizes a value given to `addJob` or `modifyJob`, with
   * messages naming the field at fault (instead of `expected`).
   */
  readonly check?: (value: unknown) => T;
}

/** A setting whose scheduler-wide default `jobDefaults` may set. */
interface DefaultableSpec<T> extends SettingSpec<T> {
  /** Coerces a configuration string. */
  readonly coerce: Coerce<T>;
}

/** Every setting, in the order of the stored document. */
export interface JobSettingSpecs {
  readonly name: SettingSpec<string>;
  readonly executor: SettingSpec<string>;
  readonly coalesce: DefaultableSpec<boolean>;
  readonly maxInstances: DefaultableSpec<number>;
  readonly misfireGraceTime: DefaultableSpec<number | null>;
  readonly timeout: SettingSpec<number | null>;
  readonly recover: SettingSpec<boolean>;
  readonly calendar: SettingSpec<string | null>;
  readonly history: SettingSpec<FireHistory>;
  readonly retry: SettingSpec<RetryPolicy | null>;
  readonly overlap: SettingSpec<OverlapPolicy>;
}

/**
 * Which of a job's fires its store's history keeps (see the scheduler's
 * `history` option for how long): every one, those that did not succeed,
 * or none once they end.
 */
export type FireHistory = 'all' | 'failures' | 'off';

const FIRE_HISTORIES: readonly string[] = ['all', 'failures', 'off'];
const isFireHistory = (value: unknown): value is FireHistory =>
  typeof value === 'string' && FIRE_HISTORIES.includes(value);

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '';
const isNameOrNull = (value: unknown): value is string | null =>
  value === null || (typeof value === 'string' && value !== '' && value.length <= 191);
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1;
const isSecondsOrNull = (value: unknown): value is number | null =>
  value === null || (typeof value === 'number' && Number.isFinite(value) && value > 0);

const SECONDS_OR_NULL = 'a positive number of seconds or null';
/**
 * The longest timeout a timer can wait: Node's setTimeout fires at once (after
 * a warning) for anything beyond 2³¹ − 1 ms, so a longer one would end every
 * run at once.
 */
const MAX_TIMEOUT_SECONDS = 2_147_483;
const isTimeoutOrNull = (value: unknown): value is number | null =>
  isSecondsOrNull(value) && (value === null || value <= MAX_TIMEOUT_SECONDS);

export const JOB_SETTINGS: JobSettingSpecs = {
  name: { expected: 'a non-empty string', test: isNonEmptyString, default: 'anonymous' },
  executor: { expected: 'a non-empty string', test: isNonEmptyString, default: 'default' },
  coalesce: { expected: 'true or false', test: isBoolean, default: true, coerce: coerceBoolean },
  maxInstances: {
    expected: 'a positive whole number',
    test: isPositiveInteger,
    default: 1,
    coerce: (key, value) => coerceNumber(key, value, { integer: true, positive: true }),
  },
  misfireGraceTime: {
    expected: SECONDS_OR_NULL,
    test: isSecondsOrNull,
    // No limit: APScheduler 3's 1-second default is its most reported surprise.
    default: null,
    coerce: (key, value) => coerceNullableNumber(key, value, { positive: true }),
  },
  timeout: {
    expected: `a positive number of seconds up to ${MAX_TIMEOUT_SECONDS} (24.8 days), or null`,
    test: isTimeoutOrNull,
    default: null,
  },
  // Added after the first stored format: a document without it reads as the default.
  recover: { expected: 'true or false', test: isBoolean, default: false, optionalInDocument: true },
  calendar: {
    expected: 'the name of a calendar added with scheduler.addCalendar, or null',
    test: isNameOrNull,
    default: null,
    optionalInDocument: true,
  },
  history: {
    expected: "'all', 'failures' or 'off'",
    test: isFireHistory,
    default: 'all',
    optionalInDocument: true,
  },
  retry: {
    expected: 'an object such as { attempts: 3 } or null',
    test: isRetryPolicy,
    default: null,
    optionalInDocument: true,
    check: checkRetry,
  },
  overlap: {
    expected: "'skip', 'queue' or 'replace'",
    test: isOverlapPolicy,
    default: 'skip',
    optionalInDocument: true,
    check: checkOverlap,
  },
};

export type JobSettingName = keyof JobSettingSpecs;

/** The type of each setting's value. */
export type JobSettings = {
  -readonly [K in JobSettingName]: JobSettingSpecs[K] extends SettingSpec<infer T> ? T : never;
};

/** The settings whose scheduler-wide default `jobDefaults` may set. */
export type DefaultableSetting = {
  [K in JobSettingName]: JobSettingSpecs[K] extends DefaultableSpec<unknown> ? K : never;
}[JobSettingName];

export const JOB_SETTING_NAMES: readonly JobSettingName[] = Object.keys(
  JOB_SETTINGS,
) as JobSettingName[];

/** The names `jobDefaults` accepts. */
export const DEFAULTABLE_SETTINGS: readonly DefaultableSetting[] = JOB_SETTING_NAMES.filter(
  (name) => 'coerce' in JOB_SETTINGS[name],
) as DefaultableSetting[];

function spec(name: JobSettingName): SettingSpec<unknown> {
  return JOB_SETTINGS[name] as SettingSpec<unknown>;
}

/**
 * A setting given to `addJob` or `modifyJob`.
 * @throws InvalidJobOptionError naming the option, what it takes and the value.
 */
export function checkJobSetting<K extends JobSettingName>(name: K, value: unknown): JobSettings[K] {
  const { test, expected, check } = spec(name);
  if (check !== undefined) return check(value) as JobSettings[K];
  if (!test(value)) {
    throw new InvalidJobOptionError(
      name,
      `${name} must be ${expected}, got ${describeSettingValue(value)}`,
    );
  }
  return value as JobSettings[K];
}

/**
 * A setting read from a stored document: the problem with it (for a
 * `DeserializationError` of the caller's), or undefined when it is valid.
 */
export function settingProblem(name: JobSettingName, value: unknown): string | undefined {
  const { test, expected, optionalInDocument } = spec(name);
  if (value === undefined && optionalInDocument === true) return undefined;
  return test(value) ? undefined : `field "${name}" must be ${expected}`;
}

/** A `jobDefaults` value from configuration, strings coerced. @throws ConfigurationError naming `key` */
export function coerceJobDefault<K extends DefaultableSetting>(
  name: K,
  key: string,
  value: unknown,
): JobSettings[K] {
  const { coerce } = JOB_SETTINGS[name] as DefaultableSpec<unknown>;
  return coerce(key, value) as JobSettings[K];
}

/** The defaults of the settings `jobDefaults` may set, as a scheduler starts with them. */
export function builtInJobDefaults(): Pick<JobSettings, DefaultableSetting> {
  const defaults: Record<string, unknown> = {};
  for (const name of DEFAULTABLE_SETTINGS) defaults[name] = JOB_SETTINGS[name].default;
  return defaults as Pick<JobSettings, DefaultableSetting>;
}

function describeSettingValue(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  return describeValue(value);
}
