/**
 * `MongoJobStore` (config type `'mongodb'`): jobs in one MongoDB collection,
 * laid out as APScheduler's MongoDBJobStore with JSON instead of pickle.
 */

import type { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';
import { redactSecretsIn, redactUrl } from '../../config/redact-url.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import { DeserializationError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { serializeJob } from '../../jobs/serialization.ts';
import type { CalendarStore } from '../calendars.ts';
import {
  checkStorableId,
  checkUrlOrClient,
  compareRunOrder,
  isStorableId,
  loadOptionalDriver,
  messageOf,
  optionalString,
  parseJobState,
  type RunOrderKey,
  restoreOrReport,
} from '../common.ts';
import { ConflictingIdError, JobLookupError, StoreSetupError } from '../errors.ts';
import type { JobChangeLog } from '../job-changes.ts';
import type { OutageLog } from '../outages.ts';
import type { JobStore, StoreContext } from '../store.ts';
import {
  calendarsCollectionName,
  type MongoCalendarDocument,
  MongoCalendars,
} from './mongo-calendars.ts';
import {
  FIRE_INDEXES,
  ledgerCollectionNames,
  type MongoFireDocument,
  type MongoNodeDocument,
  NODE_INDEXES,
  serverHello,
  urlHosts,
} from './mongo-fires.ts';
import {
  JOB_CHANGE_INDEX,
  jobChangesCollectionName,
  type MongoJobChangeDocument,
  MongoJobChanges,
} from './mongo-job-changes.ts';
import type { LeaseRenewerOptions } from './mongo-lease-renewer.ts';
import { MongoLedger, type MongoLedgerParts } from './mongo-ledger.ts';
import {
  type MongoOutageDocument,
  MongoOutages,
  OUTAGE_INDEX,
  outagesCollectionName,
} from './mongo-outages.ts';

/** Options of {@link MongoJobStore}: a connection URL or an existing MongoClient. */
export interface MongoJobStoreOptions {
  /** `mongodb://…` or `mongodb+srv://…`; the store connects at `start()` and closes the client at `shutdown()`. */
  url?: string;
  /** More driver options for the client opened from `url`. */
  clientOptions?: MongoClientOptions;
  /** A MongoClient the application owns: used as it is and never closed by the store. */
  client?: MongoClient;
  /** Default `'horarium'`. */
  database?: string;
  /** Default `'jobs'`. */
  collection?: string;
}

/** One stored job. */
export interface MongoJobDocument {
  /** The job id. */
  _id: string;
  /** Epoch milliseconds; null when the job is paused. */
  next_run_time: number | null;
  /** The job state JSON (`jobToDocument`). */
  job_state: string;
  /**
   * The cluster ledger's fencing token: + 1 on every claim and on every write
   * through the store's API, so that a claim made before cannot commit.
   * Missing (a job stored by an earlier version) counts as 0.
   */
  fence?: number;
  /** The node holding the job's claim, or null. */
  lease_owner?: string | null;
  /** When that claim lapses (server-clock epoch ms; held at this instant), or null. */
  lease_until?: number | null;
}

/** The index on next run times; only scheduled jobs (a number, not null) are in it. */
const RUN_TIME_INDEX = 'horarium_next_run_time';
/** The claim order of due jobs: run time, then id. */
const CLAIM_ORDER_INDEX = 'horarium_claim_order';
/**
 * Matches scheduled jobs (a run time, not null): every time a `Date` can hold
 * is ≥ -8.64e15 ms. It is the partial index's filter, and every query on run
 * times includes it, as MongoDB requires before it uses a partial index.
 */
const SCHEDULED = { $gte: -8_640_000_000_000_000 } as const;
/** MongoDB's duplicate key error code. */
const DUPLICATE_KEY = 11000;
/** MongoDB's error code for an operator applied to a field of the wrong type (`$inc` on a string). */
const TYPE_MISMATCH = 14;
/** Ids per `$in` query when checking a batch, well inside the 16 MB command limit. */
const ID_CHUNK = 1000;

/** The options the constructor and `{ type, ...options }` entries take. */
const OPTION_NAMES: readonly string[] = [
  'url',
  'client',
  'clientOptions',
  'database',
  'collection',
];

/**
 * Keeps jobs in a MongoDB collection: documents `{ _id: id, next_run_time:
 * epoch ms | null, job_state: JSON }` with a partial index on `next_run_time`.
 * A duplicate id is refused by the `_id` index itself, so two schedulers
 * adding the same id cannot both succeed.
 *
 * `addJobs` checks every id first and then inserts the batch in order; if
 * another process inserts one of the ids in between, the jobs of the batch
 * already inserted are deleted again before ConflictingIdError is thrown (a
 * standalone server has no transactions to do it in one step).
 *
 * A stored job that cannot be restored (its module gone, a corrupt document)
 * is skipped, reported through the scheduler, and left in place.
 * The mongodb driver is an optional peer dependency, loaded at `start()`.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   jobstores: { default: new MongoJobStore({ url: 'mongodb://localhost:27017' }) },
 * });
 * // or, in configuration: { jobstores: { default: { type: 'mongodb', url: 'mongodb://localhost:27017' } } }
 * ```
 */
export class MongoJobStore implements JobStore {
  readonly shared = true;
  /**
   * The cluster ledger: claims and fences on the job documents, fires in
   * `<collection>_fires`, node check-ins in `<collection>_nodes`. Commits
   * are transactions on a replica set or sharded cluster; on a standalone
   * server they are a sequence of single-document writes (see `docs/stores.md`).
   */
  readonly ledger: MongoLedger;
  /** The job change log (`mongo-job-changes.ts`), in `<collection>_job_changes`. */
  readonly jobChanges: JobChangeLog = new MongoJobChanges(() => {
    const parts = this.#parts;
    const changes = this.#changes;
    if (parts === null || changes === null)
      throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
    return { db: parts.db, changes };
  });
  #changes: Collection<MongoJobChangeDocument> | null = null;
  /** The store outage log (`mongo-outages.ts`), in `<collection>_outages`. */
  readonly outages: OutageLog = new MongoOutages(() => {
    if (this.#outageDocuments === null)
      throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
    return this.#outageDocuments;
  });
  #outageDocuments: Collection<MongoOutageDocument> | null = null;
  /** The named calendars, in `<collection>_calendars`. */
  readonly calendars: CalendarStore = new MongoCalendars(() => {
    const parts = this.#parts;
    if (parts === null)
      throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
    return parts.db.collection<MongoCalendarDocument>(
      calendarsCollectionName(this.#collectionName),
    );
  });
  readonly #options: MongoJobStoreOptions;
  readonly #database: string;
  readonly #collectionName: string;
  #client: MongoClient | null = null;
  #ownsClient = false;
  #collection: Collection<MongoJobDocument> | null = null;
  #parts: MongoLedgerParts | null = null;
  #context: StoreContext | null = null;
  /** Ids this store found unrestorable: `getNextRunTime` looks past them, or a scheduler would wake for them forever. */
  readonly #broken = new Set<string>();

  constructor(options: MongoJobStoreOptions) {
    checkUrlOrClient(options, 'MongoJobStore', 'a MongoClient');
    this.#database = nonEmpty('database', options.database ?? 'horarium');
    this.#collectionName = nonEmpty('collection', options.collection ?? 'jobs');
    this.#options = options;
    this.ledger = new MongoLedger({
      parts: () => {
        if (this.#parts === null)
          throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
        return this.#parts;
      },
      restore: (id, document) => this.#restore(id, document),
      reportUnusable: (document, error) => {
        const jobId = String(document._id);
        this.#broken.add(jobId);
        const time = document.next_run_time;
        this.#context?.restoreFailed({
          jobId,
          nextRunTime: typeof time === 'number' && Number.isFinite(time) ? new Date(time) : null,
          error,
        });
        return null;
      },
      broken: this.#broken,
      jobDocument: toDocument,
      leaseOptions: () => this.#leaseOptions(),
      identity: () => `mongodb:${this.#servers()}/${this.namespace}`,
    });
  }

  /** The collection's namespace, `database.collection`. */
  get namespace(): string {
    return `${this.#database}.${this.#collectionName}`;
  }

  /**
   * Connects (from `url`) or takes the given client, and creates the run time
   * index when missing.
   *
   * @throws StoreSetupError when the mongodb driver is not installed, or the
   * server cannot be reached within the driver's `serverSelectionTimeoutMS`
   * (30 s by default; set it in `clientOptions`). The client the store opened
   * is closed again then.
   */
  async start(context: StoreContext, _alias: string): Promise<void> {
    // Started again without a shutdown: release the client opened before.
    if (this.#client !== null) await this.shutdown();
    this.#context = context;
    this.#broken.clear();
    let client: MongoClient;
    if (this.#options.client !== undefined) {
      client = this.#options.client;
      this.#ownsClient = false;
    } else {
      const url = this.#options.url as string;
      const MongoClientClass = await loadOptionalDriver(
        async () => (await import('mongodb')).MongoClient,
        'mongodb',
        'mongodb',
      );
      client = new MongoClientClass(url, this.#options.clientOptions);
      try {
        await client.connect();
      } catch (error) {
        await client.close().catch(() => {});
        throw new StoreSetupError(
          `Cannot connect to MongoDB at ${redactUrl(url)}: ${redactSecretsIn(messageOf(error), url)}`,
          { cause: error },
        );
      }
      this.#ownsClient = true;
    }
    this.#client = client;
    try {
      const db: Db = client.db(this.#database);
      const collection = db.collection<MongoJobDocument>(this.#collectionName);
      await collection.createIndex(
        { next_run_time: 1 },
        { name: RUN_TIME_INDEX, partialFilterExpression: { next_run_time: SCHEDULED } },
      );
      await collection.createIndex(
        { next_run_time: 1, _id: 1 },
        { name: CLAIM_ORDER_INDEX, partialFilterExpression: { next_run_time: SCHEDULED } },
      );
      this.#collection = collection;
    } catch (error) {
      await this.shutdown();
      throw new StoreSetupError(
        `Cannot create the run time indexes of MongoDB collection ${this.namespace}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    await this.#startLedger(client, context);
  }

  /** Creates the ledger's collections' indexes and learns whether the deployment has transactions. */
  async #startLedger(client: MongoClient, context: StoreContext): Promise<void> {
    const names = ledgerCollectionNames(this.#collectionName);
    try {
      const db = client.db(this.#database);
      const fires = db.collection<MongoFireDocument>(names.fires);
      const nodes = db.collection<MongoNodeDocument>(names.nodes);
      await fires.createIndexes([...FIRE_INDEXES]);
      await nodes.createIndexes([...NODE_INDEXES]);
      const changes = db.collection<MongoJobChangeDocument>(
        jobChangesCollectionName(this.#collectionName),
      );
      await changes.createIndexes([JOB_CHANGE_INDEX]);
      this.#changes = changes;
      const outages = db.collection<MongoOutageDocument>(
        outagesCollectionName(this.#collectionName),
      );
      await outages.createIndexes([OUTAGE_INDEX]);
      this.#outageDocuments = outages;
      const { transactions } = await serverHello(db);
      this.#parts = {
        client,
        db,
        jobs: this.#started(),
        fires,
        nodes,
        transactions,
        logger: context.logger,
      };
    } catch (error) {
      await this.shutdown();
      throw new StoreSetupError(
        `Cannot set up the cluster ledger of MongoDB collection ${this.namespace} (collections ${names.fires} and ${names.nodes}): ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  /** The servers of the store's connection: from its URL, or from the client it was given. */
  #servers(): string {
    if (this.#options.url !== undefined) return urlHosts(this.#options.url);
    const hosts = (this.#options.client as { options?: { hosts?: unknown } } | undefined)?.options
      ?.hosts;
    return Array.isArray(hosts) ? hosts.map(String).sort().join(',').toLowerCase() : 'client';
  }

  /**
   * How the lease worker connects on its own: only for a store configured
   * from a URL, and only when its client options can be sent to a worker
   * (functions, such as an OIDC callback, cannot).
   */
  #leaseOptions(): LeaseRenewerOptions | undefined {
    const { url, clientOptions } = this.#options;
    if (url === undefined) return undefined;
    if (clientOptions !== undefined) {
      try {
        structuredClone(clientOptions);
      } catch {
        return undefined;
      }
    }
    return {
      url,
      ...(clientOptions === undefined ? {} : { clientOptions }),
      database: this.#database,
      fires: ledgerCollectionNames(this.#collectionName).fires,
    };
  }

  /** Closes the client the store opened; a client passed in stays open. */
  async shutdown(): Promise<void> {
    const client = this.#client;
    const owned = this.#ownsClient;
    this.#client = null;
    this.#collection = null;
    this.#parts = null;
    this.#changes = null;
    this.#ownsClient = false;
    if (client !== null && owned) await client.close();
  }

  // An id with a lone surrogate names no document: BSON would send it as the id
  // with U+FFFD in its place, and so reach another job.
  async lookupJob(id: string): Promise<Job | null> {
    if (!isStorableId(id)) return null;
    const document = await this.#started().findOne({ _id: id });
    return document === null ? null : this.#restore(id, document);
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    const time = now.getTime();
    if (Number.isNaN(time)) throw new RangeError('getDueJobs: now is an invalid Date');
    const documents = await this.#started()
      .find({ next_run_time: { ...SCHEDULED, $lte: time } })
      .toArray();
    return this.#restoreAll(documents);
  }

  async getNextRunTime(): Promise<Date | null> {
    const filter =
      this.#broken.size === 0
        ? { next_run_time: SCHEDULED }
        : { next_run_time: SCHEDULED, _id: { $nin: [...this.#broken] } };
    const first = await this.#started()
      .find(filter, { projection: { next_run_time: 1 } })
      .sort({ next_run_time: 1 })
      .limit(1)
      .next();
    const time = first?.next_run_time;
    return typeof time === 'number' ? new Date(time) : null;
  }

  async getAllJobs(): Promise<Job[]> {
    return this.#restoreAll(await this.#started().find({}).toArray());
  }

  /** Refuses a job the store could never hold (before `start()` too). */
  checkJob(job: Job): void {
    toDocument(job);
  }

  async addJob(job: Job): Promise<void> {
    const document = toDocument(job);
    try {
      await this.#started().insertOne(document);
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictingIdError(job.id);
      throw error;
    }
    this.#broken.delete(job.id);
  }

  /**
   * Adds every job or none: when an id exists in the store or repeats within
   * `jobs`, throws ConflictingIdError for the first such job and adds nothing.
   */
  async addJobs(jobs: readonly Job[]): Promise<void> {
    if (jobs.length === 0) return;
    const collection = this.#started();
    const documents = jobs.map(toDocument);
    const ids = [...new Set(documents.map((document) => document._id))];
    const existing = new Set<string>();
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      const chunk = ids.slice(start, start + ID_CHUNK);
      const found = await collection
        .find({ _id: { $in: chunk } }, { projection: { _id: 1 } })
        .toArray();
      for (const { _id } of found) existing.add(_id);
    }
    const checked = new Set<string>();
    for (const { _id } of documents) {
      if (existing.has(_id) || checked.has(_id)) throw new ConflictingIdError(_id);
      checked.add(_id);
    }
    try {
      await collection.insertMany(documents, { ordered: true });
    } catch (error) {
      // Another process added one of the ids since the check: take the batch back.
      const failedAt = duplicateIndex(error);
      if (failedAt === null) throw error;
      const inserted = documents.slice(0, failedAt).map((document) => document._id);
      for (let start = 0; start < inserted.length; start += ID_CHUNK) {
        await collection.deleteMany({ _id: { $in: inserted.slice(start, start + ID_CHUNK) } });
      }
      throw new ConflictingIdError((documents[failedAt] as MongoJobDocument)._id);
    }
    for (const job of jobs) this.#broken.delete(job.id);
  }

  /**
   * Replaces the job's state. Its fence moves on and its claim is dropped, so
   * that a scheduler that claimed the job before cannot commit over the change.
   */
  async updateJob(job: Job): Promise<void> {
    if (!isStorableId(job.id)) throw new JobLookupError(job.id);
    const { _id, next_run_time, job_state } = toDocument(job);
    const fields = { next_run_time, job_state, lease_owner: null, lease_until: null };
    const collection = this.#started();
    let matched: number;
    try {
      matched = (await collection.updateOne({ _id }, { $set: fields, $inc: { fence: 1 } }))
        .matchedCount;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== TYPE_MISMATCH) throw error;
      // A fence that is not a number (written by hand): no claim can hold it, so it starts over.
      matched = (
        await collection.updateOne(
          {
            _id,
            $nor: [
              { fence: { $type: 'int' } },
              { fence: { $type: 'long' } },
              { fence: { $type: 'double' } },
              { fence: { $type: 'decimal' } },
            ],
          },
          { $set: { ...fields, fence: 0 } },
        )
      ).matchedCount;
    }
    if (matched === 0) throw new JobLookupError(job.id);
    this.#broken.delete(job.id);
  }

  async removeJob(id: string): Promise<void> {
    if (!isStorableId(id)) throw new JobLookupError(id);
    const result = await this.#started().deleteOne({ _id: id });
    this.#broken.delete(id);
    if (result.deletedCount === 0) throw new JobLookupError(id);
  }

  async removeAllJobs(): Promise<void> {
    await this.#started().deleteMany({});
    this.#broken.clear();
  }

  #started(): Collection<MongoJobDocument> {
    if (this.#collection === null)
      throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
    return this.#collection;
  }

  /** Restores in contract order, sorted here: MongoDB orders string ids by UTF-8 bytes, the contract by UTF-16 code units. */
  async #restoreAll(documents: readonly MongoJobDocument[]): Promise<Job[]> {
    const ordered = documents
      .map((document) => ({ ...runOrderOf(document), document }))
      .sort(compareRunOrder);
    const jobs = await Promise.all(
      ordered.map(({ document }) => this.#restore(document._id, document)),
    );
    return jobs.filter((job): job is Job => job !== null);
  }

  /** The job of `document`, or null after reporting why it cannot be restored. */
  async #restore(id: unknown, document: MongoJobDocument): Promise<Job | null> {
    const context = this.#context;
    if (context === null)
      throw new StoreSetupError('The MongoDB job store is not started (call start() first)');
    const jobId = typeof id === 'string' ? id : String(id);
    const time = document.next_run_time;
    return restoreOrReport(
      context,
      this.#broken,
      jobId,
      typeof time === 'number' && Number.isFinite(time) ? time : null,
      () => {
        if (typeof id !== 'string')
          throw new DeserializationError(`a stored job has an _id that is not a string: ${jobId}`);
        return parseState(id, document.job_state);
      },
    );
  }
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`MongoJobStore: ${name} must be a non-empty string`);
  return value;
}

/** The document of a job; fails before MongoDB is touched when the job cannot be stored. */
function toDocument(job: Job): MongoJobDocument {
  checkStorableId(job, 'MongoDB');
  const job_state = serializeJob(job);
  return {
    _id: job.id,
    next_run_time: job.nextRunTime === null ? null : job.nextRunTime.getTime(),
    job_state,
  };
}

/** The sort key of a stored document, which may hold anything: a non-number run time sorts as paused. */
function runOrderOf(document: MongoJobDocument): RunOrderKey {
  const time = document.next_run_time;
  return { time: typeof time === 'number' ? time : null, id: String(document._id) };
}

function parseState(id: string, state: unknown): unknown {
  if (typeof state !== 'string')
    throw new DeserializationError(
      `job '${id}' cannot be restored: its job_state is ${state === null || state === undefined ? 'missing' : `a ${typeof state}`}, not a JSON string`,
      { path: 'job_state', jobId: id },
    );
  return parseJobState(id, state);
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

/** The batch position of the duplicate that stopped an ordered `insertMany`, or null for any other error. */
function duplicateIndex(error: unknown): number | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list: unknown[] = Array.isArray(writeErrors)
    ? writeErrors
    : writeErrors !== undefined && writeErrors !== null
      ? [writeErrors]
      : [];
  for (const writeError of list) {
    const { code, index } = writeError as { code?: unknown; index?: unknown };
    if (code === DUPLICATE_KEY && typeof index === 'number') return index;
  }
  return null;
}

/** A MongoDB job store from a configuration entry's options; `key` names the entry in errors. */
export function mongoJobStoreFromConfig(
  options: Record<string, unknown>,
  key: string,
): MongoJobStore {
  checkOptionNames(key, options, OPTION_NAMES, 'mongodb job store option');
  const { client, clientOptions } = options;
  return new MongoJobStore({
    url: optionalString(key, options, 'url'),
    database: optionalString(key, options, 'database'),
    collection: optionalString(key, options, 'collection'),
    client: client as MongoClient | undefined,
    clientOptions: clientOptions as MongoClientOptions | undefined,
  });
}
