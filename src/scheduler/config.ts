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
import type { Executor } from '../executors/executor.ts';
import { isPackageName, type JobReferenceRules } from '../jobs/reference-policy.ts';
import type { Logger } from '../logging.ts';
import { redactUrl } from '../stores/redact-url.ts';
import type { JobStore } from '../stores/store.ts';
import { UnknownTimeZoneError } from '../time/errors.ts';
import { getZone } from '../time/zone.ts';
import { ConfigurationError } from './errors.ts';

/** A store or executor given by plugin type name plus its constructor options. */
export interface PluginEntry {
  type: string;
  [option: string]: unknown;
}

export interface JobDefaults {
  /** Run a job once, not once per missed run time, when several are due (default true). */
  coalesce?: boolean;
  /** How many batches of one job may run at once (default 1). */
  maxInstances?: number;
  /** Seconds after its scheduled time a run may still start; `null` = no limit (the default). */
  misfireGraceTime?: number | null;
}

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
  daemon?: boolean;
  storePollInterval?: number;
  jobReferences?: JobReferenceRules;
}

export interface NormalizeOptions {
  /** Prefix of flat keys (default `'horarium.'`); `''` or `null` reads every key. */
  prefix?: string | null;
}

export const DEFAULT_CONFIG_PREFIX = 'horarium.';

