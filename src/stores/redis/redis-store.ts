/**
 * `RedisJobStore` (config type `'redis'`): jobs in Redis, laid out as
 * APScheduler's RedisJobStore — a hash of job states and a sorted set of run
 * times — with every change that touches both in one Lua script, and the
 * cluster ledger beside them (`redis-ledger.ts`).
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { ConfigurationError } from '../../config/errors.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import { DeserializationError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { serializeJob } from '../../jobs/serialization.ts';
import type { CalendarStore } from '../calendars.ts';
import {
  checkStorableId,
  checkUrlOrClient,
  compareRunOrder,
  forgetUnread,
  isStorableId,
  messageOf,
  optionalString,
  parseJobState,
  restoreOrReport,
  withinTimeout,
} from '../common.ts';
import { ConflictingIdError, JobLookupError, StoreSetupError } from '../errors.ts';
import type { JobChangeLog } from '../job-changes.ts';
import type { ClusterLedger, LeaseConnection } from '../ledger.ts';
import type { OutageLog } from '../outages.ts';
import type { JobStore, StoreContext } from '../store.ts';
import type { WakeChannel } from '../wake.ts';
import { RedisCalendars } from './redis-calendars.ts';
import { closeRedisClient, DEFAULT_CONNECT_TIMEOUT_MS, openRedisClient } from './redis-client.ts';
import { RedisJobChanges } from './redis-job-changes.ts';
import { runScript, storeKeys } from './redis-keys.ts';
import { leaseConnectionFor } from './redis-lease.ts';
import { RedisLedger } from './redis-ledger.ts';
import { RedisOutages } from './redis-outages.ts';
import { asArray, asString, parseScore, unexpectedReply } from './redis-replies.ts';
import {
  ADD_JOB,
  ADD_JOBS,
  ALL_JOBS,
  DUE_JOBS,
  FIRST_RUN_TIMES,
  LOOKUP_JOB,
  REMOVE_ALL,
  REMOVE_JOB,
  REMOVE_JOBS,
  type RedisScript,
  UPDATE_JOB,
  UPDATE_JOBS,
} from './redis-scripts.ts';
import { RedisWakeChannel } from './redis-wake-channel.ts';

/** Options of {@link RedisJobStore}: a connection URL or an existing ioredis client. */
export interface RedisJobStoreOptions {
  /** `redis://[:password@]host[:port][/db]` (or `rediss://`); the store opens a client at `start()` and closes it at `shutdown()`. */
  url?: string;
  /** More ioredis options for the client opened from `url`. */
  clientOptions?: RedisOptions;
  /**
   * An ioredis client the application owns, `Redis` or `Cluster`: used as it
   * is and never closed by the store. With a `Cluster`, `keyPrefix` must hold
   * a hash tag (see below).
   */
  client?: Redis | Cluster;
  /**
   * Prefix of the store's keys, `${keyPrefix}jobs` (hash), `${keyPrefix}run_times`
   * (sorted set) and those of the cluster ledger (`${keyPrefix}fires` and
   * others); default `'horarium.'`. With a Redis Cluster client it must
   * hold a hash tag (`'{horarium}.'`), so that every key lives in one slot and
   * every change to them stays one atomic script.
   */
  keyPrefix?: string;
}

const DEFAULT_KEY_PREFIX = 'horarium.';

/** The options the constructor and `{ type, ...options }` entries take. */
const OPTION_NAMES: readonly string[] = ['url', 'client', 'clientOptions', 'keyPrefix'];

/**
 * Keeps jobs in Redis. `${keyPrefix}jobs` maps each job id to its job state
 * JSON (`jobToDocument`); `${keyPrefix}run_times` scores each scheduled job id
 * with its next run time in epoch milliseconds, so due jobs are one range
 * query and sub-second times are exact. Paused jobs have no score.
 *
 * Every write is one Lua script (check and write together), so two schedulers
 * adding the same id cannot both succeed, and `addJobs` adds all or nothing.
 * Any number of schedulers may share the store: its {@link ledger} (claims
 * with fencing tokens, the fire ledger, run leases, node check-ins) is Lua
 * scripts on keys of the same prefix, clocked by the Redis server's `TIME`.
 * A stored job that cannot be restored (its module gone, a corrupt entry) is
 * skipped, reported through the scheduler, and left in place.
 *
 * ioredis is an optional peer dependency, loaded at `start()`.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   jobstores: { default: new RedisJobStore({ url: 'redis://localhost:6379' }) },
 * });
 * // or, in configuration: { jobstores: { default: { type: 'redis', url: 'redis://localhost:6379' } } }
 * ```
 */
