/**
 * Scheduler configuration: turns what the user wrote — the structured form or
 * the flat, prefixed form read from env files and JSON — into a validated,
 * normalized structure the scheduler merges into its current settings. Pure
 * functions, no I/O: creating stores and executors from `{ type, ...options }`
 * entries is the job of the plugin registry (`./plugins.ts`).
 *
 * Decisions (APScheduler 3.x `configure()`, reference §1.3, with these choices):
 * - Flat form: detected when any key starts with the prefix (default
 *   `'horarium.'`; a prefix without a trailing dot gets one). Keys without the
 *   prefix are ignored, as APScheduler does, so a whole application config can
 *   be passed — except a bare top-level option name (`timezone`, `jobstores`,
 *   …): mixing the two forms is an error rather than a silently ignored setting.
 *   An empty prefix reads every key, with dotted keys nested.
 * - Dotted keys nest (`'a.b.c': v` → `{ a: { b: { c: v } } }`); plain-object
 *   values merge with other keys under the same path; a value set twice
 *   (`'x.jobDefaults': { coalesce }` and `'x.jobDefaults.coalesce'`) is an error,
 *   not "last one wins". Empty segments (`'a..b'`) are errors.
 * - The structured form is not un-dotted: a dotted key in it is an unknown key.
 * - Strings are coerced wherever a number or boolean is expected, in both forms.
 *   Options inside store/executor entries are passed through as given; plugins
 *   coerce them with `coerceNumber` / `coerceBoolean`.
 * - `undefined` values mean "not given" and are skipped; the first problem found
 *   throws a `ConfigurationError` whose `key` is the full dotted key as written.
 */

import { isBuiltin } from 'node:module';
import { coerceBoolean, coerceNumber, isBooleanWord } from '../config/coerce.ts';
import { describeValue } from '../config/describe.ts';
import { ConfigurationError } from '../config/errors.ts';
import { nestFlat, normalizePrefix } from '../config/flat-form.ts';
import { isRecord } from '../config/records.ts';
import { unknownOptionProblem } from '../config/suggest.ts';
import type { Executor } from '../executors/executor.ts';
import {
  coerceJobDefault,
  DEFAULTABLE_SETTINGS,
  type DefaultableSetting,
} from '../jobs/job-fields.ts';
import { isPackageName, type JobReferenceRules } from '../jobs/reference-policy.ts';
import type { Logger } from '../logging.ts';
import type { JobStore } from '../stores/store.ts';
import { UnknownTimeZoneError } from '../time/errors.ts';
import { getZone } from '../time/zone.ts';
import { type ClusterOptions, normalizeClusterOptions } from './cluster/cluster-options.ts';
import { type HistoryOptions, normalizeHistoryOptions } from './history/retention-options.ts';

/** A store or executor given by plugin type name plus its constructor options. */
export interface PluginEntry {
  type: string;
  [option: string]: unknown;
}

/** Scheduler-wide defaults of the job settings that may have one (`jobs/job-fields.ts`). */
export interface JobDefaults {
  /** Run a job once, not once per missed run time, when several are due (default true). */
  coalesce?: boolean;
  /** How many batches of one job may run at once (default 1). */
  maxInstances?: number;
  /** Seconds after its scheduled time a run may still start; `null` = no limit (the default). */
  misfireGraceTime?: number | null;
}

// Every defaultable job setting has its documented field above, and nothing else does.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _jobDefaultsMatchSettings: SameKeys<keyof JobDefaults, DefaultableSetting> = true;

/** The structured configuration form. */
export interface SchedulerConfig {
  jobstores?: Record<string, JobStore | PluginEntry>;
  executors?: Record<string, Executor | PluginEntry>;
  jobDefaults?: JobDefaults;
  /** IANA zone name, `'UTC'` or a fixed offset: the default zone of triggers. */
  timezone?: string;
  logger?: Logger;
  /** Seconds before retrying a job store that failed (default 10). */
  jobstoreRetryInterval?: number;
  /**
   * Seconds `start()` waits for a job store to start (default 10). A store that
   * has not started by then is treated as failed (and, unless
   * `requireJobstores`, retried while the others run).
   */
  jobstoreStartTimeout?: number;
  /**
   * `start()` fails unless every job store starts (default false: a store that
   * cannot start is reported and retried every `jobstoreRetryInterval` while
   * the others run).
   */
  requireJobstores?: boolean;
  /** Unref the scheduler's timers so they do not keep the process alive. */
  daemon?: boolean;
  /** Seconds between polls of shared persistent stores for jobs added by other processes. */
  storePollInterval?: number;
  /**
   * Which modules stored jobs may load (see docs/security.md). Default: modules
   * inside the application root, no packages, no built-ins. In the flat form
   * lists are comma-separated: `'horarium.jobReferences.roots': '/srv/app,/opt/jobs'`.
   */
  jobReferences?: JobReferenceRules;
  /** How this scheduler shares its persistent stores with other schedulers (see docs/cluster.md). */
  cluster?: ClusterOptions;
  /**
   * How long the fire history keeps finished fires (default: succeeded 7
   * days, others 30 days, the newest 20 of each job always). Each job may
   * keep less with its own `history` option.
   */
  history?: HistoryOptions;
}

