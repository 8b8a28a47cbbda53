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
import type { NewJobChange } from '../stores/job-changes.ts';
import type { JobStore, RestoreFailure, StoreContext } from '../stores/store.ts';
import type { PublishingScheduler } from '../tracing/channels.ts';
import type { StoreNode } from './cluster/store-node.ts';
import { JobChangeRecorder, RECORD_OPERATION } from './job-change-recorder.ts';
import { Mutex } from './mutex.ts';
import { OutageTracker } from './outage-tracker.ts';
import { RecentKeys } from './recent-keys.ts';
import { traceStoreCall } from './tracing/store-calls.ts';

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

/** A job store that did not start within `jobstoreStartTimeout`. */
export class StoreStartTimeoutError extends HorariumError {
  override name = 'StoreStartTimeoutError';
  constructor(alias: string, timeoutMs: number) {
    super(
      `Job store "${alias}" did not start within ${timeoutMs / 1000} s (jobstoreStartTimeout); is its server reachable?`,
    );
  }
}

/** `start()` with `requireJobstores`: a job store could not start. */
export class JobStoreStartError extends HorariumError {
  override name = 'JobStoreStartError';
  readonly alias: string;
  constructor(alias: string, cause: unknown) {
    super(
      `Job store "${alias}" could not start: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.alias = alias;
  }
}

/** A job API call that needs a job store which has not started (it is being retried). */
export class JobStoreUnavailableError extends HorariumError {
  override name = 'JobStoreUnavailableError';
  readonly alias: string;
  constructor(alias: string, cause: unknown) {
    super(
      `Job store "${alias}" is not available: it could not start${cause === undefined ? '' : ` (${cause instanceof Error ? cause.message : String(cause)})`}; the scheduler keeps trying every jobstoreRetryInterval`,
      { cause },
    );
    this.alias = alias;
  }
}

/**
 * How long a logged restore failure stays known after it was last seen (ms,
 * up to twice as long): seen again meanwhile, it is not logged again.
 */
export const RESTORE_FAILURE_MEMORY_MS = 3_600_000;

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
  /** The store has started (also when a start that timed out or failed before succeeds later). */
  storeStarted(managed: ManagedStore): void;
  /** This scheduler's node id, named in the job changes it records (null when not given). */
  nodeId?(): string;
  /** The scheduler, as the `horarium:store` contexts name it. */
  readonly scheduler?: PublishingScheduler;
}

export class ManagedStore {
  readonly alias: string;
  readonly store: JobStore;
  /** The loop and the API never change the store's jobs at once; a slow store holds up only itself. */
  readonly lock: Mutex = new Mutex();
  /**
   * Stored jobs found unrestorable while {@link listJobs} reads the store, by
   * id; empty otherwise. Failures the loop meets are logged and evented, not
   * kept: a node cannot tell when a peer removes such a job, so a map of them
   * grew by one failure (with its error and stack) per broken job ever claimed.
   */
  readonly broken: Map<string, RestoreFailure> = new Map();
  /** Listings reading the store now. */
  #listings = 0;
  /** When the store wants the next pass (epoch ms), as its last pass computed it; null: not until woken. */
  wakeAt: number | null = null;
  /** A pass over this store is still running (a slow or unreachable store). */
  busy = false;
  /** After a failure, no pass touches the store before this time (epoch ms): `jobstoreRetryInterval`. */
  retryAt = 0;
  /** This scheduler's failed operations on the store, summarised for its outage log. */
  readonly outage: OutageTracker = new OutageTracker();
  /** A pass stopped waiting for this store: it wakes the loop when it finishes. */
  late = false;
  /**
   * Jobs whose catch-up batch was split, with the run times replayed so far:
   * the next part continues the running batch, up to the catch-up bound.
   */
  readonly splitBatches: Map<string, number> = new Map();
  /** This scheduler as a node of the store, for a store several schedulers can share (one with a ledger), once joined. */
  node: StoreNode | undefined;
  /** Records this scheduler's changes of the store's jobs, when the store keeps a job change log. */
  readonly changes: JobChangeRecorder | undefined;
  readonly #host: StoreHost;
  readonly #pendingWrites = new Map<string, PendingWrite>();
  /**
   * `id message` of restore failures already logged, so that each is logged
   * once while it recurs. One not seen for an hour or two is forgotten (and
   * logged again if it comes back): a set of them grew by one key per broken
   * job ever met, as a node cannot tell when a peer removes such a job.
   */
  readonly #loggedRestoreFailures = new RecentKeys(RESTORE_FAILURE_MEMORY_MS);

  constructor(alias: string, store: JobStore, host: StoreHost) {
    this.alias = alias;
    this.store = store;
    this.#host = host;
    const log = store.jobChanges;
    this.changes =
      log === undefined
        ? undefined
        : new JobChangeRecorder({
            log,
            nodeId: () => host.nodeId?.() ?? null,
            withTimeout: (operation, call) => this.withTimeout(operation, call),
            failed: (error, jobId, logIt) => this.#recordFailed(error, jobId, logIt),
          });
  }

  /** Where the store is in its life: only a started store is used. */
  status: 'stopped' | 'starting' | 'started' | 'failed' = 'stopped';
  /** The error of the last start that failed. */
  #startError: unknown;
  /** The start in progress (a store's start is never run twice at once). */
  #starting: Promise<void> | undefined;
  /** Closing a store that was stopped while it was starting. */
  #closing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  /** The scheduler that manages the store (null outside one), as channel contexts name it. */
  get scheduler(): PublishingScheduler | null {
    return this.#host.scheduler ?? null;
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
        if (this.#listings > 0) this.broken.delete(job.id);
        return job;
      },
      restoreFailed: (failure) => this.#restoreFailed(failure),
    };
  }

  /** True once the store has started: the scheduler uses it. */
  get available(): boolean {
    return this.status === 'started';
  }

  /** @throws JobStoreUnavailableError unless the store has started */
  requireAvailable(): void {
    if (this.status !== 'started') throw new JobStoreUnavailableError(this.alias, this.#startError);
  }

  /**
   * Starts the store, waiting at most `timeoutMs`. A start still running then
   * is not abandoned: if it succeeds later, the store becomes available and
   * the host is told (`storeStarted`).
   *
   * @throws the store's error, or StoreStartTimeoutError
   */
  start(timeoutMs: number): Promise<void> {
    if (this.status === 'started') return Promise.resolve();
    let starting = this.#starting;
    if (starting === undefined) {
      this.status = 'starting';
      // A store stopped while it was starting is closed first; only then may it start again.
      const closed = this.#closing ?? Promise.resolve();
      const attempt: Promise<void> = closed
        .then(() => this.store.start(this.context(), this.alias))
        .then(
          () => {
            // stop() was called meanwhile (and took the attempt over): the store is closed, not used.
            if (this.#starting !== attempt) return;
            this.#starting = undefined;
            this.status = 'started';
            this.#startError = undefined;
            this.#host.storeStarted(this);
          },
          (error: unknown) => {
            if (this.#starting === attempt) {
              this.#starting = undefined;
              this.status = 'failed';
              this.#startError = error;
            }
            throw error;
          },
        );
      this.#starting = attempt;
      starting = attempt;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new StoreStartTimeoutError(this.alias, timeoutMs);
        this.#startError = error;
        reject(error);
      }, timeoutMs);
    });
    // The start may settle after the timeout; its failure then is the retry's business, never unhandled.
    starting.catch(() => {});
    return Promise.race([starting, expired]).finally(() => clearTimeout(timer));
  }

  /**
   * Tries to start the store again every `intervalMs` until it starts or
   * {@link stop} is called; every failed attempt is reported.
   */
  retryStart(intervalMs: number, timeoutMs: number): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.start(timeoutMs).catch(async (error: unknown) => {
        if (this.status === 'stopped') return;
        this.reportFailure('start', error);
        // An attempt that timed out may still be running: the next begins when it has failed.
        await this.#starting?.catch(() => {});
        if (this.status === 'failed' || this.status === 'starting')
          this.retryStart(intervalMs, timeoutMs);
      });
    }, intervalMs);
    this.#retryTimer.unref();
  }

  /**
   * Shuts the store down and stops retrying its start. A start still running
   * is not waited for (it may hang): the store is closed when it ends.
   */
  async stop(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const { status } = this;
    this.status = 'stopped';
    this.forgetAllWrites();
    const starting = this.#starting;
    if (starting !== undefined) {
      this.#starting = undefined;
      this.#closing = starting
        .then(
          () => this.store.shutdown(),
          () => {},
        )
        .catch((error: unknown) =>
          this.#host.logger.error(`Error shutting down job store "${this.alias}"`, error),
        )
        .finally(() => {
          this.#closing = undefined;
        });
      return;
    }
    if (status !== 'started') return;
    await this.lock.run(async () => {
      try {
        await this.store.shutdown();
      } catch (error) {
        this.#host.logger.error(`Error shutting down job store "${this.alias}"`, error);
      }
    });
  }

  /** Adds a job under the store's lock; with `replaceExisting` a job with the same id is replaced. */
  async add(job: Job, replaceExisting: boolean): Promise<void> {
    this.requireAvailable();
    await this.lock.run(async () => {
      let replaced = false;
      try {
        await this.traced('addJob', () => this.store.addJob(job), job.id);
      } catch (error) {
        if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
        await this.traced('updateJob', () => this.store.updateJob(job), job.id);
        replaced = true;
      }
      this.forgetWrite(job.id);
      const { changes } = this;
      if (changes !== undefined)
        await changes.record([changes.changeOf(replaced ? 'modified' : 'added', job)]);
    });
    this.node?.announce();
  }

  /**
   * Can {@link addNow} add a job synchronously? Only a started store with
   * synchronous methods (the memory store) that nobody holds the lock of: work
   * done now then cannot interleave with a holder, exactly as if it had taken
   * the lock.
   */
  canAddNow(replaceExisting: boolean): boolean {
    const { store } = this;
    return (
      this.status === 'started' &&
      store.addJobSync !== undefined &&
      (!replaceExisting || store.updateJobSync !== undefined) &&
      this.lock.idle
    );
  }

  /** {@link add} without a promise round trip; only when {@link canAddNow} says so. */
  addNow(job: Job, replaceExisting: boolean): void {
    const { store } = this;
    let replaced = false;
    try {
      (store.addJobSync as (job: Job) => void).call(store, job);
    } catch (error) {
      if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
      (store.updateJobSync as (job: Job) => void).call(store, job);
      replaced = true;
    }
    this.forgetWrite(job.id);
    const { changes } = this;
    if (changes !== undefined) {
      const change = changes.changeOf(replaced ? 'modified' : 'added', job);
      if (!changes.recordNow(change)) void changes.record([change]);
    }
  }

  /**
   * Every job of the store that can be restored, and the failures of those
   * that cannot (reported while the store reads them).
   */
  async listJobs(): Promise<{ jobs: Job[]; broken: RestoreFailure[] }> {
    // Listings that overlap share the map: each may list a failure another's read reported.
    this.#listings++;
    try {
      const jobs = await this.store.getAllJobs();
      return { jobs, broken: [...this.broken.values()] };
    } finally {
      if (--this.#listings === 0) this.broken.clear();
    }
  }

  /** A store operation of the job API, traced on `horarium:store`. */
  traced<T>(operation: string, call: () => Promise<T>, jobId: string | null = null): Promise<T> {
    return traceStoreCall(this, operation, call, jobId);
  }

  /**
   * A store operation of the loop, bounded in time for shared stores, and
   * traced on `horarium:store` (`jobId` and `count` say what it writes).
   */
  withTimeout<T>(
    operation: string,
    call: () => Promise<T>,
    jobId: string | null = null,
    count = 1,
  ): Promise<T> {
    return traceStoreCall(this, operation, () => this.#bounded(operation, call), jobId, count);
  }

  #bounded<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (!this.shared) return call();
    // Called before the timer exists: a call that throws at once leaves no timer
    // behind to reject a promise nobody awaits.
    const result = call();
    // The operation may still settle after the timeout; its outcome is then ignored, never unhandled.
    result.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeoutError(this.alias, operation)),
        STORE_OPERATION_TIMEOUT_MS,
      );
    });
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
    /** Jobs the store no longer had: no change of theirs is recorded. */
    const missing = new Set<string>();
    const store = this.store;
    if (updates.length > 0) {
      const { updateJobs } = store;
      if (updateJobs !== undefined) {
        try {
          const gone = await this.withTimeout(
            'updateJobs',
            () => updateJobs.call(store, updates),
            null,
            updates.length,
          );
          // A store of an older contract may answer nothing: then every job counts as written.
          for (const id of gone ?? []) missing.add(id);
        } catch (error) {
          for (const job of updates) this.#defer(job.id, { kind: 'update', job }, unsaved);
          this.reportFailure('updateJobs', error);
        }
      } else {
        for (const job of updates) {
          try {
            await this.withTimeout('updateJob', () => store.updateJob(job), job.id);
          } catch (error) {
            if (error instanceof JobLookupError) {
              missing.add(job.id);
              continue;
            }
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
          const gone = await this.withTimeout(
            'removeJobs',
            () => removeJobs.call(store, removals),
            null,
            removals.length,
          );
          // A store of an older contract may answer nothing: then every job counts as written.
          for (const id of gone ?? []) missing.add(id);
        } catch (error) {
          for (const id of removals) this.#defer(id, { kind: 'remove' }, unsaved);
          this.reportFailure('removeJobs', error);
        }
      } else {
        for (const id of removals) {
          try {
            await this.withTimeout('removeJob', () => store.removeJob(id), id);
          } catch (error) {
            if (error instanceof JobLookupError) {
              missing.add(id);
              continue;
            }
            this.#defer(id, { kind: 'remove' }, unsaved);
            this.reportFailure('removeJob', error, id);
          }
        }
      }
    }
    await this.#recordPass(updates, removals, (id) => !unsaved.has(id) && !missing.has(id));
    return unsaved;
  }

  /**
   * Records what a committed claim changed: the jobs the pass removed (their
   * trigger has ended, `updated` null) or paused.
   */
  async recordCommitted(plans: readonly { job: Job; updated: Job | null }[]): Promise<void> {
    if (this.changes === undefined) return;
    const updates: Job[] = [];
    const removals: string[] = [];
    for (const { job, updated } of plans) {
      if (updated === null) removals.push(job.id);
      else updates.push(updated);
    }
    await this.#recordPass(updates, removals, () => true);
  }

  /**
   * Records what a pass of the main loop changed: the jobs it paused (their
   * trigger failed, their executor is missing) and those it removed (their
   * trigger has ended), of those `written` says reached the store.
   */
  async #recordPass(
    updates: readonly Job[],
    removals: readonly string[],
    written: (id: string) => boolean,
  ): Promise<void> {
    const { changes } = this;
    if (changes === undefined) return;
    const made: NewJobChange[] = [];
    for (const job of updates) {
      if (Number.isNaN(job.nextRunTimeMs) && written(job.id))
        made.push(changes.changeOf('paused', job));
    }
    for (const id of removals) if (written(id)) made.push(changes.removalOf(id));
    await changes.record(made);
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
          await this.withTimeout('updateJob', () => this.store.updateJob(write.job), id);
        else await this.withTimeout('removeJob', () => this.store.removeJob(id), id);
        this.#pendingWrites.delete(id);
        if (write.kind === 'remove') removed(id);
        await this.#recordPass(
          write.kind === 'update' ? [write.job] : [],
          write.kind === 'remove' ? [id] : [],
          () => true,
        );
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
    this.outage.failed(operation, error, Date.now());
    this.#host.logger.warn(
      `Job store "${this.alias}" failed in ${operation}${jobId === null ? '' : ` (job ${jobId})`}; retrying in ${this.#host.retryIntervalMs / 1000} s`,
      error,
    );
    this.#host.dispatch(new JobStoreErrorEvent(this.alias, operation, error, jobId));
  }

  /**
   * A change of a job could not be recorded: the job's change stands. Each
   * failure is reported as an event; the first of a run of failures is logged.
   */
  #recordFailed(error: unknown, jobId: string | null, log: boolean): void {
    if (log)
      this.#host.logger.warn(
        `Job store "${this.alias}" could not record a change${jobId === null ? '' : ` of job ${jobId}`} in its job change log (the change itself was made; further failures are not logged until a record succeeds)`,
        error,
      );
    this.#host.dispatch(new JobStoreErrorEvent(this.alias, RECORD_OPERATION, error, jobId));
  }

  #restoreFailed(failure: RestoreFailure): void {
    if (this.#listings > 0) this.broken.set(failure.jobId, failure);
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    if (this.#loggedRestoreFailures.see(`${failure.jobId}\u0000${reason}`)) return;
    // One line with the reason; the error itself (its stack, its cause) only at debug level and on the event.
    this.#host.logger.error(
      `Job "${failure.jobId}" in job store "${this.alias}" cannot be restored and is skipped (it stays in the store): ${reason}`,
    );
    this.#host.logger.debug(`Why job "${failure.jobId}" cannot be restored:`, failure.error);
    this.#host.dispatch(new JobRestoreFailedEvent(failure.jobId, this.alias, failure.error));
  }
}
