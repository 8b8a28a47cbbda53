/**
 * The cluster ledger of `MongoJobStore` (see `../ledger.ts`): claims and
 * fences on the job documents, fires and node check-ins in collections of
 * their own beside the jobs collection.
 *
 * Claims are conditional updates, one job at a time (`findOneAndUpdate` on
 * the due, unleased job first in run order), so two nodes never claim the
 * same job. Commits run in one multi-document transaction on a replica set or
 * a sharded cluster. A standalone server has no transactions: there a commit
 * checks each claim's fence, inserts the fires (the unique slot index lets
 * only the first insert win), then writes each job under its fence. A fire
 * runs only when both its insert won and its job's fenced write matched, so
 * no fire runs twice; a crash between the steps leaves `claimed` fires that
 * the reaper of a live node records abandoned, never a fire without a row.
 * What a standalone server cannot promise is that a lost commit leaves no
 * trace: fires it inserted before its fenced write failed stay, with their
 * leases ended at once (the reaper records them abandoned, or runs them
 * again for `recover: true` jobs), and the final records it inserted (missed,
 * coalesced) stay as they are.
 *
 * Internal to the MongoDB store; not exported from the package.
 */
import type { ClientSession, Collection, Db, Filter, MongoClient } from 'mongodb';
import { DeserializationError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import { compareRunOrder, messageOf } from '../common.ts';
import type {
  Claim,
  ClaimedJob,
  ClaimOptions,
  ClusterLedger,
  CommitOptions,
  CommitResult,
  FireQuery,
  FireRecord,
  FireUpdate,
  JobCommit,
  LeaseConnection,
  NodeRecord,
  PurgeOptions,
  PurgeResult,
  ReapOptions,
  ReapResult,
  RecoveredFire,
} from '../ledger.ts';
import {
  fireRecordOf,
  LIVE,
  type MongoFireDocument,
  type MongoNodeDocument,
  newFireDocument,
  nodeFields,
  nodeRecordOf,
  renewLeases,
  serverHello,
} from './mongo-fires.ts';
import { LEASE_RENEWER_MODULE, type LeaseRenewerOptions } from './mongo-lease-renewer.ts';
import { purgeMongoFires } from './mongo-purge.ts';

/** How long a due retry waits before it asks again while its job runs `maxInstances` times, ms. */
const RETRY_BUSY_MS = 1000;

import type { MongoJobDocument } from './mongo-store.ts';

/** What the ledger uses of its store, once the store has started. */
export interface MongoLedgerParts {
  readonly client: MongoClient;
  readonly db: Db;
  readonly jobs: Collection<MongoJobDocument>;
  readonly fires: Collection<MongoFireDocument>;
  readonly nodes: Collection<MongoNodeDocument>;
  /** A replica set or a sharded cluster: commits and take-overs run in transactions. */
  readonly transactions: boolean;
  readonly logger: Logger;
}

/** What the ledger asks of its store. */
export interface MongoLedgerHost {
  /** @throws StoreSetupError when the store is not started. */
  parts(): MongoLedgerParts;
  /** The job of a stored document, or null after reporting why it cannot be restored. */
  restore(id: unknown, document: MongoJobDocument): Promise<Job | null>;
  /** Reports a stored job that cannot be used as {@link restore} reports one (claims then pass it by); returns null. */
  reportUnusable(document: MongoJobDocument, error: unknown): null;
  /** Ids known to be unrestorable: claims pass them by. */
  readonly broken: ReadonlySet<string>;
  /** The stored fields of a job. @throws SerializationError when it cannot be stored. */
  jobDocument(job: Job): MongoJobDocument;
  /** How a worker connects on its own, when the store was configured from a URL. */
  leaseOptions(): LeaseRenewerOptions | undefined;
  /** The store's name for wake-up topics: servers, database and collection, no secret. */
  identity(): string;
}

/**
 * Matches scheduled jobs (see the store's run time index, whose filter every
 * query on run times must repeat).
 */
const SCHEDULED = { $gte: -8_640_000_000_000_000 } as const;
/** A fence a claim can increment: missing (a job stored by an earlier version, fence 0) or a number. */
const COUNTABLE_FENCE: Filter<MongoJobDocument>[] = [
  { fence: { $exists: false } },
  { fence: { $type: 'int' } },
  { fence: { $type: 'long' } },
  { fence: { $type: 'double' } },
];
/** MongoDB's duplicate key error code. */
const DUPLICATE_KEY = 11000;
/** Attempts at a transactional commit that met a duplicate key (another commit inserted the fire meanwhile). */
const COMMIT_ATTEMPTS = 3;

/** Thrown inside a transaction to abort it: the take-over it attempted was lost. */
class TakeOverLost extends Error {}

/** The cluster ledger of a MongoDB job store. */
export class MongoLedger implements ClusterLedger {
  readonly #host: MongoLedgerHost;

  constructor(host: MongoLedgerHost) {
    this.#host = host;
  }

  /** The server's clock (`hello`'s `localTime`), epoch ms. */
  async now(): Promise<number> {
    return (await serverHello(this.#host.parts().db)).localTime;
  }

  async claimDueJobs(options: ClaimOptions): Promise<Claim> {
    const { owner, limit, leaseMs } = options;
    const { jobs } = this.#host.parts();
    const now = options.now ?? (await this.now());
    const documents: MongoJobDocument[] = [];
    for (let count = 0; count < limit; count++) {
      const broken = [...this.#host.broken];
      const filter: Filter<MongoJobDocument> = {
        next_run_time: { ...SCHEDULED, $lte: now },
        $and: [
          { $or: [{ lease_until: null }, { lease_until: { $lt: now } }] },
          { $or: COUNTABLE_FENCE },
        ],
      };
      if (broken.length > 0) filter._id = { $nin: broken };
      const document = await jobs.findOneAndUpdate(
        filter,
        { $set: { lease_owner: owner, lease_until: now + leaseMs }, $inc: { fence: 1 } },
        { sort: { next_run_time: 1, _id: 1 }, returnDocument: 'after' },
      );
      if (document === null) break;
      documents.push(document);
    }
    const restored: { job: Job; fence: number; time: number | null }[] = [];
    const jobsOf = await Promise.all(
      documents.map((document) => this.#usableClaim(document, owner)),
    );
    for (const [index, job] of jobsOf.entries()) {
      const document = documents[index] as MongoJobDocument;
      if (job !== null)
        restored.push({ job, fence: document.fence as number, time: document.next_run_time });
    }
    const batches = await this.#liveBatches(
      restored.map(({ job }) => job.id),
      now,
    );
    const claimed: ClaimedJob[] = restored
      .sort((a, b) =>
        compareRunOrder({ time: a.time, id: a.job.id }, { time: b.time, id: b.job.id }),
      )
      .map(({ job, fence }) => ({ job, fence, liveBatches: batches.get(job.id) ?? 0 }));
    return { now, jobs: claimed };
  }

  /**
   * The job of a claimed document, or null after reporting it: a job that
   * cannot be restored, or a fence that is no longer a whole number. Its claim
   * is given back, so that a scheduler that can restore it need not wait for
   * the lease.
   */
  async #usableClaim(document: MongoJobDocument, owner: string): Promise<Job | null> {
    const { fence } = document;
    const job =
      typeof fence === 'number' && Number.isSafeInteger(fence)
        ? await this.#host.restore(document._id, document)
        : this.#host.reportUnusable(
            document,
            new DeserializationError(
              `job ${JSON.stringify(String(document._id))} cannot be claimed: its stored fence is not a whole number (${String(fence)}); set it to a whole number, e.g. 0`,
              { path: 'fence', jobId: String(document._id) },
            ),
          );
    if (job !== null) return job;
    await this.#host
      .parts()
      .jobs.updateOne(
        { _id: document._id, lease_owner: owner, fence },
        { $set: { lease_owner: null, lease_until: null } },
      );
    return null;
  }

  /** Distinct batches (a fire without one is its own) of each job's fires whose run lease is live at `now`. */
  async #liveBatches(jobIds: readonly string[], now: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (jobIds.length === 0) return counts;
    const { fires } = this.#host.parts();
    const groups = await fires
      .aggregate([
        { $match: { job_id: { $in: [...jobIds] }, state: LIVE, lease_until: { $gte: now } } },
        { $group: { _id: { job: '$job_id', batch: { $ifNull: ['$batch_id', '$_id'] } } } },
        { $group: { _id: '$_id.job', batches: { $sum: 1 } } },
      ])
      .toArray();
    for (const group of groups) {
      const { _id: jobId, batches } = group as { _id?: unknown; batches?: unknown };
      if (typeof jobId === 'string' && typeof batches === 'number') counts.set(jobId, batches);
    }
    return counts;
  }

  async commitClaims(
    owner: string,
    commits: readonly JobCommit[],
    options: CommitOptions,
  ): Promise<CommitResult> {
    if (commits.length === 0) return { lost: [], won: [] };
    const parts = this.#host.parts();
    // Everything is serialized before anything is written: a job that cannot be stored fails the commit whole.
    const planned = commits.map((commit) => {
      if (commit.job !== null && commit.job.id !== commit.jobId)
        throw new TypeError(
          `commitClaims: the job of commit ${JSON.stringify(commit.jobId)} has id ${JSON.stringify(commit.job.id)}`,
        );
      return {
        commit,
        document: commit.job === null ? null : this.#host.jobDocument(commit.job),
        fires: [] as MongoFireDocument[],
      };
    });
    const now = options.now ?? (await this.now());
    for (const plan of planned)
      plan.fires = plan.commit.fires.map((fire) =>
        newFireDocument(owner, plan.commit, fire, now, options.runLeaseMs),
      );
    if (parts.transactions) return this.#commitInTransaction(parts, owner, planned);
    return this.#commitStandalone(parts, owner, planned, now);
  }

  /** The whole commit in one transaction: fenced job writes, then the fires of the claims that held. */
  async #commitInTransaction(
    parts: MongoLedgerParts,
    owner: string,
    planned: readonly PlannedCommit[],
  ): Promise<CommitResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await parts.client.withSession((session) =>
          session.withTransaction(
            async () => {
              const lost: string[] = [];
              const inserting: MongoFireDocument[] = [];
              for (const plan of planned) {
                if (await writeJob(parts.jobs, owner, plan, session)) inserting.push(...plan.fires);
                else lost.push(plan.commit.jobId);
              }
              if (inserting.length === 0) return { lost, won: [] };
              // Upserts, not inserts: a duplicate key would abort the transaction.
              const result = await parts.fires.bulkWrite(
                inserting.map(({ _id, job_id, scheduled_time, ...rest }) => ({
                  updateOne: {
                    filter: { job_id, scheduled_time },
                    update: { $setOnInsert: { _id, ...rest } },
                    upsert: true,
                  },
                })),
                { session, ordered: true },
              );
              const won = Object.keys(result.upsertedIds)
                .map((index) => inserting[Number(index)]?._id)
                .filter((id): id is string => id !== undefined);
              return { lost, won };
            },
            { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } },
          ),
        );
      } catch (error) {
        // Two commits upserting one fire: the one that came second starts over and finds it.
        if (!isDuplicateKey(error) || attempt >= COMMIT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * A standalone server: check the fences, insert the fires, then write each
   * job under its fence (see the module comment for what this guarantees).
   */
  async #commitStandalone(
    parts: MongoLedgerParts,
    owner: string,
    planned: readonly PlannedCommit[],
    now: number,
  ): Promise<CommitResult> {
    const held = await parts.jobs
      .find(
        { _id: { $in: planned.map((plan) => plan.commit.jobId) }, lease_owner: owner },
        { projection: { fence: 1 } },
      )
      .toArray();
    const fences = new Map(held.map((document) => [document._id, document.fence]));
    const lost: string[] = [];
    const holding: PlannedCommit[] = [];
    for (const plan of planned) {
      if (fences.get(plan.commit.jobId) === plan.commit.fence) holding.push(plan);
      else lost.push(plan.commit.jobId);
    }
    const inserted = await insertFires(
      parts.fires,
      holding.flatMap((plan) => plan.fires),
    );
    const orphans: string[] = [];
    for (const plan of holding) {
      if (await writeJob(parts.jobs, owner, plan, undefined)) continue;
      // Changed or taken over since the check: its fires must not run here.
      lost.push(plan.commit.jobId);
      for (const fire of plan.fires) {
        if (!inserted.has(fire._id)) continue;
        inserted.delete(fire._id);
        if (fire.state === 'claimed') orphans.push(fire._id);
      }
    }
    if (orphans.length > 0)
      await parts.fires.updateMany(
        { _id: { $in: orphans }, node: owner, state: 'claimed' },
        { $set: { lease_until: now - 1 } },
      );
    return { lost, won: [...inserted] };
  }

  async updateFires(owner: string, updates: readonly FireUpdate[]): Promise<string[]> {
    const { fires } = this.#host.parts();
    const refused: string[] = [];
    // In order: a fire may be started and finished within one batch.
    for (const update of updates) {
      // A retried fire waits for its retry time as its lease: the reaper takes it then.
      const set: Partial<MongoFireDocument> =
        update.state === 'running'
          ? { state: 'running', started_at: update.at }
          : {
              state: update.state,
              finished_at: update.at,
              lease_until: update.state === 'retried' ? (update.retryAt ?? update.at) : null,
            };
      if (update.error !== undefined) {
        set.error_name = update.error.name;
        set.error_message = update.error.message;
      }
      const result = await fires.updateOne(
        { _id: update.fireId, node: owner, state: LIVE },
        { $set: set },
      );
      if (result.matchedCount === 0) refused.push(update.fireId);
    }
    return refused;
  }

  async renewFireLeases(owner: string, leaseMs: number, now?: number): Promise<string[]> {
    const { fires } = this.#host.parts();
    return renewLeases(fires, owner, leaseMs, now ?? (await this.now()));
  }

  async reapExpiredFires(owner: string, options: ReapOptions): Promise<ReapResult> {
    const parts = this.#host.parts();
    const now = options.now ?? (await this.now());
    const abandoned: FireRecord[] = [];
    const recovered: RecoveredFire[] = [];
    if (!(options.limit >= 1)) return { abandoned, recovered };
    const { retries, nextRetryAt } = await this.#takeRetries(parts, owner, now, options);
    const expired = await parts.fires
      .find({ state: LIVE, lease_until: { $lt: now } })
      .sort({ lease_until: 1 })
      .limit(Math.floor(options.limit))
      .toArray();
    const records: FireRecord[] = [];
    for (const document of expired) {
      try {
        records.push(fireRecordOf(document));
      } catch (error) {
        // Unreadable: ended all the same, or every round would find it again.
        await parts.fires.updateOne(
          { _id: document._id, state: LIVE, lease_until: { $lt: now } },
          { $set: { state: 'abandoned', finished_at: now, lease_until: null } },
        );
        parts.logger.warn(
          `Recorded an unreadable fire of the MongoDB ledger abandoned: ${messageOf(error)}`,
        );
      }
    }
    const recoverable = await this.#recoverableJobs(parts, records);
    for (const fire of records) {
      const job = recoverable.get(fire.jobId);
      const taken =
        job === undefined
          ? null
          : await this.#takeOver(parts, owner, fire, now, options.runLeaseMs);
      if (job !== undefined && taken !== null) {
        recovered.push({ fire: taken, job });
        continue;
      }
      const result = await parts.fires.updateOne(
        {
          _id: fire.fireId,
          state: LIVE,
          lease_until: { $lt: now },
          node: fire.node,
          fence: fire.fence,
        },
        { $set: { state: 'abandoned', finished_at: now, lease_until: null } },
      );
      if (result.modifiedCount === 1)
        abandoned.push({ ...fire, state: 'abandoned', finishedAt: now, leaseUntil: null });
    }
    return { abandoned, recovered, retries, nextRetryAt };
  }

  /**
   * Takes the `retried` fires whose retry is due while their job runs fewer
   * than `maxInstances` times (else they wait a second more); one whose job
   * is gone is recorded cancelled. Returns them and when the next retry is due.
   */
  async #takeRetries(
    parts: MongoLedgerParts,
    owner: string,
    now: number,
    options: ReapOptions,
  ): Promise<{ retries: RecoveredFire[]; nextRetryAt: number | null }> {
    const retries: RecoveredFire[] = [];
    const due = await parts.fires
      .find({ state: 'retried', lease_until: { $lt: now } })
      .sort({ lease_until: 1 })
      .limit(Math.floor(options.limit))
      .toArray();
    for (const document of due) {
      let fire: FireRecord;
      try {
        fire = fireRecordOf(document);
      } catch {
        continue;
      }
      const stored = await parts.jobs.findOne({ _id: fire.jobId });
      const job = stored === null ? null : await this.#host.restore(stored._id, stored);
      if (job === null) {
        await parts.fires.updateOne(
          { _id: fire.fireId, state: 'retried' },
          {
            $set: {
              state: 'cancelled',
              finished_at: now,
              lease_until: null,
              detail: 'its job is gone or cannot be restored',
            },
          },
        );
        continue;
      }
      const live = (await this.#liveBatches([job.id], now)).get(job.id) ?? 0;
      if (live >= job.maxInstances) {
        // A retry counts toward maxInstances: it waits while the job runs that many times.
        await parts.fires.updateOne(
          { _id: fire.fireId, state: 'retried' },
          { $set: { lease_until: now + RETRY_BUSY_MS } },
        );
        continue;
      }
      const taken = await this.#takeOver(parts, owner, fire, now, options.runLeaseMs, false);
      if (taken !== null) retries.push({ fire: taken, job, previousNode: fire.node });
    }
    const [next] = await parts.fires
      .find({ state: 'retried' }, { projection: { lease_until: 1 } })
      .sort({ lease_until: 1 })
      .limit(1)
      .toArray();
    const nextRetryAt = typeof next?.lease_until === 'number' ? next.lease_until : null;
    return { retries, nextRetryAt };
  }

  /** The restorable `recover: true` jobs among those of `fires`. */
  async #recoverableJobs(
    parts: MongoLedgerParts,
    fires: readonly FireRecord[],
  ): Promise<Map<string, Job>> {
    const found = new Map<string, Job>();
    const ids = [...new Set(fires.map((fire) => fire.jobId))];
    if (ids.length === 0) return found;
    const documents = await parts.jobs.find({ _id: { $in: ids } }).toArray();
    for (const document of documents) {
      const job = await this.#host.restore(document._id, document);
      if (job?.recover === true) found.set(job.id, job);
    }
    return found;
  }

  /**
   * Takes `fire` over for `owner` with its job's next fence (the job's fence
   * moves on first, so that no claim made before can commit); null when
   * another reaper took it first or the job is gone.
   */
  async #takeOver(
    parts: MongoLedgerParts,
    owner: string,
    fire: FireRecord,
    now: number,
    runLeaseMs: number,
    recovering = true,
  ): Promise<FireRecord | null> {
    // A recovered fire was live; a retry waited in `retried`, its last error kept.
    const from = recovering ? LIVE : 'retried';
    const errors = recovering ? { error_name: null, error_message: null } : {};
    const attempt = async (session: ClientSession | undefined): Promise<FireRecord | null> => {
      const job = await parts.jobs.findOneAndUpdate(
        { _id: fire.jobId, $or: COUNTABLE_FENCE },
        { $inc: { fence: 1 } },
        { returnDocument: 'after', projection: { fence: 1 }, session },
      );
      const fence = job?.fence;
      if (typeof fence !== 'number' || !Number.isSafeInteger(fence)) return null;
      const taken: FireRecord = {
        ...fire,
        state: 'claimed',
        node: owner,
        fence,
        leaseUntil: now + runLeaseMs,
        claimedAt: now,
        startedAt: null,
        finishedAt: null,
        recovering,
        attempt: fire.attempt + 1,
        ...(recovering ? { errorName: null, errorMessage: null } : {}),
      };
      const result = await parts.fires.updateOne(
        {
          _id: fire.fireId,
          state: from,
          lease_until: { $lt: now },
          node: fire.node,
          fence: fire.fence,
        },
        {
          $set: {
            state: 'claimed',
            node: owner,
            fence,
            lease_until: taken.leaseUntil,
            claimed_at: now,
            started_at: null,
            finished_at: null,
            recovering,
            attempt: taken.attempt,
            ...errors,
          },
        },
        { session },
      );
      return result.modifiedCount === 1 ? taken : null;
    };
    // Standalone: a lost take-over has moved the job's fence on for nothing, which only costs a claim in flight its commit.
    if (!parts.transactions) return attempt(undefined);
    try {
      return await parts.client.withSession((session) =>
        session.withTransaction(async () => {
          const taken = await attempt(session);
          if (taken === null) throw new TakeOverLost();
          return taken;
        }),
      );
    } catch (error) {
      if (error instanceof TakeOverLost) return null;
      throw error;
    }
  }

  async releaseClaims(owner: string): Promise<void> {
    await this.#host
      .parts()
      .jobs.updateMany({ lease_owner: owner }, { $set: { lease_owner: null, lease_until: null } });
  }

  async checkIn(node: Omit<NodeRecord, 'lastSeen'>, now?: number): Promise<void> {
    const { nodes } = this.#host.parts();
    const lastSeen = now ?? (await this.now());
    await nodes.updateOne(
      { _id: node.nodeId },
      { $set: { ...nodeFields(node), last_seen: lastSeen } },
      { upsert: true },
    );
  }

  async getNodes(): Promise<NodeRecord[]> {
    const { nodes, logger } = this.#host.parts();
    const documents = await nodes.find({}).sort({ last_seen: -1, _id: 1 }).toArray();
    return readAll(documents, nodeRecordOf, logger, 'node check-in');
  }

  async getFires(query: FireQuery): Promise<FireRecord[]> {
    const { fires, logger } = this.#host.parts();
    if (!(query.limit >= 1)) return [];
    const filter: Filter<MongoFireDocument> = {};
    if (query.jobId !== undefined) filter.job_id = query.jobId;
    if (query.states !== undefined) filter.state = { $in: [...query.states] };
    const range: { $gte?: number; $lte?: number } = {};
    if (query.from !== undefined) range.$gte = query.from;
    if (query.to !== undefined) range.$lte = query.to;
    if (query.after !== undefined) {
      const { scheduledTime, fireId } = query.after;
      range.$lte = Math.min(range.$lte ?? scheduledTime, scheduledTime);
      filter.$or = [{ scheduled_time: { $lt: scheduledTime } }, { _id: { $lt: fireId } }];
    }
    if (range.$gte !== undefined || range.$lte !== undefined) filter.scheduled_time = range;
    const documents = await fires
      .find(filter)
      .sort({ scheduled_time: -1, _id: -1 })
      .limit(Math.floor(query.limit))
      .toArray();
    return readAll(documents, fireRecordOf, logger, 'fire');
  }

  async oldestFire(jobId: string): Promise<FireRecord | undefined> {
    const { fires, logger } = this.#host.parts();
    const documents = await fires
      .find({ job_id: jobId })
      .sort({ scheduled_time: 1 })
      .limit(1)
      .toArray();
    return readAll(documents, fireRecordOf, logger, 'fire')[0];
  }

  purgeFires(options: PurgeOptions): Promise<PurgeResult> {
    return purgeMongoFires(this.#host.parts().fires, options);
  }

  /** `mongodb:<servers>/<database>.<collection>`, the same on every node that connects alike; no secret. */
  identity(): string {
    return this.#host.identity();
  }

  leaseConnection(): LeaseConnection | undefined {
    const options = this.#host.leaseOptions();
    if (options === undefined) return undefined;
    return { module: LEASE_RENEWER_MODULE, export: 'openLeaseRenewer', options };
  }
}