/** The flat configuration form: dotted keys under a prefix, values often strings. */
export type FlatConfig = Record<string, unknown>;

/**
 * The validated configuration: only the settings that were given, with values
 * coerced. Store and executor entries are either instances (kept by
 * reference) or copies of `{ type, ...options }` with `type` trimmed.
 */
export interface NormalizedConfig {
  jobstores?: Record<string, JobStore | PluginEntry>;
  executors?: Record<string, Executor | PluginEntry>;
  jobDefaults?: JobDefaults;
  timezone?: string;
  logger?: Logger;
  jobstoreRetryInterval?: number;
  jobstoreStartTimeout?: number;
  requireJobstores?: boolean;
  daemon?: boolean;
  storePollInterval?: number;
  jobReferences?: JobReferenceRules;
  cluster?: ClusterOptions;
  history?: HistoryOptions;
}

export interface NormalizeOptions {
  /** Prefix of flat keys (default `'horarium.'`); `''` or `null` reads every key. */
  prefix?: string | null;
}

const TOP_LEVEL_KEYS = [
  'jobstores',
  'executors',
  'jobDefaults',
  'timezone',
  'logger',
  'jobstoreRetryInterval',
  'jobstoreStartTimeout',
  'requireJobstores',
  'daemon',
  'storePollInterval',
  'jobReferences',
  'cluster',
  'history',
] as const;
const TOP_LEVEL_KEY_SET: ReadonlySet<string> = new Set(TOP_LEVEL_KEYS);
const JOB_REFERENCE_KEYS = ['base', 'roots', 'packages', 'builtins'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

// ---------------------------------------------------------------------------
// Store and executor entries

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return methods.every((method) => typeof record[method] === 'function');
}

/** Describes one kind of plugin: job stores or executors. */
export interface PluginKind<T> {
  /** `'job store'` or `'executor'`, for messages. */
  readonly noun: string;
  /** The methods that make an object an instance rather than an entry. */
  readonly methods: readonly string[];
  readonly isInstance: (value: unknown) => value is T;
}

/** Does `value` look like a job store instance (has `getDueJobs` and `addJob`)? */
export function isJobStore(value: unknown): value is JobStore {
  return hasMethods(value, JOB_STORE_KIND.methods);
}

/** Does `value` look like an executor instance (has `submitJob` and `shutdown`)? */
export function isExecutor(value: unknown): value is Executor {
  return hasMethods(value, EXECUTOR_KIND.methods);
}

export const JOB_STORE_KIND: PluginKind<JobStore> = {
  noun: 'job store',
  methods: ['getDueJobs', 'addJob'],
  isInstance: isJobStore,
};

export const EXECUTOR_KIND: PluginKind<Executor> = {
  noun: 'executor',
  methods: ['submitJob', 'shutdown'],
  isInstance: isExecutor,
};

/** The full dotted key each normalized entry came from, for the plugin registry's messages. */
const entryKeys = new WeakMap<object, string>();

/** The dotted key a normalized entry was read from (`'horarium.jobstores.main'`), if known. */
export function configKeyOf(entry: object): string | undefined {
  return entryKeys.get(entry);
}

/**
 * Validates one store/executor entry: an instance is returned as is; an object
 * with a non-empty string `type` is copied with `type` trimmed.
 *
 * @throws ConfigurationError for anything else.
 */
export function normalizeEntry<T>(
  key: string,
  value: unknown,
  kind: PluginKind<T>,
): T | PluginEntry {
  if (kind.isInstance(value)) return value;
  const expected = `expected ${kind.noun === 'executor' ? 'an' : 'a'} ${kind.noun} instance (with ${kind.methods.join(' and ')} methods) or an object with a "type"`;
  if (!isRecord(value))
    throw new ConfigurationError(key, `${expected}, got ${describeValue(value)}`);
  const type = value.type;
  if (type === undefined) {
    const hint =
      value.class !== undefined
        ? ' ("class" references are not supported: register the class with a type name and use "type")'
        : '';
    throw new ConfigurationError(key, `${expected}, got an object without "type"${hint}`);
  }
  if (typeof type !== 'string' || type.trim() === '') {
    throw new ConfigurationError(
      `${key}.type`,
      `expected a non-empty string naming ${kind.noun === 'executor' ? 'an' : 'a'} ${kind.noun} type, got ${describeValue(type)}`,
    );
  }
  const entry: PluginEntry = { ...value, type: type.trim() };
  entryKeys.set(entry, key);
  return entry;
}

