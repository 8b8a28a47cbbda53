/**
 * The scheduler: configuration, the public job API, listeners and the main
 * loop. `AsyncScheduler`, `BackgroundScheduler` and `BlockingScheduler` only
 * differ in how they keep the process alive (see schedulers.ts).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HorariumError } from '../errors.ts';
import {
  EVENT_ALL,
  EVENT_ALL_JOBS_REMOVED,
  EVENT_EXECUTOR_ADDED,
  EVENT_EXECUTOR_REMOVED,
  EVENT_JOB_ADDED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ADDED,
  EVENT_JOBSTORE_REMOVED,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  JobEvent,
  JobRestoreFailedEvent,
  JobStoreErrorEvent,
  JobSubmissionEvent,
  SchedulerEvent,
  type SchedulerEventListener,
} from '../events.ts';
import { AsyncExecutor } from '../executors/async/async-executor.ts';
import {
  type Executor,
  type ExecutorContext,
  MaxInstancesReachedError,
  type ShutdownOptions,
} from '../executors/executor.ts';
import { brokenJob } from '../jobs/broken.ts';
import { InvalidJobOptionError, JobReferenceError } from '../jobs/errors.ts';
import {
  Job,
  type JobChanges,
  type JobFunction,
  type JobOwner,
  type JobState,
} from '../jobs/job.ts';
import { parseReference } from '../jobs/job-ref.ts';
import {
  CHANGE_KEYS,
  checkArgs,
  checkArity,
  checkBoolean,
  checkNextRunTime,
  checkPositiveInteger,
  checkSecondsOrNull,
  checkString,
  checkTrigger,
  JOB_OPTION_KEYS,
} from '../jobs/options.ts';
import { type ReferenceOrigin, ReferencePolicy } from '../jobs/reference-policy.ts';
import { type JobDocument, jobToDocument, readJobDocument } from '../jobs/serialization.ts';
import { debugEnabled, defaultLogger, type Logger } from '../logging.ts';
import { ConflictingIdError, JobLookupError } from '../stores/errors.ts';
import { MemoryJobStore } from '../stores/memory/memory-store.ts';
import type { JobStore, RestoreFailure, StoreContext } from '../stores/store.ts';
import { getZone, localZoneName, type Zone } from '../time/zone.ts';
import type { Trigger } from '../triggers/trigger.ts';
import {
  type FlatConfig,
  type JobDefaults,
  type NormalizeOptions,
  normalizeConfig,
  type SchedulerConfig,
} from './config.ts';
import {
  DuplicateAliasError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  UnknownAliasError,
} from './errors.ts';
import { Mutex } from './mutex.ts';
import {
  createExecutor,
  createJobStore,
  registerExecutorType,
  registerJobStoreType,
} from './plugins.ts';
import { planRuns, type RunPlan } from './run-times.ts';
import {
  buildTrigger,
  type TriggerAlias,
  type TriggerArgsByAlias,
  ZONED_ALIASES,
} from './trigger-aliases.ts';

registerJobStoreType('memory', () => new MemoryJobStore());
registerExecutorType('async', () => new AsyncExecutor());

export const STATE_STOPPED = 0;
export const STATE_RUNNING = 1;
export const STATE_PAUSED = 2;
export type SchedulerState = typeof STATE_STOPPED | typeof STATE_RUNNING | typeof STATE_PAUSED;

/**
 * The longest the loop sleeps before re-reading the wall clock, so that a
 * clock step or a host suspend is noticed within this time and no timer ever
 * overflows (Node's setTimeout breaks past 2³¹ ms).
 */
export const MAX_SLEEP_MS = 10_000;
/** How long a pass waits for a slow store before going on with the others (the slow one finishes in the background). */
const SLOW_STORE_MS = 1000;
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

/** The arguments of every job added without `args`: one shared frozen array rather than one per job. */
const NO_ARGS: unknown[] = Object.freeze([]) as unknown as unknown[];
/**
 * Due jobs planned, persisted and submitted together in one step of a pass:
 * the first step takes FIRST_DUE_CHUNK jobs, each next one twice as many, up
 * to DUE_CHUNK. Small first steps start the first runs of a large burst
 * sooner; large later ones keep the number of store writes low.
 */
const FIRST_DUE_CHUNK = 125;
const DUE_CHUNK = 1000;
/** The lock that guards the pending-job list while the scheduler is stopped. */
const PENDING_LOCK = '\u0000pending';
/** A difference between wall-clock and monotonic time over one sleep larger than this is a clock jump. */
const CLOCK_JUMP_TOLERANCE_MS = 1000;

/** Job options of `addJob` other than the trigger's arguments. */
export interface BaseJobOptions {
  /** Explicit id (default: a random UUID). Persistent stores need explicit ids for jobs created at start-up. */
  id?: string;
  /** Human-readable name (default: the function's name or the reference). */
  name?: string;
  /** Seconds after its scheduled time a run may still start; null = no limit (the default). */
  misfireGraceTime?: number | null;
  /** Run missed runs once instead of once each (default true). */
  coalesce?: boolean;
  /** Concurrent runs of this job allowed (default 1). */
  maxInstances?: number;
  /** First run time; null adds the job paused; omitted: computed from the trigger. */
  nextRunTime?: Date | number | string | null;
  /** Alias of the store to add to (default `'default'`). */
  jobstore?: string;
  /** Alias of the executor that runs it (default `'default'`). */
  executor?: string;
  /** Replace a job with the same id instead of failing with ConflictingIdError. */
  replaceExisting?: boolean;
  /** Seconds a run may take before its signal aborts and it is reported as an error (default: no limit). */
  timeout?: number | null;
}

/**
 * `args` may be left out only for a function without parameters. (At run time
 * every declared parameter without a default value counts as required, and a
 * TypeScript optional parameter compiles to exactly that.)
 */
export type ArgsOption<A extends unknown[]> =
  ArgsRequired<A> extends true ? { args: A } : { args?: A };

/** True for a parameter list with at least one positional parameter (rest-only lists such as `any[]` need none). */
export type ArgsRequired<A extends unknown[]> = number extends A['length']
  ? false
  : A extends []
    ? false
    : true;

export type JobOptions<A extends unknown[] = unknown[]> = BaseJobOptions & ArgsOption<A>;

/** The options argument: optional unless the function needs `args`. */
export type OptionsArgument<F extends JobFunction, Extra> =
  ArgsRequired<Parameters<F>> extends true
    ? [options: JobOptions<Parameters<F>> & Extra]
    : [options?: JobOptions<Parameters<F>> & Extra];

export interface StartOptions {
  /** Start paused: no job runs until `resume()`. */
  paused?: boolean;
}

/** The document `exportJobs` writes and `importJobs` reads. */
export interface JobsExport {
  version: number;
  horariumVersion: string;
  jobs: JobDocument[];
}

const EXPORT_VERSION = 1;
const HORARIUM_VERSION = '0.1.0';

/** A validated job, not yet in a store. */
interface PreparedJob {
  state: JobState;
  jobstore: string;
  replaceExisting: boolean;
  /** The job options the caller gave (for the defaults of pending jobs). */
  jobOptions: Record<string, unknown>;
  nextRunTimeGiven: boolean;
}

/** Ids are 32 hex digits from a pool of random bytes: cheaper than a UUID per job, and a flat string. */
let idPool: Buffer = Buffer.alloc(0);
let idOffset = 0;
function randomJobId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

interface PendingJob {
  job: Job;
  replaceExisting: boolean;
  /** Options the caller gave explicitly; the others take the job defaults in force when the job is really added. */
  explicit: ReadonlySet<string>;
  jobstore: string;
}

interface Listener {
  callback: SchedulerEventListener;
  mask: number;
}

/** What the loop does with one due job in a pass. */
interface DuePlan {
  job: Job;
  /** Undefined when the job's executor is gone (the job is removed) or its trigger failed. */
  executor: Executor | undefined;
  runTimes: Date[];
  /** The job as it is stored after this pass; null removes it. */
  updated: Job | null;
  /** The job was paused because its trigger failed. */
  paused: boolean;
  /** The runs continue a split batch. */
  continuation: boolean;
}