interface PlannedCommit {
  readonly commit: JobCommit;
  /** The job's new stored fields; null removes it. */
  readonly document: MongoJobDocument | null;
  fires: MongoFireDocument[];
}

/** The claimed job's new state (or its removal) under its fence; false when the claim no longer holds. */
async function writeJob(
  jobs: Collection<MongoJobDocument>,
  owner: string,
  plan: PlannedCommit,
  session: ClientSession | undefined,
): Promise<boolean> {
  const filter = { _id: plan.commit.jobId, fence: plan.commit.fence, lease_owner: owner };
  if (plan.document === null) return (await jobs.deleteOne(filter, { session })).deletedCount === 1;
  const { next_run_time, job_state } = plan.document;
  const result = await jobs.updateOne(
    filter,
    { $set: { next_run_time, job_state, lease_owner: null, lease_until: null } },
    { session },
  );
  return result.matchedCount === 1;
}

/** Inserts fires, each on its own; returns the ids whose insert won (the others' slots exist). */
async function insertFires(
  fires: Collection<MongoFireDocument>,
  documents: readonly MongoFireDocument[],
): Promise<Set<string>> {
  const won = new Set(documents.map((document) => document._id));
  if (documents.length === 0) return won;
  try {
    await fires.insertMany([...documents], { ordered: false });
  } catch (error) {
    const failed = duplicateIndexes(error);
    if (failed === null) throw error;
    for (const index of failed) {
      const id = documents[index]?._id;
      if (id !== undefined) won.delete(id);
    }
  }
  return won;
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

/**
 * The positions of the documents an unordered `insertMany` refused as
 * duplicates, or null when it failed for any other reason too (then nothing
 * can be said about what it wrote, and the commit fails).
 */
export function duplicateIndexes(error: unknown): number[] | null {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list: unknown[] = Array.isArray(writeErrors)
    ? writeErrors
    : writeErrors !== undefined && writeErrors !== null
      ? [writeErrors]
      : [];
  if (list.length === 0) return null;
  const indexes: number[] = [];
  for (const writeError of list) {
    const { code, index } = writeError as { code?: unknown; index?: unknown };
    if (code !== DUPLICATE_KEY || typeof index !== 'number') return null;
    indexes.push(index);
  }
  // A write concern error beside the duplicates: the inserts may not be durable.
  const { err, result } = error as {
    err?: unknown;
    result?: { getWriteConcernError?: () => unknown };
  };
  if (err !== undefined || result?.getWriteConcernError?.() !== undefined) return null;
  return indexes;
}

/** Reads untrusted documents with `read`; one that cannot be read is logged and left out. */
function readAll<T>(
  documents: readonly unknown[],
  read: (document: unknown) => T,
  logger: Logger,
  what: string,
): T[] {
  const records: T[] = [];
  for (const document of documents) {
    try {
      records.push(read(document));
    } catch (error) {
      logger.warn(`Skipped an unreadable ${what} of the MongoDB ledger: ${messageOf(error)}`);
    }
  }
  return records;
}