function normalizeEntries<T>(
  key: string,
  value: unknown,
  kind: PluginKind<T>,
): Record<string, T | PluginEntry> {
  if (!isRecord(value)) {
    throw new ConfigurationError(
      key,
      `expected an object mapping aliases to ${kind.noun}s, got ${describeValue(value)}`,
    );
  }
  const entries: [string, T | PluginEntry][] = [];
  for (const alias of Object.keys(value)) {
    const entryKey = `${key}.${alias}`;
    const entry = value[alias];
    if (entry === undefined) continue;
    if (alias.trim() === '') throw new ConfigurationError(entryKey, `${kind.noun} alias is empty`);
    entries.push([alias, normalizeEntry(entryKey, entry, kind)]);
  }
  // fromEntries defines own properties: an alias "__proto__" cannot touch the prototype.
  return Object.fromEntries(entries);
}

// ---------------------------------------------------------------------------
// Other options

function normalizeJobDefaults(key: string, value: unknown): JobDefaults {
  if (!isRecord(value)) {
    throw new ConfigurationError(
      key,
      `expected an object with ${DEFAULTABLE_SETTINGS.join(', ')}, got ${describeValue(value)}`,
    );
  }
  const defaults: Record<string, unknown> = {};
  for (const name of Object.keys(value)) {
    const optionKey = `${key}.${name}`;
    const option = value[name];
    if (option === undefined) continue;
    if (!(DEFAULTABLE_SETTINGS as readonly string[]).includes(name))
      throw unknownKey(optionKey, name, DEFAULTABLE_SETTINGS, 'job default');
    defaults[name] = coerceJobDefault(name as DefaultableSetting, optionKey, option);
  }
  return defaults as JobDefaults;
}

function normalizeTimezone(key: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ConfigurationError(
      key,
      `expected a time zone name such as 'Europe/Berlin' or 'UTC', got ${describeValue(value)}`,
    );
  }
  const name = value.trim();
  try {
    getZone(name);
  } catch (error) {
    if (!(error instanceof UnknownTimeZoneError)) throw error;
    throw new ConfigurationError(
      key,
      `unknown time zone ${describeValue(value)}: expected an IANA name such as 'Europe/Berlin', 'UTC' or an offset such as '+05:30'`,
      { cause: error },
    );
  }
  return name;
}

