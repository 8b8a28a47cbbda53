/**
 * Opening a job store from a URL for the CLI, and the StoreContext the `jobs`
 * commands start it with. The CLI never imports job modules: it restores
 * every stored job with a placeholder function (it never runs them), so a
 * job whose module only the scheduler's process can load is listed like any
 * other. Each reference is still checked against the job reference rules
 * (without importing anything), so that a row a scheduler would refuse is
 * listed as not restorable. Rows that cannot be read at all (corrupt JSON, an
 * unknown trigger type) are collected as broken and listed with their id and
 * next run time.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError } from '../config/errors.ts';
import { redactSecretsIn, redactUrl } from '../config/redact-url.ts';
import { HorariumError } from '../errors.ts';
import { Job, type JobChanges, type JobOwner } from '../jobs/job.ts';
import type { JobReferenceRules, ReferencePolicy } from '../jobs/reference-policy.ts';
import { readJobDocument } from '../jobs/serialization.ts';
import { silentLogger } from '../logging.ts';
import { normalizeConfig } from '../scheduler/config.ts';
import { MemoryJobStore } from '../stores/memory/memory-store.ts';
import { RedisJobStore } from '../stores/redis/redis-store.ts';
import { parseSqlUrl } from '../stores/sql/dialects.ts';
import { SqlJobStore } from '../stores/sql/sql-store.ts';
import type { JobStore, RestoreFailure, StoreContext } from '../stores/store.ts';
import type { Zone } from '../time/zone.ts';

/** The store URL when `--store` is not given. */
export const DEFAULT_STORE_URL = 'sqlite:horarium.sqlite';

/** `--store`, else `HORARIUM_STORE`, else the default. */
export function storeUrlFrom(option: string | undefined): string {
  const fromEnv = process.env.HORARIUM_STORE;
  return option ?? (fromEnv === undefined || fromEnv === '' ? DEFAULT_STORE_URL : fromEnv);
}

/** An error the CLI reports as one line (a usage or input problem, not a bug). */
export class CliError extends HorariumError {
  override name = 'CliError';
}

/**
 * A store for a URL: `memory` (only with `run`), `redis://` / `rediss://`, or
 * a SQL URL (`sqlite:path`, `postgres://…`, `mysql://…`). With `mustExist`, a
 * SQLite file that does not exist is an error instead of being created.
 */
export function createStore(url: string, options: { mustExist: boolean }): JobStore {
  if (url === 'memory' || url === 'memory:') {
    if (options.mustExist)
      throw new CliError(
        'a memory store only lives inside a running scheduler; give a persistent --store URL',
      );
    return new MemoryJobStore();
  }
  if (/^rediss?:\/\//i.test(url)) return new RedisJobStore({ url });
  if (!/^(sqlite|postgres|postgresql|mysql|mariadb):/i.test(url))
    throw new CliError(
      `unsupported store URL ${JSON.stringify(redactUrl(url))}: use sqlite:<path>, postgres://…, mysql://…, redis://… (or memory, for run)`,
    );
  const target = parseSqlUrl(url);
  if (target.dialect === 'sqlite' && options.mustExist && target.path !== ':memory:') {
    if (!existsSync(resolve(target.path)))
      throw new CliError(
        `no job store at ${target.path} (file not found; check --store ${redactUrl(url)})`,
      );
  }
  return new SqlJobStore({ url });
}

/** Why a failure happened, as one line. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The owner of the jobs the CLI restores: they are changed through the store, never through `job.pause()`. */
class CliJobOwner implements JobOwner {
  readonly zone: Zone;
  constructor(zone: Zone) {
    this.zone = zone;
  }
  #refuse(): never {
    throw new CliError('jobs read by the CLI are changed through the store');
  }
  modifyJob(_id: string, _changes: JobChanges): Promise<Job> {
    return this.#refuse();
  }
  rescheduleJob(): Promise<Job> {
    return this.#refuse();
  }
  pauseJob(): Promise<Job> {
    return this.#refuse();
  }
  resumeJob(): Promise<Job | null> {
    return this.#refuse();
  }
  removeJob(): Promise<void> {
    return this.#refuse();
  }
}

/** A started store plus what the CLI learned while reading it. */
export interface OpenStore {
  readonly store: JobStore;
  readonly alias: string;
  readonly owner: JobOwner;
  /** Rows that could not be restored in the latest read, by id. */
  readonly broken: Map<string, RestoreFailure>;
  close(): Promise<void>;
}

/** The reference rule options of `run` and the `jobs` commands, as given (comma-separated lists). */
export interface ReferenceOptions {
  base?: string;
  roots?: string;
  packages?: string;
  builtins?: string;
}

const REFERENCE_FLAGS: Record<string, string> = {
  base: '--base',
  roots: '--roots',
  packages: '--packages',
  builtins: '--builtins',
};

/**
 * The job reference rules the options give, validated as the scheduler's
 * `jobReferences` option is.
 *
 * @throws CliError naming the option at fault.
 */
export function referenceRulesFrom(options: ReferenceOptions): JobReferenceRules {
  const given: Record<string, string> = {};
  for (const name of Object.keys(REFERENCE_FLAGS)) {
    const value = options[name as keyof ReferenceOptions];
    if (value !== undefined) given[name] = value;
  }
  try {
    return normalizeConfig({ jobReferences: given }).jobReferences ?? {};
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const flag = REFERENCE_FLAGS[error.key.replace(/^jobReferences\./, '')] ?? error.key;
    throw new CliError(error.message.replace(/^[^:]*:/, `${flag}:`), { cause: error });
  }
}

/** Opens and starts the store at `url` for the `jobs` commands, checking references with `references`. */
export async function openStore(
  url: string,
  zone: Zone,
  references: ReferencePolicy,
): Promise<OpenStore> {
  const store = createStore(url, { mustExist: true });
  const owner = new CliJobOwner(zone);
  const broken = new Map<string, RestoreFailure>();
  const alias = 'default';
  const context: StoreContext = {
    logger: silentLogger,
    restoreJob: async (document) => {
      const state = readJobDocument(document);
      // Throws for a reference a scheduler would refuse: the row is then listed as not restorable.
      references.check(state.funcRef, 'store');
      broken.delete(state.id);
      const func = (): never => {
        throw new CliError('the CLI does not run jobs');
      };
      return new Job(owner, { ...state, func }, alias);
    },
    restoreFailed: (failure) => {
      broken.set(failure.jobId, failure);
    },
  };
  try {
    await store.start(context, alias);
  } catch (error) {
    throw new CliError(
      `cannot open job store ${redactUrl(url)}: ${redactSecretsIn(reasonOf(error), url)}`,
      { cause: error },
    );
  }
  return { store, alias, owner, broken, close: () => store.shutdown() };
}

/**
 * Tells running schedulers to look at the store now, where the store has
 * wake-ups (PostgreSQL, Redis); a hint, never an error: they poll anyway.
 */
export async function wakeSchedulers(store: JobStore): Promise<void> {
  const channel = store.ledger?.wakeChannel?.(() => {});
  if (channel === undefined) return;
  try {
    await channel.open(() => {});
    await channel.send('horarium-cli');
  } finally {
    await channel.close();
  }
}