/** A write the loop could not persist; retried before the store's jobs are processed again. */
type PendingWrite = { kind: 'update'; job: Job } | { kind: 'remove' };

const DEFAULT_JOB_DEFAULTS: Required<JobDefaults> = {
  coalesce: true,
  maxInstances: 1,
  misfireGraceTime: null,
};

export class BaseScheduler implements JobOwner {
  #state: SchedulerState = STATE_STOPPED;
  #starting: Promise<void> | undefined;
  #zone: Zone;
  #logger: Logger = defaultLogger;
  #jobDefaults: Required<JobDefaults> = { ...DEFAULT_JOB_DEFAULTS };
  #retryIntervalMs = 10_000;
  #pollIntervalMs = 5000;
  #daemon: boolean;
  /** Stored jobs that could not be restored, per store alias. */
  readonly #broken = new Map<string, Map<string, RestoreFailure>>();
  /** `alias id message` of restore failures already logged, so each is logged once. */
  readonly #loggedRestoreFailures = new Set<string>();
  readonly #stores = new Map<string, JobStore>();
  readonly #executors = new Map<string, Executor>();
  readonly #listeners: Listener[] = [];
  #listenerMask = 0;
  readonly #pending: PendingJob[] = [];
  readonly #tasks = new Map<string, JobFunction>();
  readonly #taskNames = new Map<JobFunction, string>();
  /** Which modules job references may load (`jobReferences`); checked before any import. */
  #references = new ReferencePolicy();
  /** One lock per store: the loop and the API never change a store's jobs at once, and a slow store holds up only itself. */
  readonly #locks = new Map<string, Mutex>();
  /** Store processing still in flight from an earlier pass (a slow or unreachable store). */
  readonly #storesInFlight = new Set<string>();
  /** Stores a pass stopped waiting for: they wake the loop when they finish. */
  readonly #lateStores = new Set<string>();
  /** Each store's next wake-up time as its last pass computed it. */
  readonly #storeWakeups = new Map<string, number | null>();
  readonly #pendingWrites = new Map<string, Map<string, PendingWrite>>();
  /** `alias id` of jobs whose catch-up batch was split: the next part continues the running batch. */
  readonly #splitBatches = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (epoch ms), undefined when none is armed. */
  #plannedWakeAt: number | undefined;
  #sleepStartedWall = 0;
  #sleepStartedMonotonic = 0;
  #processing = false;
  #wakeAgain = false;
  #stopped: { promise: Promise<void>; resolve: () => void } | undefined;

  readonly #executorContext: ExecutorContext = {
    logger: defaultLogger,
    now: () => Date.now(),
    dispatch: (event) => this.#dispatch(event),
    wants: (mask) => (this.#listenerMask & mask) !== 0,
    moduleUrl: (specifier) => this.#references.moduleUrl(specifier),
  };

  constructor(config: SchedulerConfig | FlatConfig = {}, daemon = false) {
    this.#zone = getZone(localZoneName());
    this.#daemon = daemon;
    this.configure(config);
  }

  // ------------------------------------------------------------------ state

  get state(): SchedulerState {
    return this.#state;
  }

  /** True unless the scheduler is stopped. */
  get running(): boolean {
    return this.#state !== STATE_STOPPED;
  }

  /** The scheduler's zone: the default for triggers created from aliases. */
  get zone(): Zone {
    return this.#zone;
  }

  get timezone(): string {
    return this.#zone.name;
  }

  get logger(): Logger {
    return this.#logger;
  }

