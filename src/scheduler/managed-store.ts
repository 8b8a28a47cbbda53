/**
 * A job store as the scheduler runs it: the store wrapped with everything the
 * scheduler keeps per store — its lock, the time limit on its operations,
 * the writes of the main loop that failed and wait for a retry, the stored
 * jobs it cannot restore, and where its last pass left it. The plain store
 * (`stores/store.ts`) stays free of scheduling policy, as Kysely's driver stays
 * free of the connection bookkeeping its runtime wrapper adds.
 */
import { HorariumError } from '../errors.ts';
import { JobRestoreFailedEvent, JobStoreErrorEvent, type SchedulerEvent } from '../events.ts';
import type { Job } from '../jobs/job.ts';
import type { Logger } from '../logging.ts';
import { ConflictingIdError, JobLookupError } from '../stores/errors.ts';
import type { JobStore, RestoreFailure, StoreContext } from '../stores/store.ts';
import { Mutex } from './mutex.ts';

/**
 * How long the loop waits for one operation on a shared (networked) store
 * before treating it as failed. A dropped network often leaves connections
 * half-open, so a write would otherwise hang until the peer returns; as a
 * failure it is reported, kept and retried like any other.
 */
export const STORE_OPERATION_TIMEOUT_MS = 3000;

/** A store operation that did not finish within {@link STORE_OPERATION_TIMEOUT_MS}. */
export class StoreTimeoutError extends HorariumError {
  override name = 'StoreTimeoutError';
  constructor(alias: string, operation: string) {
    super(
      `Job store "${alias}" did not answer ${operation} within ${STORE_OPERATION_TIMEOUT_MS / 1000} s`,
    );
  }
}

/** A write the loop could not persist; retried before the store's jobs are processed again. */
type PendingWrite = { kind: 'update'; job: Job } | { kind: 'remove' };

/** What a managed store needs from its scheduler. */
export interface StoreHost {
  readonly logger: Logger;
  /** Seconds before a failed store is tried again, for the log line. */
  readonly retryIntervalMs: number;
  dispatch(event: SchedulerEvent): void;
  /** Rebuilds a stored job from its document (resolving its function). */
  restoreJob(alias: string, document: unknown): Promise<Job>;
}

export class ManagedStore {
  readonly alias: string;
  readonly store: JobStore;
  /** The loop and the API never change the store's jobs at once; a slow store holds up only itself. */
  readonly lock = new Mutex();
  /** Stored jobs that could not be restored, by id. */
  readonly broken = new Map<string, RestoreFailure>();
  /** When the store wants the next pass (epoch ms), as its last pass computed it; null: not until woken. */
  wakeAt: number | null = null;
  /** A pass over this store is still running (a slow or unreachable store). */
  busy = false;
  /** After a failure, no pass touches the store before this time (epoch ms): `jobstoreRetryInterval`. */
  retryAt = 0;
  /** A pass stopped waiting for this store: it wakes the loop when it finishes. */
  late = false;
  /** Ids of jobs whose catch-up batch was split: the next part continues the running batch. */
  readonly splitBatches = new Set<string>();
  readonly #host: StoreHost;
  readonly #pendingWrites = new Map<string, PendingWrite>();
  /** `id message` of restore failures already logged, so each is logged once. */
  readonly #loggedRestoreFailures = new Set<string>();

  constructor(alias: string, store: JobStore, host: StoreHost) {
    this.alias = alias;
    this.store = store;
    this.#host = host;
  }

  /** True for stores other processes can change: they are polled. */
  get shared(): boolean {
    return this.store.shared === true;
  }

  /** What the store gets from the scheduler when it starts. */
  context(): StoreContext {
    return {
      logger: this.#host.logger,
      restoreJob: async (document) => {
        const job = await this.#host.restoreJob(this.alias, document);
        this.broken.delete(job.id);
        return job;
      },
      restoreFailed: (failure) => this.#restoreFailed(failure),
    };
  }

  start(): Promise<void> {
    return this.store.start(this.context(), this.alias);
  }

  /** Adds a job under the store's lock; with `replaceExisting` a job with the same id is replaced. */
  async add(job: Job, replaceExisting: boolean): Promise<void> {
    await this.lock.run(async () => {
      try {
        await this.store.addJob(job);
      } catch (error) {
        if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
        await this.store.updateJob(job);
      }
      this.forgetWrite(job.id);
    });
  }

  /**
   * Can {@link addNow} add a job synchronously? Only a store with synchronous
   * methods (the memory store) that nobody holds the lock of: work done now
   * then cannot interleave with a holder, exactly as if it had taken the lock.
   */
  canAddNow(replaceExisting: boolean): boolean {
    const { store } = this;
    return (
      store.addJobSync !== undefined &&
      (!replaceExisting || store.updateJobSync !== undefined) &&
      this.lock.idle
    );
  }

