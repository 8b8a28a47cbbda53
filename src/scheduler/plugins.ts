/**
 * The plugin registry: how `{ type: 'sql', ...options }` entries in a
 * scheduler configuration become job store and executor instances. The
 * built-in types are registered in one place (`./builtins.ts`); applications
 * may register their own.
 *
 * Decisions: registering a type again replaces its factory (as the trigger
 * registry does); type names are matched exactly (case-sensitive); a factory
 * gets the entry's options without `type`, plus the alias and the full
 * configuration key so that it can name the key in its own errors
 * (`coerceNumber(`${key}.maxWorkers`, options.maxWorkers, …)`).
 */

import { describeValue } from '../config/describe.ts';
import { ConfigurationError } from '../config/errors.ts';
import type { Executor } from '../executors/executor.ts';
import type { JobStore } from '../stores/store.ts';
import {
  configKeyOf,
  EXECUTOR_KIND,
  JOB_STORE_KIND,
  normalizeEntry,
  type PluginEntry,
  type PluginKind,
} from './config.ts';

/** What a factory gets besides the options. */
export interface PluginContext {
  /** The alias the instance is created under (`'default'`, `'main'`). */
  readonly alias: string;
  /** The full dotted configuration key of the entry (`'horarium.jobstores.main'`); prefix option keys with it in errors. */
  readonly key: string;
}

export type JobStoreFactory = (
  options: Record<string, unknown>,
  context: PluginContext,
) => JobStore;
export type ExecutorFactory = (
  options: Record<string, unknown>,
  context: PluginContext,
) => Executor;

export interface CreateOptions {
  /** The configuration key to name in errors; default: where the entry was read from, else `jobstores.<alias>` / `executors.<alias>`. */
  key?: string;
}

type Factory<T> = (options: Record<string, unknown>, context: PluginContext) => T;

class Registry<T> {
  readonly #factories = new Map<string, Factory<T>>();
  readonly #kind: PluginKind<T>;
  readonly #section: string;

  constructor(kind: PluginKind<T>, section: string) {
    this.#kind = kind;
    this.#section = section;
  }

  register(type: string, factory: Factory<T>): void {
    if (typeof type !== 'string' || type.trim() === '') {
      throw new TypeError(`A ${this.#kind.noun} type name must be a non-empty string`);
    }
    if (typeof factory !== 'function') {
      throw new TypeError(`The factory for ${this.#kind.noun} type "${type}" must be a function`);
    }
    this.#factories.set(type.trim(), factory);
  }

  types(): string[] {
    return [...this.#factories.keys()];
  }

  create(alias: string, entry: unknown, options: CreateOptions): T {
    const fallbackKey = `${this.#section}.${alias}`;
    const key =
      options.key ??
      (typeof entry === 'object' && entry !== null ? configKeyOf(entry) : undefined) ??
      fallbackKey;
    const normalized = normalizeEntry(key, entry, this.#kind);
    if (this.#kind.isInstance(normalized)) return normalized;
    const { type, ...factoryOptions } = normalized as PluginEntry;
    const noun = this.#kind.noun;
    const factory = this.#factories.get(type);
    if (factory === undefined) {
      const known = this.types();
      throw new ConfigurationError(
        key,
        `unknown ${noun} type ${describeValue(type)} (${known.length === 0 ? 'none registered' : `known: ${known.join(', ')}`})`,
      );
    }
    let instance: unknown;
    try {
      instance = factory(factoryOptions, { alias, key });
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigurationError(key, `cannot create ${noun} of type "${type}": ${reason}`, {
        cause: error,
      });
    }
    if (!this.#kind.isInstance(instance)) {
      throw new ConfigurationError(
        key,
        `the factory of ${noun} type "${type}" returned ${describeValue(instance)}, which lacks ${this.#kind.methods.join(' or ')}`,
      );
    }
    return instance;
  }
}

const jobStores = new Registry<JobStore>(JOB_STORE_KIND, 'jobstores');
const executors = new Registry<Executor>(EXECUTOR_KIND, 'executors');

/**
 * Makes `{ type, ...options }` job store entries of this type creatable; replaces an earlier registration.
 *
 * @example
 * ```ts
 * registerJobStoreType('file', (options, { key }) => {
 *   checkOptionNames(key, options, ['path'], 'file job store option');
 *   return new FileJobStore(String(options.path ?? 'jobs.json'));
 * });
 * new AsyncScheduler({ jobstores: { default: { type: 'file', path: '/var/lib/app/jobs.json' } } });
 * ```
 */
export function registerJobStoreType(type: string, factory: JobStoreFactory): void {
  jobStores.register(type, factory);
}

/**
 * Makes `{ type, ...options }` executor entries of this type creatable; replaces an earlier registration.
 *
 * @example
 * ```ts
 * registerExecutorType('logging', (options, { key }) => {
 *   checkOptionNames(key, options, [], 'logging executor option');
 *   return new LoggingExecutor();
 * });
 * new AsyncScheduler({ executors: { default: { type: 'logging' } } });
 * ```
 */
export function registerExecutorType(type: string, factory: ExecutorFactory): void {
  executors.register(type, factory);
}

/** The registered job store type names, in registration order. */
export function registeredJobStoreTypes(): string[] {
  return jobStores.types();
}

/** The registered executor type names, in registration order. */
export function registeredExecutorTypes(): string[] {
  return executors.types();
}

/**
 * A job store from a configuration entry: an instance is returned as is; a
 * `{ type, ...options }` entry is built by the factory registered for `type`.
 *
 * @throws ConfigurationError when the entry is invalid, the type unknown, or the factory fails.
 */
export function createJobStore(
  alias: string,
  entry: JobStore | PluginEntry,
  options: CreateOptions = {},
): JobStore {
  return jobStores.create(alias, entry, options);
}

/**
 * An executor from a configuration entry: an instance is returned as is; a
 * `{ type, ...options }` entry is built by the factory registered for `type`.
 *
 * @throws ConfigurationError when the entry is invalid, the type unknown, or the factory fails.
 */
export function createExecutor(
  alias: string,
  entry: Executor | PluginEntry,
  options: CreateOptions = {},
): Executor {
  return executors.create(alias, entry, options);
}