  /**
   * Applies configuration (structured, or flat with the `'horarium.'`
   * prefix). Only while stopped. Unlike APScheduler, stores and executors
   * added before are kept; an entry with the same alias replaces one.
   */
  configure(config: SchedulerConfig | FlatConfig = {}, options?: NormalizeOptions): void {
    if (this.#state !== STATE_STOPPED || this.#starting !== undefined)
      throw new SchedulerAlreadyRunningError();
    const normalized = normalizeConfig(config, options);
    if (normalized.timezone !== undefined) this.#zone = getZone(normalized.timezone);
    if (normalized.logger !== undefined) {
      this.#logger = normalized.logger;
      (this.#executorContext as { logger: Logger }).logger = normalized.logger;
    }
    if (normalized.jobDefaults !== undefined)
      this.#jobDefaults = { ...this.#jobDefaults, ...normalized.jobDefaults };
    if (normalized.jobstoreRetryInterval !== undefined)
      this.#retryIntervalMs = normalized.jobstoreRetryInterval * 1000;
    if (normalized.daemon !== undefined) this.#daemon = normalized.daemon;
    if (normalized.storePollInterval !== undefined)
      this.#pollIntervalMs = normalized.storePollInterval * 1000;
    if (normalized.jobReferences !== undefined)
      this.#references = new ReferencePolicy(normalized.jobReferences);
    for (const [alias, entry] of Object.entries(normalized.executors ?? {})) {
      this.#executors.set(alias, createExecutor(alias, entry));
      this.#dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, alias));
    }
    for (const [alias, entry] of Object.entries(normalized.jobstores ?? {})) {
      this.#stores.set(alias, createJobStore(alias, entry));
      this.#dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, alias));
    }
  }

  /** Starts the scheduler: executors and stores start, pending jobs are added, the loop runs. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.#state !== STATE_STOPPED || this.#starting !== undefined)
      throw new SchedulerAlreadyRunningError();
    const starting = this.#start(options.paused === true);
    this.#starting = starting;
    try {
      await starting;
    } finally {
      this.#starting = undefined;
    }
  }

  async #start(paused: boolean): Promise<void> {
    if (!this.#executors.has('default')) {
      this.#executors.set('default', new AsyncExecutor());
      this.#dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, 'default'));
    }
    if (!this.#stores.has('default')) {
      this.#stores.set('default', new MemoryJobStore());
      this.#dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, 'default'));
    }
    const startedExecutors: Executor[] = [];
    const startedStores: JobStore[] = [];
    try {
      for (const [alias, executor] of this.#executors) {
        await executor.start(this.#executorContext, alias);
        startedExecutors.push(executor);
      }
      for (const [alias, store] of this.#stores) {
        await store.start(this.#storeContext(alias), alias);
        startedStores.push(store);
      }
      const pending = this.#pending.splice(0);
      try {
        for (let i = 0; i < pending.length; i++) {
          const entry = pending[i] as PendingJob;
          await this.#realAddJob(
            this.#withDefaults(entry),
            entry.jobstore,
            entry.replaceExisting,
            !entry.explicit.has('nextRunTime'),
          );
        }
      } catch (error) {
        this.#pending.unshift(...pending);
        throw error;
      }
    } catch (error) {
      // Leave nothing half-started: the scheduler stays stopped and can be started again.
      await Promise.allSettled(startedExecutors.map((e) => e.shutdown({ wait: false })));
      await Promise.allSettled(startedStores.map((s) => s.shutdown()));
      throw error;
    }
    let resolveStopped: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      resolveStopped = resolve;
    });
    this.#stopped = { promise: stopped, resolve: resolveStopped };
    this.#state = paused ? STATE_PAUSED : STATE_RUNNING;
    this.#logger.info('Scheduler started');
    this.#dispatch(new SchedulerEvent(EVENT_SCHEDULER_STARTED));
    if (!paused) this.wakeup();
  }

  /**
   * Stops the scheduler: no new runs start; with `wait` (the default) running
   * jobs are awaited, and with `timeout` (seconds) those still running then are
   * aborted through their signal. Stores and executors are shut down.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => {});
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    this.#state = STATE_STOPPED;
    this.#clearTimer();
    const wait = options.wait ?? true;
    const executorOptions: ShutdownOptions = { wait };
    if (options.timeout !== undefined) executorOptions.timeout = options.timeout;
    await Promise.all(
      [...this.#executors].map(async ([alias, executor]) => {
        try {
          await executor.shutdown(executorOptions);
        } catch (error) {
          this.#logger.error(`Error shutting down executor "${alias}"`, error);
        }
      }),
    );
    for (const [alias, store] of this.#stores) {
      await this.#lockOf(alias).run(async () => {
        try {
          await store.shutdown();
        } catch (error) {
          this.#logger.error(`Error shutting down job store "${alias}"`, error);
        }
      });
    }
    this.#pendingWrites.clear();
    this.#logger.info('Scheduler has been shut down');
    this.#dispatch(new SchedulerEvent(EVENT_SCHEDULER_SHUTDOWN));
    this.#stopped?.resolve();
  }

  /** Resolves when the scheduler has shut down (immediately when it is not running). */
  protected whenShutdown(): Promise<void> {
    return this.#stopped?.promise ?? Promise.resolve();
  }

  /** Suspends job processing until `resume()`; jobs keep their run times. */
  pause(): void {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    if (this.#state === STATE_RUNNING) {
      this.#state = STATE_PAUSED;
      this.#clearTimer();
      this.#logger.info('Paused scheduler job processing');
      this.#dispatch(new SchedulerEvent(EVENT_SCHEDULER_PAUSED));
    }
  }

  /** Resumes job processing; runs missed while paused are handled by the misfire rules. */
  resume(): void {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    if (this.#state === STATE_PAUSED) {
      this.#state = STATE_RUNNING;
      this.#logger.info('Resumed scheduler job processing');
      this.#dispatch(new SchedulerEvent(EVENT_SCHEDULER_RESUMED));
      this.wakeup();
    }
  }

  /** Wakes the loop if a job now runs at `time` (epoch ms), earlier than the loop planned to wake. */
  #wakeFor(time: number): void {
    if (this.#state !== STATE_RUNNING || Number.isNaN(time)) return;
    if (this.#processing) {
      this.#wakeAgain = true;
      return;
    }
    if (this.#plannedWakeAt !== undefined && time >= this.#plannedWakeAt) return;
    this.#sleep(Math.min(Math.max(time - Date.now(), 0), MAX_SLEEP_MS));
  }

  /** Asks the loop to look for due jobs now. */
  wakeup(): void {
    if (this.#state !== STATE_RUNNING) return;
    if (this.#processing) {
      this.#wakeAgain = true;
      return;
    }
    this.#sleep(0);
  }

  // ------------------------------------------------------------------ executors and stores

  /** Adds an executor (an instance or a registered type) under an alias. */
  async addExecutor(
    executor: Executor | string,
    alias = 'default',
    options: Record<string, unknown> = {},
  ): Promise<void> {
    if (this.#executors.has(alias)) throw new DuplicateAliasError('executor', alias);
    const instance =
      typeof executor === 'string'
        ? createExecutor(alias, { ...options, type: executor })
        : createExecutor(alias, executor);
    if (this.#state !== STATE_STOPPED) await instance.start(this.#executorContext, alias);
    this.#executors.set(alias, instance);
    this.#dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, alias));
  }

  /** Removes an executor, shutting it down (waiting for its jobs) unless `shutdown` is false. */
  async removeExecutor(alias: string, shutdown = true): Promise<void> {
    const executor = this.#executors.get(alias);
    if (executor === undefined)
      throw new UnknownAliasError('executor', alias, [...this.#executors.keys()]);
    this.#executors.delete(alias);
    if (shutdown) await executor.shutdown({ wait: true });
    this.#dispatch(new SchedulerEvent(EVENT_EXECUTOR_REMOVED, alias));
  }

  /** Adds a job store (an instance or a registered type) under an alias. */
  async addJobstore(
    jobstore: JobStore | string,
    alias = 'default',
    options: Record<string, unknown> = {},
  ): Promise<void> {
    if (this.#stores.has(alias)) throw new DuplicateAliasError('jobstore', alias);
    const store =
      typeof jobstore === 'string'
        ? createJobStore(alias, { ...options, type: jobstore })
        : createJobStore(alias, jobstore);
    if (this.#state !== STATE_STOPPED) await store.start(this.#storeContext(alias), alias);
    this.#stores.set(alias, store);
    this.#dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, alias));
    this.wakeup();
  }

  /** Removes a job store; its jobs stay in the backend. */
  async removeJobstore(alias: string, shutdown = true): Promise<void> {
    const store = this.#stores.get(alias);
    if (store === undefined)
      throw new UnknownAliasError('jobstore', alias, [...this.#stores.keys()]);
    await this.#lockOf(alias).run(async () => {
      this.#stores.delete(alias);
      this.#pendingWrites.delete(alias);
      this.#storeWakeups.delete(alias);
      if (shutdown) await store.shutdown();
    });
    this.#dispatch(new SchedulerEvent(EVENT_JOBSTORE_REMOVED, alias));
  }

  // ------------------------------------------------------------------ persistent stores

  /** A store operation of the loop, bounded in time for shared stores. */
  #bounded<T>(
    alias: string,
    store: JobStore,
    operation: string,
    call: () => Promise<T>,
  ): Promise<T> {
    if (store.shared !== true) return call();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeoutError(alias, operation)),
        STORE_OPERATION_TIMEOUT_MS,
      );
    });
    const result = call();
    // The operation may still settle after the timeout; its outcome is then ignored, never unhandled.
    result.catch(() => {});
    return Promise.race([result, expired]).finally(() => clearTimeout(timer));
  }

  /** A method, not a field read, so that the check is not narrowed away across awaits. */
  #isStopped(): boolean {
    return this.#state === STATE_STOPPED;
  }

  #isRunning(): boolean {
    return this.#state !== STATE_STOPPED;
  }

  #lockOf(alias: string): Mutex {
    let lock = this.#locks.get(alias);
    if (lock === undefined) {
      lock = new Mutex();
      this.#locks.set(alias, lock);
    }
    return lock;
  }

  #storeContext(alias: string): StoreContext {
    return {
      logger: this.#logger,
      restoreJob: (document) => this.#restoreJob(alias, document),
      restoreFailed: (failure) => this.#restoreFailed(alias, failure),
    };
  }

  async #restoreJob(alias: string, document: unknown): Promise<Job> {
    const state = readJobDocument(document);
    const func = await this.resolveFunction(state.funcRef, 'store');
    this.#broken.get(alias)?.delete(state.id);
    return new Job(this, { ...state, func }, alias);
  }