  /** {@link add} without a promise round trip; only when {@link canAddNow} says so. */
  addNow(job: Job, replaceExisting: boolean): void {
    const { store } = this;
    try {
      (store.addJobSync as (job: Job) => void).call(store, job);
    } catch (error) {
      if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
      (store.updateJobSync as (job: Job) => void).call(store, job);
    }
    this.forgetWrite(job.id);
  }

  /** A store operation of the loop, bounded in time for shared stores. */
  withTimeout<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (!this.shared) return call();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeoutError(this.alias, operation)),
        STORE_OPERATION_TIMEOUT_MS,
      );
    });
    const result = call();
    // The operation may still settle after the timeout; its outcome is then ignored, never unhandled.
    result.catch(() => {});
    return Promise.race([result, expired]).finally(() => clearTimeout(timer));
  }

  /** True while writes of the loop wait for a retry. */
  get hasPendingWrites(): boolean {
    return this.#pendingWrites.size > 0;
  }

  /** The job was written (or removed) by someone else: its pending write is moot. */
  forgetWrite(id: string): void {
    this.#pendingWrites.delete(id);
  }

  forgetAllWrites(): void {
    this.#pendingWrites.clear();
  }

  /**
   * Persists a pass's updates and removals (in one call each when the store
   * has batch methods). Writes that fail are kept and retried before the
   * store's jobs are processed again; their ids are returned. Jobs that were
   * removed meanwhile need no write.
   */
  async persist(updates: Job[], removals: string[]): Promise<Set<string>> {
    const unsaved = new Set<string>();
    const store = this.store;
    if (updates.length > 0) {
      const { updateJobs } = store;
      if (updateJobs !== undefined) {
        try {
          await this.withTimeout('updateJobs', () => updateJobs.call(store, updates));
        } catch (error) {
          for (const job of updates) this.#defer(job.id, { kind: 'update', job }, unsaved);
          this.reportFailure('updateJobs', error);
        }
      } else {
        for (const job of updates) {
          try {
            await this.withTimeout('updateJob', () => store.updateJob(job));
          } catch (error) {
            if (error instanceof JobLookupError) continue;
            this.#defer(job.id, { kind: 'update', job }, unsaved);
            this.reportFailure('updateJob', error, job.id);
          }
        }
      }
    }
    if (removals.length > 0) {
      const { removeJobs } = store;
      if (removeJobs !== undefined) {
        try {
          await this.withTimeout('removeJobs', () => removeJobs.call(store, removals));
        } catch (error) {
          for (const id of removals) this.#defer(id, { kind: 'remove' }, unsaved);
          this.reportFailure('removeJobs', error);
        }
      } else {
        for (const id of removals) {
          try {
            await this.withTimeout('removeJob', () => store.removeJob(id));
          } catch (error) {
            if (error instanceof JobLookupError) continue;
            this.#defer(id, { kind: 'remove' }, unsaved);
            this.reportFailure('removeJob', error, id);
          }
        }
      }
    }
    return unsaved;
  }

  #defer(id: string, write: PendingWrite, unsaved: Set<string>): void {
    this.#pendingWrites.set(id, write);
    unsaved.add(id);
  }

  /**
   * Retries writes the loop could not persist. Until they succeed the store's
   * due jobs are not processed, since the store still holds run times that were
   * already submitted (processing them again would run them twice).
   *
   * @param removed called for each job whose removal is now persisted
   */
  async flushPendingWrites(removed: (id: string) => void): Promise<boolean> {
    for (const [id, write] of [...this.#pendingWrites]) {
      try {
        if (write.kind === 'update')
          await this.withTimeout('updateJob', () => this.store.updateJob(write.job));
        else await this.withTimeout('removeJob', () => this.store.removeJob(id));
        this.#pendingWrites.delete(id);
        if (write.kind === 'remove') removed(id);
      } catch (error) {
        if (error instanceof JobLookupError) {
          this.#pendingWrites.delete(id);
          continue;
        }
        this.reportFailure(write.kind === 'update' ? 'updateJob' : 'removeJob', error, id);
        return false;
      }
    }
    return true;
  }

  /** Logs and reports a failed operation; the loop retries the store later. */
  reportFailure(operation: string, error: unknown, jobId: string | null = null): void {
    this.#host.logger.warn(
      `Job store "${this.alias}" failed in ${operation}${jobId === null ? '' : ` (job ${jobId})`}; retrying in ${this.#host.retryIntervalMs / 1000} s`,
      error,
    );
    this.#host.dispatch(new JobStoreErrorEvent(this.alias, operation, error, jobId));
  }

  #restoreFailed(failure: RestoreFailure): void {
    this.broken.set(failure.jobId, failure);
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const key = `${failure.jobId}\u0000${reason}`;
    if (this.#loggedRestoreFailures.has(key)) return;
    this.#loggedRestoreFailures.add(key);
    this.#host.logger.error(
      `Job "${failure.jobId}" in job store "${this.alias}" cannot be restored and is skipped (it stays in the store): ${reason}`,
      failure.error,
    );
    this.#host.dispatch(new JobRestoreFailedEvent(failure.jobId, this.alias, failure.error));
  }
}