function normalizeLogger(key: string, value: unknown): Logger {
  if (typeof value !== 'object' || value === null) {
    throw new ConfigurationError(
      key,
      `expected a logger with ${LOGGER_METHODS.join(', ')} methods, got ${describeValue(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  const missing = LOGGER_METHODS.filter((method) => typeof record[method] !== 'function');
  if (missing.length > 0) {
    throw new ConfigurationError(
      key,
      `expected a logger with ${LOGGER_METHODS.join(', ')} methods, got ${describeValue(value)} without ${missing.join(', ')}`,
    );
  }
  return value as Logger;
}

/** A list given as an array of strings or as comma-separated text (blank entries dropped). */
function stringList(key: string, value: unknown, what: string): string[] {
  const items =
    typeof value === 'string'
      ? value.split(',')
      : Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? (value as string[])
        : undefined;
  if (items === undefined)
    throw new ConfigurationError(
      key,
      `expected ${what} as an array of strings or comma-separated text, got ${describeValue(value)}`,
    );
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function normalizeJobReferences(key: string, value: unknown): JobReferenceRules {
  if (!isRecord(value)) {
    throw new ConfigurationError(
      key,
      `expected an object with ${JOB_REFERENCE_KEYS.join(', ')}, got ${describeValue(value)}`,
    );
  }
  const rules: JobReferenceRules = {};
  for (const name of Object.keys(value)) {
    const optionKey = `${key}.${name}`;
    const option = value[name];
    if (option === undefined) continue;
    switch (name) {
      case 'base':
        if (typeof option !== 'string' || option.trim() === '')
          throw new ConfigurationError(
            optionKey,
            `expected the application directory as a non-empty string, got ${describeValue(option)}`,
          );
        rules.base = option.trim();
        break;
      case 'roots':
        rules.roots = stringList(optionKey, option, 'directories');
        break;
      case 'packages': {
        const packages = stringList(optionKey, option, 'package names');
        const bad = packages.find((item) => !isPackageName(item));
        if (bad !== undefined)
          throw new ConfigurationError(
            optionKey,
            `${JSON.stringify(bad)} is not a package name (expected e.g. 'my-pkg' or '@scope/pkg'${isBuiltin(bad) ? `; ${JSON.stringify(bad)} is a Node.js built-in: list it in ${key}.builtins` : ''})`,
          );
        rules.packages = packages;
        break;
      }
      case 'builtins': {
        if (isBooleanWord(option)) {
          rules.builtins = coerceBoolean(optionKey, option);
          break;
        }
        const builtins = stringList(optionKey, option, 'Node.js built-in module names, or true');
        const bad = builtins.find((item) => !isBuiltin(item));
        if (bad !== undefined)
          throw new ConfigurationError(
            optionKey,
            `${JSON.stringify(bad)} is not a Node.js built-in module (expected e.g. 'fs' or 'node:child_process', or true for every one)`,
          );
        rules.builtins = builtins;
        break;
      }
      default:
        throw unknownKey(optionKey, name, JOB_REFERENCE_KEYS, 'job reference option');
    }
  }
  return rules;
}

function unknownKey(
  key: string,
  name: string,
  known: readonly string[],
  what: string,
  hint = '',
): ConfigurationError {
  return new ConfigurationError(key, unknownOptionProblem(name, known, `unknown ${what}`) + hint);
}

/**
 * Validates and normalizes a scheduler configuration given in the structured
 * or the flat form (see the module comment for the rules).
 *
 * @throws ConfigurationError naming the full dotted key and the value at fault.
 */
export function normalizeConfig(
  input: SchedulerConfig | FlatConfig | null | undefined,
  options: NormalizeOptions = {},
): NormalizedConfig {
  if (input === undefined || input === null) return {};
  if (!isRecord(input)) {
    throw new ConfigurationError('', `expected an object, got ${describeValue(input)}`);
  }
  const record = input as Record<string, unknown>;
  const prefix = normalizePrefix(options.prefix);
  const keys = Object.keys(record);
  let tree: Record<string, unknown>;
  let keyPrefix = '';
  if (prefix === '') {
    tree = nestFlat(record, keys, '');
  } else if (keys.some((key) => key.startsWith(prefix))) {
    const mixed = keys.find((key) => TOP_LEVEL_KEY_SET.has(key) && record[key] !== undefined);
    if (mixed !== undefined) {
      throw new ConfigurationError(
        mixed,
        `structured option mixed with flat "${prefix}…" keys: write it as "${prefix}${mixed}", or pass the structured form alone`,
      );
    }
    tree = nestFlat(
      record,
      keys.filter((key) => key.startsWith(prefix)),
      prefix,
    );
    keyPrefix = prefix;
  } else {
    tree = record;
  }
  return normalizeTree(tree, keyPrefix, prefix);
}

function normalizeTree(
  tree: Record<string, unknown>,
  keyPrefix: string,
  prefix: string,
): NormalizedConfig {
  const config: NormalizedConfig = {};
  for (const name of Object.keys(tree)) {
    const key = keyPrefix + name;
    const value = tree[name];
    if (value === undefined) continue;
    switch (name) {
      case 'jobstores':
        config.jobstores = normalizeEntries(key, value, JOB_STORE_KIND);
        break;
      case 'executors':
        config.executors = normalizeEntries(key, value, EXECUTOR_KIND);
        break;
      case 'jobDefaults':
        config.jobDefaults = normalizeJobDefaults(key, value);
        break;
      case 'timezone':
        config.timezone = normalizeTimezone(key, value);
        break;
      case 'logger':
        config.logger = normalizeLogger(key, value);
        break;
      case 'jobstoreRetryInterval':
        config.jobstoreRetryInterval = coerceNumber(key, value, { positive: true });
        break;
      case 'jobstoreStartTimeout':
        config.jobstoreStartTimeout = coerceNumber(key, value, { positive: true });
        break;
      case 'requireJobstores':
        config.requireJobstores = coerceBoolean(key, value);
        break;
      case 'daemon':
        config.daemon = coerceBoolean(key, value);
        break;
      case 'storePollInterval':
        config.storePollInterval = coerceNumber(key, value, { positive: true });
        break;
      case 'jobReferences':
        config.jobReferences = normalizeJobReferences(key, value);
        break;
      case 'cluster':
        config.cluster = normalizeClusterOptions(key, value);
        break;
      case 'history':
        config.history = normalizeHistoryOptions(key, value);
        break;
      default: {
        const hint =
          keyPrefix === '' && prefix !== '' && name.includes('.')
            ? ` (dotted keys are read only in the flat form, under the prefix "${prefix}")`
            : '';
        throw unknownKey(key, name, TOP_LEVEL_KEYS, 'scheduler option', hint);
      }
    }
  }
  return config;
}