  #restoreFailed(alias: string, failure: RestoreFailure): void {
    let broken = this.#broken.get(alias);
    if (broken === undefined) {
      broken = new Map();
      this.#broken.set(alias, broken);
    }
    broken.set(failure.jobId, failure);
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const key = `${alias}\u0000${failure.jobId}\u0000${reason}`;
    if (this.#loggedRestoreFailures.has(key)) return;
    this.#loggedRestoreFailures.add(key);
    this.#logger.error(
      `Job "${failure.jobId}" in job store "${alias}" cannot be restored and is skipped (it stays in the store): ${reason}`,
      failure.error,
    );
    this.#dispatch(new JobRestoreFailedEvent(failure.jobId, alias, failure.error));
  }

  // ------------------------------------------------------------------ listeners

  /** Calls `callback` for every event whose code is in `mask` (default: every event). */
  addListener(callback: SchedulerEventListener, mask: number = EVENT_ALL): void {
    if (typeof callback !== 'function') throw new TypeError('A listener must be a function');
    this.#listeners.push({ callback, mask });
    this.#listenerMask |= mask;
  }

  removeListener(callback: SchedulerEventListener): void {
    for (let i = this.#listeners.length - 1; i >= 0; i--) {
      if (this.#listeners[i]?.callback === callback) this.#listeners.splice(i, 1);
    }
    this.#listenerMask = this.#listeners.reduce((mask, l) => mask | l.mask, 0);
  }

  #dispatch(event: SchedulerEvent): void {
    if ((this.#listenerMask & event.code) === 0) return;
    for (const listener of [...this.#listeners]) {
      if ((listener.mask & event.code) === 0) continue;
      try {
        const result: unknown = listener.callback(event);
        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#logger.error('Error notifying listener', error));
        }
      } catch (error) {
        this.#logger.error('Error notifying listener', error);
      }
    }
  }

  // ------------------------------------------------------------------ tasks

  /**
   * Registers a function under a name. A job added with that name (a string
   * without a colon) is stored by the name, and a persistent store restores it
   * when the application registers the name again.
   */
  registerTask(name: string, func: JobFunction): void {
    if (typeof name !== 'string' || name === '' || name.includes(':')) {
      throw new InvalidJobOptionError(
        'name',
        `A task name must be a non-empty string without ':', got ${JSON.stringify(name)}`,
      );
    }
    if (typeof func !== 'function')
      throw new InvalidJobOptionError('func', `Task ${JSON.stringify(name)} must be a function`);
    const previous = this.#tasks.get(name);
    if (previous !== undefined) this.#taskNames.delete(previous);
    this.#tasks.set(name, func);
    this.#taskNames.set(func, name);
  }

  /**
   * Resolves a textual reference or task name to its function, importing a
   * module only when the reference rules (`jobReferences`) allow it. A
   * relative reference from the application (`origin` `'caller'`) is relative
   * to the working directory; one read from a store, to the application root.
   */
  async resolveFunction(
    reference: string,
    origin: ReferenceOrigin = 'caller',
  ): Promise<JobFunction> {
    if (parseReference(reference) === null) {
      const task = this.#tasks.get(reference);
      if (task === undefined) {
        throw new JobReferenceError(
          reference,
          `No task is registered under the name ${JSON.stringify(reference)} (register it with scheduler.registerTask, or use a 'module:export' reference)`,
        );
      }
      return task;
    }
    return this.#references.resolve(reference, origin);
  }

  // ------------------------------------------------------------------ jobs

  /**
   * Adds a job. `func` is a function, a `'module:export'` reference or a
   * registered task name; `trigger` a Trigger, an alias whose arguments go in
   * `options`, or omitted (run once, now). Before `start()` the job is pending.
   *
   * @example
   * ```ts
   * await scheduler.addJob(sendReport, 'cron', { hour: 3, id: 'nightly-report', args: ['ops@example.com'] });
   * ```
   */
  addJob<F extends JobFunction, T extends TriggerAlias>(
    func: F,
    trigger: T,
    ...options: OptionsArgument<F, TriggerArgsByAlias[T]>
  ): Promise<Job<Parameters<F>>>;
  addJob<F extends JobFunction>(
    func: F,
    trigger?: Trigger | null,
    ...options: OptionsArgument<F, Record<never, never>>
  ): Promise<Job<Parameters<F>>>;
  addJob<T extends TriggerAlias>(
    func: string,
    trigger: T,
    options?: JobOptions<unknown[]> & TriggerArgsByAlias[T],
  ): Promise<Job>;
  addJob(func: string, trigger?: Trigger | null, options?: JobOptions<unknown[]>): Promise<Job>;
  addJob(
    func: JobFunction | string,
    trigger?: Trigger | string | null,
    options?: object,
  ): Promise<Job> {
    // A function added to a running scheduler is validated and, when its store
    // can take it synchronously, added before this returns: no promise round trips.
    if (typeof func === 'function' && this.#starting === undefined && this.#isRunning()) {
      try {
        const prepared = this.#prepareFunctionJob(
          func,
          trigger,
          (options ?? {}) as Record<string, unknown>,
        );
        const added = this.#addJobNow(prepared);
        if (added !== undefined) return Promise.resolve(added);
        return this.#realAddJob(
          prepared.state,
          prepared.jobstore,
          prepared.replaceExisting,
          !prepared.nextRunTimeGiven,
        );
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#addJobWhenReady(func, trigger, options);
  }

  async #addJobWhenReady(
    func: JobFunction | string,
    trigger: Trigger | string | null | undefined,
    options: object | undefined,
  ): Promise<Job> {
    const prepared = await this.#prepareJob(
      func,
      trigger,
      (options ?? {}) as Record<string, unknown>,
    );
    if (this.#starting !== undefined) await this.#starting.catch(() => {});
    if (this.#state === STATE_STOPPED) return this.#addPending(prepared);
    return this.#realAddJob(
      prepared.state,
      prepared.jobstore,
      prepared.replaceExisting,
      !prepared.nextRunTimeGiven,
    );
  }

  /**
   * A decorator-style wrapper: `scheduledJob('cron', { hour: 3, id: 'x' })(fn)`
   * adds `fn` with `replaceExisting: true` and returns `fn` unchanged. Invalid
   * options throw at once; a store failure while running is logged.
   */
  scheduledJob<T extends TriggerAlias>(
    trigger: T,
    options?: BaseJobOptions & { args?: unknown[] } & TriggerArgsByAlias[T],
  ): <F extends JobFunction>(func: F) => F;
  scheduledJob(
    trigger?: Trigger | null,
    options?: BaseJobOptions & { args?: unknown[] },
  ): <F extends JobFunction>(func: F) => F;
  scheduledJob(
    trigger?: Trigger | string | null,
    options: object = {},
  ): <F extends JobFunction>(func: F) => F {
    return <F extends JobFunction>(func: F): F => {
      if (typeof func !== 'function')
        throw new InvalidJobOptionError('func', 'scheduledJob wraps a function');
      const prepared = this.#prepareFunctionJob(func, trigger, {
        ...(options as Record<string, unknown>),
        replaceExisting: true,
      });
      if (this.#state === STATE_STOPPED && this.#starting === undefined) {
        this.#addPending(prepared);
        return func;
      }
      const add = async (): Promise<void> => {
        if (this.#starting !== undefined) await this.#starting.catch(() => {});
        if (this.#state === STATE_STOPPED) this.#addPending(prepared);
        else
          await this.#realAddJob(
            prepared.state,
            prepared.jobstore,
            true,
            !prepared.nextRunTimeGiven,
          );
      };
      add().catch((error: unknown) =>
        this.#logger.error(`scheduledJob could not add job "${prepared.state.id}"`, error),
      );
      return func;
    };
  }

  async #prepareJob(
    func: JobFunction | string,
    trigger: Trigger | string | null | undefined,
    options: Record<string, unknown>,
  ) {
    if (typeof func === 'string') {
      const resolved = await this.resolveFunction(func);
      return this.#prepareFunctionJob(
        resolved,
        trigger,
        options,
        this.#references.storedForm(func, 'caller'),
      );
    }
    if (typeof func !== 'function') {
      throw new InvalidJobOptionError(
        'func',
        `func must be a function, a 'module:export' reference or a task name, got ${typeof func}`,
      );
    }
    return this.#prepareFunctionJob(func, trigger, options);
  }

  /** Validates everything synchronously and builds the job (not yet in a store). */
  #prepareFunctionJob(
    func: JobFunction,
    triggerArg: Trigger | string | null | undefined,
    options: Record<string, unknown>,
    reference?: string,
  ): PreparedJob {
    if (typeof options !== 'object' || options === null)
      throw new InvalidJobOptionError('options', 'options must be an object');
    const jobOptions: Record<string, unknown> = {};
    // A zoned alias's trigger takes the scheduler's zone unless the options give one.
    const triggerArgs: Record<string, unknown> =
      typeof triggerArg === 'string' && ZONED_ALIASES.has(triggerArg)
        ? { timezone: this.#zone.name }
        : {};
    for (const key of Object.keys(options)) {
      const value = options[key];
      if (value === undefined) continue;
      if (JOB_OPTION_KEYS.has(key)) jobOptions[key] = value;
      else triggerArgs[key] = value;
    }
    let trigger: Trigger;
    if (typeof triggerArg === 'string') {
      trigger = buildTrigger(triggerArg, triggerArgs, this.#zone.name);
    } else {
      const extra = Object.keys(triggerArgs);
      if (extra.length > 0) {
        throw new InvalidJobOptionError(
          extra[0] as string,
          `Unknown job option${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')}${triggerArg ? ' (trigger arguments are only accepted with a trigger alias)' : ''}`,
        );
      }
      trigger =
        triggerArg === undefined || triggerArg === null
          ? buildTrigger('date', {}, this.#zone.name)
          : checkTrigger(triggerArg);
    }
    const id = jobOptions.id === undefined ? randomJobId() : checkString('id', jobOptions.id);
    const funcRef = reference ?? this.#taskNames.get(func) ?? null;
    const name =
      jobOptions.name === undefined
        ? func.name || funcRef || 'anonymous'
        : checkString('name', jobOptions.name);
    const args = jobOptions.args === undefined ? NO_ARGS : checkArgs(jobOptions.args);
    checkArity(func, args, () => `Job "${name}" (${id})`);
    const executor =
      jobOptions.executor === undefined ? 'default' : checkString('executor', jobOptions.executor);
    const jobstore =
      jobOptions.jobstore === undefined ? 'default' : checkString('jobstore', jobOptions.jobstore);
    if (this.#state !== STATE_STOPPED) {
      if (!this.#stores.has(jobstore))
        throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys()]);
      if (!this.#executors.has(executor))
        throw new UnknownAliasError('executor', executor, [...this.#executors.keys()]);
    } else {
      if (jobstore !== 'default' && !this.#stores.has(jobstore))
        throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys(), 'default']);
      if (executor !== 'default' && !this.#executors.has(executor)) {
        throw new UnknownAliasError('executor', executor, [...this.#executors.keys(), 'default']);
      }
    }
    const replaceExisting =
      jobOptions.replaceExisting === undefined
        ? false
        : checkBoolean('replaceExisting', jobOptions.replaceExisting);
    const state: JobState = {
      id,
      name,
      func,
      funcRef,
      args,
      trigger,
      executor,
      coalesce:
        jobOptions.coalesce === undefined
          ? this.#jobDefaults.coalesce
          : checkBoolean('coalesce', jobOptions.coalesce),
      maxInstances:
        jobOptions.maxInstances === undefined
          ? this.#jobDefaults.maxInstances
          : checkPositiveInteger('maxInstances', jobOptions.maxInstances),
      misfireGraceTime:
        jobOptions.misfireGraceTime === undefined
          ? this.#jobDefaults.misfireGraceTime
          : checkSecondsOrNull('misfireGraceTime', jobOptions.misfireGraceTime),
      timeout:
        jobOptions.timeout === undefined ? null : checkSecondsOrNull('timeout', jobOptions.timeout),
      nextRunTime: null,
    };
    const nextRunTimeGiven = jobOptions.nextRunTime !== undefined;
    if (nextRunTimeGiven) state.nextRunTime = checkNextRunTime(jobOptions.nextRunTime);
    const validate = this.#executors.get(executor)?.validateJob;
    if (validate !== undefined)
      validate.call(this.#executors.get(executor), new Job(this, state, null));
    return { state, jobstore, replaceExisting, jobOptions, nextRunTimeGiven };
  }

  #addPending(prepared: PreparedJob): Job {
    const entry: PendingJob = {
      job: new Job(this, prepared.state, null),
      jobstore: prepared.jobstore,
      replaceExisting: prepared.replaceExisting,
      explicit: new Set(Object.keys(prepared.jobOptions)),
    };
    const index = this.#pending.findIndex((p) => p.job.id === entry.job.id);
    if (index >= 0) {
      if (!entry.replaceExisting) throw new ConflictingIdError(entry.job.id);
      this.#pending[index] = entry;
    } else {
      this.#pending.push(entry);
    }
    this.#logger.info(
      `Adding job tentatively -- it will be properly scheduled when the scheduler starts`,
    );
    return entry.job;
  }

  /** A pending job's state with the job defaults in force now for the options it did not give. */
  #withDefaults(entry: PendingJob): JobState {
    const state = entry.job.state();
    if (!entry.explicit.has('coalesce')) state.coalesce = this.#jobDefaults.coalesce;
    if (!entry.explicit.has('maxInstances')) state.maxInstances = this.#jobDefaults.maxInstances;
    if (!entry.explicit.has('misfireGraceTime'))
      state.misfireGraceTime = this.#jobDefaults.misfireGraceTime;
    return state;
  }

  /** Adds a job to its store, under the store's lock. */
  async #realAddJob(
    state: JobState,
    jobstore: string,
    replaceExisting: boolean,
    computeNextRunTime: boolean,
  ): Promise<Job> {
    const store = this.#stores.get(jobstore);
    if (store === undefined)
      throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys()]);
    const added = this.#jobToAdd(state, jobstore, computeNextRunTime);
    await this.#lockOf(jobstore).run(async () => {
      try {
        await store.addJob(added);
      } catch (error) {
        if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
        await store.updateJob(added);
      }
      this.#pendingWrites.get(jobstore)?.delete(added.id);
    });
    this.#jobAdded(added, jobstore);
    return added;
  }

  /**
   * `#realAddJob` done synchronously, when the store has synchronous methods
   * and nobody holds its lock; undefined (nothing done) otherwise.
   */
  #addJobNow(prepared: PreparedJob): Job | undefined {
    const { jobstore, replaceExisting } = prepared;
    const store = this.#stores.get(jobstore);
    if (
      store?.addJobSync === undefined ||
      (replaceExisting && store.updateJobSync === undefined) ||
      !this.#lockOf(jobstore).idle
    ) {
      return undefined;
    }
    const added = this.#jobToAdd(prepared.state, jobstore, !prepared.nextRunTimeGiven);
    try {
      store.addJobSync(added);
    } catch (error) {
      if (!(error instanceof ConflictingIdError) || !replaceExisting) throw error;
      (store.updateJobSync as (job: Job) => void).call(store, added);
    }
    this.#pendingWrites.get(jobstore)?.delete(added.id);
    this.#jobAdded(added, jobstore);
    return added;
  }

  /** The job to store. Without an explicit `nextRunTime` the trigger gives the first run time now (a finished trigger adds the job paused). */
  #jobToAdd(state: JobState, jobstore: string, computeNextRunTime: boolean): Job {
    if (computeNextRunTime)
      state.nextRunTime = state.trigger.getNextFireTime(null, new Date(Date.now()));
    return new Job(this, state, jobstore);
  }

  #jobAdded(added: Job, jobstore: string): void {
    if (debugEnabled(this.#logger))
      this.#logger.info(`Added job "${added.name}" to job store "${jobstore}"`);
    if (this.#listenerMask & EVENT_JOB_ADDED)
      this.#dispatch(new JobEvent(EVENT_JOB_ADDED, added.id, jobstore));
    this.#wakeFor(added.nextRunTimeMs);
  }

  /** Changes a job (all or nothing); the id cannot change. */
  async modifyJob<A extends unknown[] = unknown[]>(
    id: string,
    changes: JobChanges<A> & { id?: string },
    jobstore?: string,
  ): Promise<Job> {
    if (typeof changes !== 'object' || changes === null)
      throw new InvalidJobOptionError('changes', 'changes must be an object');
    for (const key of Object.keys(changes)) {
      if (!CHANGE_KEYS.has(key))
        throw new InvalidJobOptionError(key, `Unknown job option ${JSON.stringify(key)}`);
    }
    if (changes.id !== undefined && changes.id !== id)
      throw new InvalidJobOptionError('id', 'The job ID may not be changed');
    const resolvedFunc =
      typeof changes.func === 'string' ? await this.resolveFunction(changes.func) : undefined;
    const located = await this.#findJob(id, jobstore);
    return this.#lockOf(located.alias ?? PENDING_LOCK).run(async () => {
      // Read again under the store's lock: the loop may have advanced the job meanwhile.
      const found = await this.#findJob(id, located.alias ?? jobstore);
      const state = this.#applyChanges(found.job, changes as JobChanges, resolvedFunc);
      const job = new Job(this, state, found.alias);
      if (found.store === undefined) {
        const entry = this.#pending.find((p) => p.job.id === id) as PendingJob;
        entry.job = job;
        for (const key of Object.keys(changes)) (entry.explicit as Set<string>).add(key);
      } else {
        await found.store.updateJob(job);
        this.#pendingWrites.get(found.alias as string)?.delete(id);
      }
      this.#dispatch(new JobEvent(EVENT_JOB_MODIFIED, id, found.alias));
      this.wakeup();
      return job;
    });
  }

  #applyChanges(job: Job, changes: JobChanges, resolvedFunc: JobFunction | undefined): JobState {
    const state = job.state();
    if (changes.name !== undefined) state.name = checkString('name', changes.name);
    if (changes.func !== undefined) {
      if (resolvedFunc !== undefined) {
        state.func = resolvedFunc;
        state.funcRef = this.#references.storedForm(changes.func as string, 'caller');
      } else if (typeof changes.func === 'function') {
        state.func = changes.func;
        state.funcRef = this.#taskNames.get(changes.func) ?? null;
      } else {
        throw new InvalidJobOptionError(
          'func',
          'func must be a function, a reference or a task name',
        );
      }
    }
    if (changes.args !== undefined) state.args = checkArgs(changes.args);
    if (changes.func !== undefined || changes.args !== undefined)
      checkArity(state.func, state.args, () => `Job "${state.name}" (${state.id})`);
    if (changes.trigger !== undefined) state.trigger = checkTrigger(changes.trigger);
    if (changes.executor !== undefined) {
      state.executor = checkString('executor', changes.executor);
      if (this.#state !== STATE_STOPPED && !this.#executors.has(state.executor)) {
        throw new UnknownAliasError('executor', state.executor, [...this.#executors.keys()]);
      }
    }
    if (changes.coalesce !== undefined) state.coalesce = checkBoolean('coalesce', changes.coalesce);
    if (changes.maxInstances !== undefined)
      state.maxInstances = checkPositiveInteger('maxInstances', changes.maxInstances);
    if (changes.misfireGraceTime !== undefined)
      state.misfireGraceTime = checkSecondsOrNull('misfireGraceTime', changes.misfireGraceTime);
    if (changes.timeout !== undefined)
      state.timeout = checkSecondsOrNull('timeout', changes.timeout);
    if (changes.nextRunTime !== undefined)
      state.nextRunTime = checkNextRunTime(changes.nextRunTime);
    const candidate = new Job(this, state, job.jobstore);
    const executor = this.#executors.get(state.executor);
    executor?.validateJob?.(candidate);
    return state;
  }

  /** Gives a job a new trigger (an instance, or an alias with its arguments) and its next run time from now. */
  async rescheduleJob(
    id: string,
    trigger: Trigger | TriggerAlias,
    triggerArgs: Record<string, unknown> = {},
    jobstore?: string,
  ): Promise<Job> {
    const built =
      typeof trigger === 'string'
        ? buildTrigger(trigger, triggerArgs, this.#zone.name)
        : checkTrigger(trigger);
    const nextRunTime = built.getNextFireTime(null, new Date(Date.now()));
    return this.modifyJob(id, { trigger: built, nextRunTime }, jobstore);
  }

  /** Pauses a job (its next run time becomes null). */
  pauseJob(id: string, jobstore?: string): Promise<Job> {
    return this.modifyJob(id, { nextRunTime: null }, jobstore);
  }

  /**
   * Resumes a paused job from now: runs missed while it was paused are skipped.
   * Returns null (and removes the job) when its trigger has finished.
   */
  async resumeJob(id: string, jobstore?: string): Promise<Job | null> {
    const { job } = await this.#findJob(id, jobstore);
    const next = job.trigger.getNextFireTime(null, new Date(Date.now()));
    if (next === null) {
      await this.removeJob(id, jobstore);
      return null;
    }
    return this.modifyJob(id, { nextRunTime: next }, jobstore);
  }

  /** Every job (pending jobs while stopped), per store sorted by next run time, paused last. */
  async getJobs(jobstore?: string): Promise<Job[]> {
    if (this.#state === STATE_STOPPED) {
      return this.#pending
        .filter((p) => jobstore === undefined || p.jobstore === jobstore)
        .map((p) => p.job);
    }
    const jobs: Job[] = [];
    for (const [alias, store] of this.#stores) {
      if (jobstore !== undefined && jobstore !== alias) continue;
      // The store reports the jobs it cannot restore while reading; list them as broken.
      this.#broken.get(alias)?.clear();
      // A loop, not push(...all): spreading hundreds of thousands of arguments overflows the stack.
      for (const job of await store.getAllJobs()) jobs.push(job);
      for (const failure of this.#broken.get(alias)?.values() ?? []) {
        jobs.push(brokenJob(this, failure.jobId, alias, failure.nextRunTime, failure.error));
      }
    }
    return jobs;
  }

  /** The job with this id, or null. */
  async getJob(id: string, jobstore?: string): Promise<Job | null> {
    try {
      return (await this.#findJob(id, jobstore)).job;
    } catch (error) {
      if (error instanceof JobLookupError) return null;
      throw error;
    }
  }

  async #findJob(
    id: string,
    jobstore?: string,
  ): Promise<{ job: Job; alias: string | null; store: JobStore | undefined }> {
    if (this.#state === STATE_STOPPED) {
      const entry = this.#pending.find(
        (p) => p.job.id === id && (jobstore === undefined || p.jobstore === jobstore),
      );
      if (entry === undefined) throw new JobLookupError(id);
      return { job: entry.job, alias: null, store: undefined };
    }
    for (const [alias, store] of this.#stores) {
      if (jobstore !== undefined && alias !== jobstore) continue;
      const job = await store.lookupJob(id);
      if (job !== null) return { job, alias, store };
    }
    throw new JobLookupError(id);
  }

  /** Removes a job. @throws JobLookupError when there is none. */
  async removeJob(id: string, jobstore?: string): Promise<void> {
    const alias = await this.#removeFromFirstHolder(id, jobstore);
    this.#logger.info(`Removed job ${id}`);
    this.#dispatch(new JobEvent(EVENT_JOB_REMOVED, id, alias));
  }

  /** Removes the job from the pending list or the first store that has it; returns that store's alias. */
  async #removeFromFirstHolder(id: string, jobstore?: string): Promise<string | null> {
    if (this.#state === STATE_STOPPED) {
      const index = this.#pending.findIndex(
        (p) => p.job.id === id && (jobstore === undefined || p.jobstore === jobstore),
      );
      if (index < 0) throw new JobLookupError(id);
      this.#pending.splice(index, 1);
      return null;
    }
    for (const [storeAlias, store] of this.#stores) {
      if (jobstore !== undefined && storeAlias !== jobstore) continue;
      const removed = await this.#lockOf(storeAlias).run(async () => {
        try {
          await store.removeJob(id);
          this.#pendingWrites.get(storeAlias)?.delete(id);
          return true;
        } catch (error) {
          if (error instanceof JobLookupError) return false;
          throw error;
        }
      });
      if (removed) return storeAlias;
    }
    throw new JobLookupError(id);
  }

  /** Removes every job (of one store, when given). */
  async removeAllJobs(jobstore?: string): Promise<void> {
    if (this.#state === STATE_STOPPED) {
      for (let i = this.#pending.length - 1; i >= 0; i--) {
        if (jobstore === undefined || this.#pending[i]?.jobstore === jobstore)
          this.#pending.splice(i, 1);
      }
    } else {
      for (const [alias, store] of this.#stores) {
        if (jobstore !== undefined && alias !== jobstore) continue;
        await this.#lockOf(alias).run(async () => {
          await store.removeAllJobs();
          this.#pendingWrites.delete(alias);
        });
      }
    }
    this.#dispatch(new SchedulerEvent(EVENT_ALL_JOBS_REMOVED, jobstore ?? null));
  }

  /** Prints the jobs, like APScheduler's `print_jobs`. */
  async printJobs(
    jobstore?: string,
    out: { write(text: string): unknown } = process.stdout,
  ): Promise<void> {
    const lines: string[] = [];
    if (this.#state === STATE_STOPPED) {
      lines.push('Pending jobs:');
      const pending = await this.getJobs(jobstore);
      if (pending.length === 0) lines.push('    No pending jobs');
      for (const job of pending) lines.push(`    ${String(job)}`);
    } else {
      for (const alias of [...this.#stores.keys()].sort()) {
        if (jobstore !== undefined && alias !== jobstore) continue;
        lines.push(`Jobstore ${alias}:`);
        const jobs = await (this.#stores.get(alias) as JobStore).getAllJobs();
        if (jobs.length === 0) lines.push('    No scheduled jobs');
        for (const job of jobs) lines.push(`    ${String(job)}`);
      }
    }
    out.write(`${lines.join('\n')}\n`);
  }

  /**
   * The jobs (of one store, when given) as a versioned JSON document. Every job
   * needs a textual function reference. Only while started.
   */
  async exportJobs(jobstore?: string): Promise<string> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const jobs = (await this.getJobs(jobstore)).filter((job) => !job.broken);
    const document: JobsExport = {
      version: EXPORT_VERSION,
      horariumVersion: HORARIUM_VERSION,
      jobs: jobs.map((job) => jobToDocument(job)),
    };
    return JSON.stringify(document, null, 2);
  }

  /** Adds the jobs of an `exportJobs` document to a store (no events, as in APScheduler). */
  async importJobs(document: string | JobsExport, jobstore = 'default'): Promise<Job[]> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const store = this.#stores.get(jobstore);
    if (store === undefined)
      throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys()]);
    const parsed: unknown = typeof document === 'string' ? JSON.parse(document) : document;
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !Array.isArray((parsed as JobsExport).jobs)
    ) {
      throw new InvalidJobOptionError(
        'document',
        'An import document must be an object with a "jobs" array',
      );
    }
    const { version, jobs } = parsed as JobsExport;
    if (version !== EXPORT_VERSION) {
      throw new InvalidJobOptionError(
        'document',
        `Unsupported export document version ${String(version)} (this Horarium reads version ${EXPORT_VERSION})`,
      );
    }
    const restored: Job[] = [];
    for (const entry of jobs) {
      const state = readJobDocument(entry);
      const func = await this.resolveFunction(state.funcRef, 'store');
      restored.push(new Job(this, { ...state, func }, jobstore));
    }
    await this.#lockOf(jobstore).run(async () => {
      for (const job of restored) await store.addJob(job);
    });
    this.wakeup();
    return restored;
  }

  // ------------------------------------------------------------------ the main loop

  #sleep(delay: number): void {
    this.#clearTimer();
    this.#plannedWakeAt = Date.now() + delay;
    this.#sleepStartedWall = Date.now();
    this.#sleepStartedMonotonic = performance.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#plannedWakeAt = undefined;
      void this.#tick();
    }, delay);
    if (this.#daemon) this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#plannedWakeAt = undefined;
  }

  async #tick(): Promise<void> {
    const wallElapsed = Date.now() - this.#sleepStartedWall;
    const monotonicElapsed = performance.now() - this.#sleepStartedMonotonic;
    if (Math.abs(wallElapsed - monotonicElapsed) > CLOCK_JUMP_TOLERANCE_MS) {
      this.#logger.info(
        `The wall clock jumped by ${Math.round(wallElapsed - monotonicElapsed)} ms (clock step or host suspend); re-evaluating due jobs`,
      );
    }
    if (this.#state !== STATE_RUNNING) return;
    this.#processing = true;
    this.#wakeAgain = false;
    let wait: number | null;
    try {
      wait = await this.processJobs();
    } catch (error) {
      this.#logger.error('Unexpected error while processing jobs; retrying', error);
      wait = this.#retryIntervalMs;
    } finally {
      this.#processing = false;
    }
    if (this.#state !== STATE_RUNNING) return;
    if (this.#wakeAgain) {
      this.#wakeAgain = false;
      this.#sleep(0);
      return;
    }
    // Shared stores are polled, so that jobs other processes add or change are noticed.
    const limit = [...this.#stores.values()].some((store) => store.shared === true)
      ? Math.min(MAX_SLEEP_MS, this.#pollIntervalMs)
      : MAX_SLEEP_MS;
    this.#sleep(wait === null ? limit : Math.min(wait, limit));
  }

  /**
   * One pass of the main loop over every store: plans every due job, persists
   * the next run times (or removals) of the pass, then submits the runs, and
   * returns how long to sleep (ms; null = until woken). Persisting before
   * submitting means a crash can lose a run in progress but never run it twice.
   */
  protected async processJobs(): Promise<number | null> {
    if (this.#state === STATE_PAUSED) return null;
    const now = Date.now();
    const started: Promise<void>[] = [];
    for (const [alias, store] of this.#stores) {
      // A store still busy from an earlier pass (slow or unreachable) is left to finish.
      if (this.#storesInFlight.has(alias)) continue;
      this.#storesInFlight.add(alias);
      const processed = this.#lockOf(alias)
        .run(() => this.#processStore(alias, store, now))
        .then(
          ({ wakeAt, queued }) => {
            this.#storeWakeups.set(alias, wakeAt);
            for (const event of queued) this.#dispatch(event);
          },
          (error: unknown) => {
            this.#logger.error(
              `Unexpected error while processing job store "${alias}"; retrying`,
              error,
            );
            this.#storeWakeups.set(alias, now + this.#retryIntervalMs);
          },
        )
        .finally(() => {
          this.#storesInFlight.delete(alias);
          if (this.#lateStores.delete(alias)) this.wakeup();
        });
      started.push(processed);
    }
    // Wait for the stores, but not for one that hangs: the others must keep running.
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SLOW_STORE_MS);
    });
    await Promise.race([Promise.all(started), slow]);
    clearTimeout(timer);
    let next: number | null = null;
    for (const alias of this.#stores.keys()) {
      if (this.#storesInFlight.has(alias)) {
        this.#lateStores.add(alias);
        continue;
      }
      const wakeAt = this.#storeWakeups.get(alias) ?? null;
      if (wakeAt !== null && (next === null || wakeAt < next)) next = wakeAt;
    }
    if (next === null) return null;
    return Math.max(next - Date.now(), 0);
  }

  /** One store's part of a pass; returns when the store wants the next pass, and the events to dispatch. */
  async #processStore(
    alias: string,
    store: JobStore,
    now: number,
  ): Promise<{ wakeAt: number | null; queued: SchedulerEvent[] }> {
    const queued: SchedulerEvent[] = [];
    const retryAt = now + this.#retryIntervalMs;
    // shutdown() may have begun: submit nothing more.
    if (this.#state === STATE_STOPPED) return { wakeAt: null, queued };
    if (!(await this.#flushPendingWrites(alias, store))) return { wakeAt: retryAt, queued };
    let due: Job[];
    try {
      due = await this.#bounded(alias, store, 'getDueJobs', () => store.getDueJobs(new Date(now)));
    } catch (error) {
      this.#storeFailed(alias, 'getDueJobs', error);
      return { wakeAt: retryAt, queued };
    }
    // In chunks, so that the first runs of a large burst start while later jobs are still planned.
    let chunk = FIRST_DUE_CHUNK;
    let start = 0;
    while (start < due.length && !this.#isStopped()) {
      await this.#runDueJobs(alias, store, due.slice(start, start + chunk), now, queued);
      start += chunk;
      chunk = Math.min(chunk * 2, DUE_CHUNK);
    }
    let wakeAt: number | null = null;
    try {
      const storeNext = await this.#bounded(alias, store, 'getNextRunTime', () =>
        store.getNextRunTime(),
      );
      if (storeNext !== null) wakeAt = storeNext.getTime();
    } catch (error) {
      this.#storeFailed(alias, 'getNextRunTime', error);
      wakeAt = retryAt;
    }
    if ((this.#pendingWrites.get(alias)?.size ?? 0) > 0 && (wakeAt === null || retryAt < wakeAt))
      wakeAt = retryAt;
    return { wakeAt, queued };
  }

  /** Plans, persists and submits one store's due jobs. */
  async #runDueJobs(
    alias: string,
    store: JobStore,
    due: Job[],
    now: number,
    queued: SchedulerEvent[],
  ): Promise<void> {
    const plans: DuePlan[] = [];
    const updates: Job[] = [];
    const removals: string[] = [];
    const nowDate = new Date(now);
    for (const job of due) {
      const plan = this.#plan(alias, job, now, nowDate);
      plans.push(plan);
      if (plan.updated !== null) updates.push(plan.updated);
      else removals.push(job.id);
    }
    const unsaved = await this.#persist(alias, store, updates, removals);
    for (const plan of plans) {
      if (this.#state === STATE_STOPPED) break;
      const { job } = plan;
      if (plan.executor !== undefined)
        this.#submit(alias, plan.executor, job, plan.runTimes, plan.continuation, queued);
      if (unsaved.has(job.id)) continue;
      if (plan.updated === null) this.#dispatch(new JobEvent(EVENT_JOB_REMOVED, job.id, alias));
      else if (plan.paused) this.#dispatch(new JobEvent(EVENT_JOB_MODIFIED, job.id, alias));
    }
  }

  /** What to do with one due job: its runs, and its next state (null = remove it). */
  #plan(alias: string, job: Job, now: number, nowDate: Date): DuePlan {
    const executor = this.#executors.get(job.executor);
    if (executor === undefined) {
      this.#logger.error(
        `Executor lookup ("${job.executor}") failed for job "${job.name}" (${job.id}) -- removing it from the job store`,
      );
      return { job, executor, runTimes: [], updated: null, paused: false, continuation: false };
    }
    let runs: RunPlan;
    try {
      runs = planRuns(job.trigger, job.nextRunTime as Date, now, job.coalesce, nowDate);
    } catch (error) {
      // A trigger that throws (e.g. MaxIterationsError) pauses its job instead of deleting it.
      this.#logger.error(
        `Error computing the run times of job "${job.name}" (${job.id}); pausing it`,
        error,
      );
      return {
        job,
        executor: undefined,
        runTimes: [],
        updated: job.withNextRunTime(null),
        paused: true,
        continuation: false,
      };
    }
    // A next run time that is already due means the batch was capped and continues next pass.
    const capped = runs.next !== null && runs.next.getTime() <= now;
    let continuation = false;
    if (capped || this.#splitBatches.size > 0) {
      const batchKey = `${alias}\u0000${job.id}`;
      continuation = this.#splitBatches.has(batchKey);
      if (capped) this.#splitBatches.add(batchKey);
      else if (continuation) this.#splitBatches.delete(batchKey);
    }
    return {
      job,
      executor,
      runTimes: runs.runTimes,
      updated: runs.next === null ? null : job.withNextRunTime(runs.next),
      paused: false,
      continuation,
    };
  }

  #submit(
    alias: string,
    executor: Executor,
    job: Job,
    runTimes: Date[],
    continuation: boolean,
    queued: SchedulerEvent[],
  ): void {
    try {
      executor.submitJob(job, runTimes, continuation ? { continuation } : undefined);
      if (this.#listenerMask & EVENT_JOB_SUBMITTED) {
        queued.push(new JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, runTimes));
      }
    } catch (error) {
      if (error instanceof MaxInstancesReachedError) {
        this.#logger.warn(
          `Execution of job "${job.name}" (${job.id}) skipped: maximum number of running instances reached (${job.maxInstances})`,
        );
        if (this.#listenerMask & EVENT_JOB_MAX_INSTANCES) {
          queued.push(new JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, runTimes));
        }
      } else {
        this.#logger.error(
          `Error submitting job "${job.name}" (${job.id}) to executor "${job.executor}"`,
          error,
        );
      }
    }
  }

  /**
   * Persists a pass's updates and removals (in one call each when the store
   * has batch methods). Writes that fail are kept and retried before the
   * store's jobs are processed again; their ids are returned. Jobs that were
   * removed meanwhile need no write.
   */
  async #persist(
    alias: string,
    store: JobStore,
    updates: Job[],
    removals: string[],
  ): Promise<Set<string>> {
    const unsaved = new Set<string>();
    if (updates.length > 0) {
      if (store.updateJobs !== undefined) {
        try {
          await this.#bounded(alias, store, 'updateJobs', () =>
            (store.updateJobs as (jobs: Job[]) => Promise<string[]>).call(store, updates),
          );
        } catch (error) {
          for (const job of updates) {
            this.#deferWrite(alias, job.id, { kind: 'update', job });
            unsaved.add(job.id);
          }
          this.#storeFailed(alias, 'updateJobs', error);
        }
      } else {
        for (const job of updates) {
          try {
            await this.#bounded(alias, store, 'updateJob', () => store.updateJob(job));
          } catch (error) {
            if (error instanceof JobLookupError) continue;
            this.#deferWrite(alias, job.id, { kind: 'update', job });
            unsaved.add(job.id);
            this.#storeFailed(alias, 'updateJob', error, job.id);
          }
        }
      }
    }
    if (removals.length > 0) {
      if (store.removeJobs !== undefined) {
        try {
          await this.#bounded(alias, store, 'removeJobs', () =>
            (store.removeJobs as (ids: string[]) => Promise<string[]>).call(store, removals),
          );
        } catch (error) {
          for (const id of removals) {
            this.#deferWrite(alias, id, { kind: 'remove' });
            unsaved.add(id);
          }
          this.#storeFailed(alias, 'removeJobs', error);
        }
      } else {
        for (const id of removals) {
          try {
            await this.#bounded(alias, store, 'removeJob', () => store.removeJob(id));
          } catch (error) {
            if (error instanceof JobLookupError) continue;
            this.#deferWrite(alias, id, { kind: 'remove' });
            unsaved.add(id);
            this.#storeFailed(alias, 'removeJob', error, id);
          }
        }
      }
    }
    return unsaved;
  }

  #deferWrite(alias: string, id: string, write: PendingWrite): void {
    let writes = this.#pendingWrites.get(alias);
    if (writes === undefined) {
      writes = new Map();
      this.#pendingWrites.set(alias, writes);
    }
    writes.set(id, write);
  }

  /**
   * Retries writes the loop could not persist. Until they succeed the store's
   * due jobs are not processed, since the store still holds run times that were
   * already submitted (processing them again would run them twice).
   */
  async #flushPendingWrites(alias: string, store: JobStore): Promise<boolean> {
    const writes = this.#pendingWrites.get(alias);
    if (writes === undefined || writes.size === 0) return true;
    for (const [id, write] of [...writes]) {
      try {
        if (write.kind === 'update')
          await this.#bounded(alias, store, 'updateJob', () => store.updateJob(write.job));
        else await this.#bounded(alias, store, 'removeJob', () => store.removeJob(id));
        writes.delete(id);
        if (write.kind === 'remove') this.#dispatch(new JobEvent(EVENT_JOB_REMOVED, id, alias));
      } catch (error) {
        if (error instanceof JobLookupError) {
          writes.delete(id);
          continue;
        }
        this.#storeFailed(alias, write.kind === 'update' ? 'updateJob' : 'removeJob', error, id);
        return false;
      }
    }
    return true;
  }

  #storeFailed(
    alias: string,
    operation: string,
    error: unknown,
    jobId: string | null = null,
  ): void {
    this.#logger.warn(
      `Job store "${alias}" failed in ${operation}${jobId === null ? '' : ` (job ${jobId})`}; retrying in ${this.#retryIntervalMs / 1000} s`,
      error,
    );
    this.#dispatch(new JobStoreErrorEvent(alias, operation, error, jobId));
  }
}