const TOP_LEVEL_KEYS = [
  'jobstores',
  'executors',
  'jobDefaults',
  'timezone',
  'logger',
  'jobstoreRetryInterval',
  'daemon',
  'storePollInterval',
  'jobReferences',
] as const;
const TOP_LEVEL_KEY_SET: ReadonlySet<string> = new Set(TOP_LEVEL_KEYS);
const JOB_DEFAULT_KEYS = ['coalesce', 'maxInstances', 'misfireGraceTime'] as const;
const JOB_REFERENCE_KEYS = ['base', 'roots', 'packages', 'builtins'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

// ---------------------------------------------------------------------------
// Coercion helpers (also for plugins)

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

/**
 * A short description of a value for error messages: strings quoted (a
 * connection URL given where something else belongs, without its secrets),
 * objects by kind.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(redactUrl(value));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor =
      typeof proto === 'object' && proto !== null
        ? (proto as { constructor?: unknown }).constructor
        : undefined;
    const name = typeof ctor === 'function' ? ctor.name : '';
    if (name === '' || name === 'Object') return 'an object';
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  return String(value);
}

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

/**
 * A boolean from a boolean, `0`/`1`, or the text `true/yes/on/y/t/1` or
 * `false/no/off/n/f/0` (case-insensitive, trimmed) — APScheduler's `asbool`.
 *
 * @throws ConfigurationError naming `key` and the value otherwise.
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

// ---------------------------------------------------------------------------
// Store and executor entries

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

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
      `expected an object with ${JOB_DEFAULT_KEYS.join(', ')}, got ${describeValue(value)}`,
    );
  }
  const defaults: JobDefaults = {};
  for (const name of Object.keys(value)) {
    const optionKey = `${key}.${name}`;
    const option = value[name];
    if (option === undefined) continue;
    switch (name) {
      case 'coalesce':
        defaults.coalesce = coerceBoolean(optionKey, option);
        break;
      case 'maxInstances':
        defaults.maxInstances = coerceNumber(optionKey, option, { integer: true, positive: true });
        break;
      case 'misfireGraceTime':
        defaults.misfireGraceTime = coerceNullableNumber(optionKey, option, { positive: true });
        break;
      default:
        throw unknownKey(optionKey, name, JOB_DEFAULT_KEYS, 'job default');
    }
  }
  return defaults;
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
        const word = typeof option === 'string' ? option.trim().toLowerCase() : undefined;
        if (
          typeof option === 'boolean' ||
          option === 0 ||
          option === 1 ||
          (word !== undefined && (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)))
        ) {
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

// ---------------------------------------------------------------------------
// Unknown keys, with a suggestion for typos and APScheduler's snake_case names

function squash(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggest(name: string, candidates: readonly string[]): string | undefined {
  const squashed = squash(name);
  let best: string | undefined;
  let bestDistance = 3; // suggest only within two edits
  for (const candidate of candidates) {
    const distance = editDistance(squashed, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function unknownKey(
  key: string,
  name: string,
  known: readonly string[],
  what: string,
  hint = '',
): ConfigurationError {
  const suggestion = suggest(name, known);
  const didYouMean = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
  return new ConfigurationError(
    key,
    `unknown ${what}${didYouMean}; known: ${known.join(', ')}${hint}`,
  );
}

// ---------------------------------------------------------------------------
// Flat form: prefix filtering and dotted-key nesting

/** Nodes created (or copied) while nesting; only these may be written to. */
type Tree = Record<string, unknown>;

function newNode(): Tree {
  return Object.create(null) as Tree;
}

function copyNode(source: Record<string, unknown>): Tree {
  return Object.assign(newNode(), source);
}

class Nester {
  readonly root: Tree = newNode();
  readonly #owned = new WeakSet<object>([this.root]);
  /** The full key that set each path (joined with '.'), for conflict messages. */
  readonly #setBy = new Map<string, string>();

  /** Sets `value` at `segments` under `node`; `path` is the dotted path of `node`. */
  set(node: Tree, path: string, segments: readonly string[], value: unknown, key: string): void {
    let current = node;
    let currentPath = path;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i]!;
      currentPath = currentPath === '' ? segment : `${currentPath}.${segment}`;
      current = this.#child(current, segment, currentPath, key);
    }
    const last = segments[segments.length - 1]!;
    const lastPath = currentPath === '' ? last : `${currentPath}.${last}`;
    const existing = current[last];
    if (existing === undefined) {
      current[last] = value;
      this.#setBy.set(lastPath, key);
      return;
    }
    if (isPlainObject(existing) && isPlainObject(value)) {
      const target = this.#child(current, last, lastPath, key);
      for (const name of Object.keys(value)) {
        if (value[name] === undefined) continue;
        this.set(target, lastPath, [name], value[name], `${key}.${name}`);
      }
      return;
    }
    throw this.#conflict(key, lastPath);
  }

  /** The writable plain-object node at `current[segment]`, creating or copying it. */
  #child(current: Tree, segment: string, path: string, key: string): Tree {
    const existing = current[segment];
    if (existing === undefined) {
      const created = newNode();
      this.#owned.add(created);
      current[segment] = created;
      return created;
    }
    if (!isPlainObject(existing)) throw this.#conflict(key, path);
    if (this.#owned.has(existing)) return existing;
    const copy = copyNode(existing); // never write into the caller's objects
    this.#owned.add(copy);
    current[segment] = copy;
    return copy;
  }

  #conflict(key: string, path: string): ConfigurationError {
    let other: string | undefined;
    for (
      let at = path;
      other === undefined && at !== '';
      at = at.slice(0, Math.max(0, at.lastIndexOf('.')))
    ) {
      other = this.#setBy.get(at);
    }
    return new ConfigurationError(
      key,
      `conflicts with ${other === undefined ? `another key setting "${path}"` : `"${other}"`}: each setting may be given only once`,
    );
  }
}

function nestFlat(input: Record<string, unknown>, keys: readonly string[], prefix: string): Tree {
  const nester = new Nester();
  for (const key of keys) {
    const value = input[key];
    if (value === undefined) continue;
    const segments = key.slice(prefix.length).split('.');
    if (segments.some((segment) => segment === '')) {
      throw new ConfigurationError(
        key,
        `empty segment in dotted key (expected ${prefix === '' ? '' : `"${prefix}"`}name.name…)`,
      );
    }
    nester.set(nester.root, '', segments, value, key);
  }
  return nester.root;
}

function normalizePrefix(prefix: string | null | undefined): string {
  if (prefix === undefined) return DEFAULT_CONFIG_PREFIX;
  if (prefix === null || prefix === '') return '';
  return prefix.endsWith('.') ? prefix : `${prefix}.`;
}

// ---------------------------------------------------------------------------

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
      case 'daemon':
        config.daemon = coerceBoolean(key, value);
        break;
      case 'storePollInterval':
        config.storePollInterval = coerceNumber(key, value, { positive: true });
        break;
      case 'jobReferences':
        config.jobReferences = normalizeJobReferences(key, value);
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