export class RedisJobStore implements JobStore {
  readonly shared = true;
  /** The cluster ledger, on the same keys and connection as the jobs. */
  readonly ledger: ClusterLedger;
  /**
   * The job change log (`redis-job-changes.ts`), in `${keyPrefix}job_changes`
   * and `${keyPrefix}job_change_versions`.
   */
  readonly jobChanges: JobChangeLog;
  /** The store outage log (`redis-outages.ts`), in `${keyPrefix}outages` and `${keyPrefix}outage_starts`. */
  readonly outages: OutageLog;
  /** The named calendars, in the hash `${keyPrefix}calendars`. */
  readonly calendars: CalendarStore;
  readonly #options: RedisJobStoreOptions;
  readonly #keyPrefix: string;
  readonly #keys: [jobs: string, runTimes: string];
  /** Every key of the store, as every script gets them. */
  readonly #allKeys: readonly string[];
  #client: Redis | Cluster | null = null;
  #ownsClient = false;
  #context: StoreContext | null = null;
  /** Ids this store found unrestorable: `getNextRunTime` looks past them, or a scheduler would wake for them forever. */
  readonly #broken = new Set<string>();

  constructor(options: RedisJobStoreOptions) {
    checkUrlOrClient(options, 'RedisJobStore', 'an ioredis client');
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    if (typeof keyPrefix !== 'string')
      throw new TypeError('RedisJobStore: keyPrefix must be a string');
    if (isCluster(options.client) && hashTagOf(keyPrefix) === null) {
      throw new ConfigurationError(
        'keyPrefix',
        `with a Redis Cluster client the key prefix needs a hash tag, e.g. '{horarium}.', so that the store's keys live in one slot (got ${JSON.stringify(keyPrefix)})`,
      );
    }
    this.#options = options;
    this.#keyPrefix = keyPrefix;
    this.#keys = [`${keyPrefix}jobs`, `${keyPrefix}run_times`];
    this.#allKeys = storeKeys(keyPrefix);
    this.jobChanges = new RedisJobChanges(() => this.#started(), keyPrefix);
    this.outages = new RedisOutages(() => this.#started(), keyPrefix);
    this.calendars = new RedisCalendars(() => this.#started(), keyPrefix);
    this.ledger = new RedisLedger({
      run: (script, args) => this.#run(script, args),
      restore: (id, state, time) => this.#restore(id, state, time),
      logger: () => this.#startedContext().logger,
      entry: entryArgs,
      leaseConnection: () => this.#leaseConnection(),
      wakeChannel: (onError) => this.#wakeChannel(onError),
      identity: () => this.#identity(),
    });
  }

  /** Wake-ups over pub/sub: published through the store's client, heard on a duplicate of it. */
  #wakeChannel(onError: (message: string) => void): WakeChannel | undefined {
    const client = this.#client;
    if (client === null) return undefined;
    return new RedisWakeChannel({
      publisher: () => this.#client,
      // The store's client refuses commands while disconnected; the subscriber
      // queues its SUBSCRIBE until it is connected.
      subscriber: () =>
        isCluster(client)
          ? client.duplicate(undefined, { enableOfflineQueue: true })
          : client.duplicate({ enableOfflineQueue: true, lazyConnect: false }),
      channel: `${this.#keyPrefix}wake`,
      onError,
    });
  }

  /** The server, database and key prefix; never credentials. */
  #identity(): string {
    const { url, client } = this.#options;
    if (url !== undefined) {
      try {
        const parsed = new URL(url);
        const db = parsed.pathname.replace(/^\//, '') || '0';
        return `redis://${parsed.hostname}:${parsed.port || '6379'}/${db}#${this.#keyPrefix}`;
      } catch {
        return `redis#${this.#keyPrefix}`;
      }
    }
    if (client !== undefined && !isCluster(client)) {
      const { host, port, db } = client.options;
      return `redis://${host ?? 'localhost'}:${port ?? 6379}/${db ?? 0}#${this.#keyPrefix}`;
    }
    return `redis-cluster#${this.#keyPrefix}`;
  }

  /** The hash of job states and the sorted set of run times. */
  get keys(): { jobs: string; runTimes: string } {
    return { jobs: this.#keys[0], runTimes: this.#keys[1] };
  }

  /**
   * Opens the client (from `url`) or takes the given one, and checks that the
   * server answers.
   *
   * @throws StoreSetupError when ioredis is not installed, or the server cannot
   * be reached or does not answer within `clientOptions.connectTimeout` (10 s).
   * The client the store opened is closed again then.
   */
  async start(context: StoreContext, _alias: string): Promise<void> {
    // Started again without a shutdown: release the client opened before.
    if (this.#client !== null) await this.shutdown();
    this.#context = context;
    this.#broken.clear();
    const given = this.#options.client;
    if (given !== undefined) {
      const timeout = this.#options.clientOptions?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
      try {
        await withinTimeout(
          given.call('PING'),
          timeout,
          `Redis did not answer PING through the given client within ${timeout} ms`,
          () => {},
        );
      } catch (error) {
        if (error instanceof StoreSetupError) throw error;
        throw new StoreSetupError(
          `Cannot reach Redis through the given client: ${messageOf(error)}`,
          { cause: error },
        );
      }
      this.#client = given;
      this.#ownsClient = false;
      return;
    }
    const url = this.#options.url as string;
    this.#client = await openRedisClient(url, this.#options.clientOptions, (message) =>
      context.logger.warn(message),
    );
    this.#ownsClient = true;
  }

  /** Closes the client the store opened; a client passed in stays open. */
  async shutdown(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client === null || !this.#ownsClient) return;
    this.#ownsClient = false;
    await closeRedisClient(client as Redis);
  }

  async lookupJob(id: string): Promise<Job | null> {
    // No entry has such an id; sent, it would arrive as another (U+FFFD for the surrogate).
    if (!isStorableId(id)) return null;
    const reply = await this.#run(LOOKUP_JOB, [id]);
    const [state, score] = asArray(reply, 'lookup');
    if (state === null || state === undefined) return null;
    return this.#restore(id, state, parseScore(score));
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    const time = now.getTime();
    if (Number.isNaN(time)) throw new RangeError('getDueJobs: now is an invalid Date');
    const reply = asArray(await this.#run(DUE_JOBS, [String(time)]), 'due');
    const entries: Entry[] = [];
    for (let i = 0; i + 2 < reply.length; i += 3) {
      entries.push({
        id: asString(reply[i]),
        time: parseScore(reply[i + 1]),
        state: reply[i + 2] ?? null,
      });
    }
    // Redis orders equal scores by UTF-8 bytes; the contract orders ids by UTF-16 code units.
    entries.sort(compareRunOrder);
    return this.#restoreAll(entries);
  }

  async getNextRunTime(): Promise<Date | null> {
    const count = this.#broken.size + 1;
    const reply = asArray(await this.#run(FIRST_RUN_TIMES, [String(count)]), 'first');
    forgetUnread(
      this.#broken,
      reply.filter((_, i) => i % 2 === 0).map((id) => asString(id, 'first')),
    );
    for (let i = 0; i + 1 < reply.length; i += 2) {
      if (this.#broken.has(asString(reply[i]))) continue;
      const time = parseScore(reply[i + 1]);
      return time === null ? null : new Date(time);
    }
    return null;
  }

  async getAllJobs(): Promise<Job[]> {
    const [hash, runTimes] = asArray(await this.#run(ALL_JOBS, []), 'all');
    const states = asArray(hash, 'all');
    const scores = asArray(runTimes, 'all');
    const times = new Map<string, number | null>();
    for (let i = 0; i + 1 < scores.length; i += 2) {
      times.set(asString(scores[i]), parseScore(scores[i + 1]));
    }
    const entries: Entry[] = [];
    for (let i = 0; i + 1 < states.length; i += 2) {
      const id = asString(states[i]);
      entries.push({ id, time: times.get(id) ?? null, state: states[i + 1] ?? null });
      times.delete(id);
    }
    // Run times without a job state: corrupt entries, reported like the others.
    for (const [id, time] of times) entries.push({ id, time, state: null });
    entries.sort(compareRunOrder);
    return this.#restoreAll(entries);
  }

  /** Refuses a job the store could never hold (before `start()` too). */
  checkJob(job: Job): void {
    entryArgs(job);
  }

  async addJob(job: Job): Promise<void> {
    const added = await this.#run(ADD_JOB, entryArgs(job));
    if (added !== 1) throw new ConflictingIdError(job.id);
    this.#broken.delete(job.id);
  }

  /**
   * Adds every job or none, in one Lua script: when an id exists in the store
   * or repeats within `jobs`, throws ConflictingIdError for the first such
   * job and adds nothing.
   */
  async addJobs(jobs: readonly Job[]): Promise<void> {
    if (jobs.length === 0) return;
    const args: string[] = [];
    for (const job of jobs) {
      for (const arg of entryArgs(job)) args.push(arg);
    }
    const conflict = await this.#run(ADD_JOBS, args);
    if (typeof conflict === 'number' && conflict > 0) {
      throw new ConflictingIdError((jobs[conflict - 1] as Job).id);
    }
    if (conflict !== 0) throw unexpectedReply('addMany', conflict);
    for (const job of jobs) this.#broken.delete(job.id);
  }

  async updateJob(job: Job): Promise<void> {
    // No entry has such an id; sent, it would arrive as another (U+FFFD for the surrogate).
    if (!isStorableId(job.id)) throw new JobLookupError(job.id);
    const updated = await this.#run(UPDATE_JOB, entryArgs(job));
    if (updated !== 1) throw new JobLookupError(job.id);
    this.#broken.delete(job.id);
  }

  /**
   * Replaces every job of `jobs` that is stored, in one Lua script (a later
   * job with the same id wins), and returns the ids of the others, in
   * `jobs` order. Every job is serialized before Redis is touched.
   *
   * @throws SerializationError when a job cannot be stored; nothing is written then.
   */
  async updateJobs(jobs: readonly Job[]): Promise<string[]> {
    const args: string[] = [];
    /** The position in `jobs` of each entry sent. */
    const sent: number[] = [];
    /** Positions in `jobs` of the jobs not stored. */
    const skipped = new Set<number>();
    jobs.forEach((job, i) => {
      // An id no entry can have is not stored, so it is skipped.
      if (!isStorableId(job.id)) {
        skipped.add(i);
        return;
      }
      for (const arg of entryArgs(job)) args.push(arg);
      sent.push(i);
    });
    if (sent.length > 0) {
      for (const position of asArray(await this.#run(UPDATE_JOBS, args), 'updateMany'))
        skipped.add(sent[asPosition(position, sent.length, 'updateMany')]!);
    }
    const missing: string[] = [];
    jobs.forEach((job, i) => {
      if (skipped.has(i)) missing.push(job.id);
      else this.#broken.delete(job.id);
    });
    return missing;
  }

  /**
   * Removes every job of `ids` that is stored, in one Lua script, and returns
   * the other ids (and the repeats of an id removed once), in `ids` order.
   */
  async removeJobs(ids: readonly string[]): Promise<string[]> {
    // An id no entry can have is not stored (sent, it would arrive as another id).
    const sent: number[] = [];
    const missing = new Set<number>();
    ids.forEach((id, i) => {
      if (isStorableId(id)) sent.push(i);
      else missing.add(i);
    });
    if (sent.length > 0) {
      const reply = asArray(
        await this.#run(
          REMOVE_JOBS,
          sent.map((i) => ids[i]!),
        ),
        'removeMany',
      );
      for (const position of reply)
        missing.add(sent[asPosition(position, sent.length, 'removeMany')]!);
    }
    for (const id of ids) this.#broken.delete(id);
    return ids.filter((_, i) => missing.has(i));
  }

  async removeJob(id: string): Promise<void> {
    if (!isStorableId(id)) throw new JobLookupError(id);
    const removed = await this.#run(REMOVE_JOB, [id]);
    this.#broken.delete(id);
    if (removed !== 1) throw new JobLookupError(id);
  }

  async removeAllJobs(): Promise<void> {
    await this.#run(REMOVE_ALL, []);
    this.#broken.clear();
  }

  /**
   * How the lease worker connects: only when the store opened its own client
   * from a URL, with client options a worker can receive.
   */
  #leaseConnection(): LeaseConnection | undefined {
    const { url, clientOptions } = this.#options;
    if (url === undefined) return undefined;
    return leaseConnectionFor(url, clientOptions, this.#keyPrefix);
  }

  #startedContext(): StoreContext {
    if (this.#context === null)
      throw new StoreSetupError('The Redis job store is not started (call start() first)');
    return this.#context;
  }

  #started(): Redis | Cluster {
    if (this.#client === null)
      throw new StoreSetupError('The Redis job store is not started (call start() first)');
    return this.#client;
  }

  /** Runs one of the store's scripts with all its keys. */
  #run(script: RedisScript, args: readonly string[]): Promise<unknown> {
    return runScript(this.#started(), this.#allKeys, script, args);
  }

  async #restoreAll(entries: Entry[]): Promise<Job[]> {
    const jobs = await Promise.all(
      entries.map((entry) => this.#restore(entry.id, entry.state, entry.time)),
    );
    return jobs.filter((job): job is Job => job !== null);
  }

  /** The job stored under `id`, or null after reporting why it cannot be restored. */
  async #restore(id: string, state: unknown, time: number | null): Promise<Job | null> {
    const context = this.#startedContext();
    return restoreOrReport(context, this.#broken, id, time, () => parseState(id, state));
  }
}

/** Is `client` an ioredis `Cluster` (told apart without loading ioredis)? */
function isCluster(client: Redis | Cluster | undefined): client is Cluster {
  return (client as { isCluster?: unknown } | undefined)?.isCluster === true;
}

/**
 * The hash tag of a key prefix, as Redis Cluster reads keys: the text between
 * the first '{' and the next '}', when that '}' is inside the prefix and the
 * text is not empty. Null when keys with this prefix hash whole, and so
 * `…jobs` and `…run_times` would land in different slots.
 */
export function hashTagOf(prefix: string): string | null {
  const open = prefix.indexOf('{');
  if (open === -1) return null;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return prefix.slice(open + 1, close);
}

interface Entry {
  id: string;
  /** The score in the run times set (epoch ms), null when paused. */
  time: number | null;
  /** The raw hash value; null when the run time has no job state. */
  state: unknown;
}

/** `[id, state JSON, score or '']` for the write scripts; fails before Redis is touched when the job cannot be stored. */
function entryArgs(job: Job): [string, string, string] {
  checkStorableId(job, 'Redis');
  const state = serializeJob(job);
  // NaN when paused: a Job never holds an invalid Date.
  const ms = job.nextRunTimeMs;
  const time = Number.isNaN(ms) ? '' : String(ms);
  return [job.id, state, time];
}

function parseState(id: string, state: unknown): unknown {
  if (typeof state !== 'string')
    throw new DeserializationError(
      `job '${id}' cannot be restored: it has a run time but no job state`,
      { path: null, jobId: id },
    );
  return parseJobState(id, state);
}

/** A 1-based position in a batch of `count` entries, from a script's reply, as a 0-based index. */
function asPosition(value: unknown, count: number, script: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > count)
    throw unexpectedReply(script, value);
  return value - 1;
}

/** A Redis job store from a configuration entry's options; `key` names the entry in errors. */
export function redisJobStoreFromConfig(
  options: Record<string, unknown>,
  key: string,
): RedisJobStore {
  checkOptionNames(key, options, OPTION_NAMES, 'redis job store option');
  const { client, clientOptions } = options;
  return new RedisJobStore({
    url: optionalString(key, options, 'url'),
    keyPrefix: optionalString(key, options, 'keyPrefix'),
    client: client as Redis | Cluster | undefined,
    clientOptions: clientOptions as RedisOptions | undefined,
  });
}
