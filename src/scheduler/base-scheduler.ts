/**
 * The scheduler: a facade over its parts. It owns the lifecycle and the
 * public API, and delegates the rest — one `ManagedStore` per job store (lock,
 * time limits, failed writes), the main loop (`loop/`), the listeners, the
 * task registry, the pending jobs and job building. `AsyncScheduler`,
 * `BackgroundScheduler` and `BlockingScheduler` only differ in how they keep
 * the process alive (see schedulers.ts).
 */

import type { ExclusionCalendar } from '../calendars/calendar.ts';
import {
  EVENT_ALL,
  EVENT_ALL_JOBS_REMOVED,
  EVENT_EXECUTOR_ADDED,
  EVENT_EXECUTOR_REMOVED,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOBSTORE_ADDED,
  EVENT_JOBSTORE_REMOVED,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  type EventForMask,
  JobEvent,
  SchedulerEvent,
  type SchedulerEventListener,
} from '../events.ts';
import { AsyncExecutor } from '../executors/async/async-executor.ts';
import {
  type Executor,
  type ExecutorContext,
  JobCancelledError,
  type ShutdownOptions,
} from '../executors/executor.ts';
import { InvalidJobOptionError } from '../jobs/errors.ts';
import { Job, type JobChanges, type JobFunction, type JobOwner } from '../jobs/job.ts';
import {
  builtInJobDefaults,
  type DefaultableSetting,
  type JobSettings,
} from '../jobs/job-fields.ts';
import { CHANGE_KEYS, checkTrigger } from '../jobs/options.ts';
import { type ReferenceOrigin, ReferencePolicy } from '../jobs/reference-policy.ts';
import { readJobDocument } from '../jobs/serialization.ts';
import { defaultLogger, type Logger } from '../logging.ts';
import { JobLookupError } from '../stores/errors.ts';
import { MemoryJobStore } from '../stores/memory/memory-store.ts';
import type { JobStore } from '../stores/store.ts';
import type { DateInput } from '../time/parse.ts';
import { getZone, localZoneName, type Zone } from '../time/zone.ts';
import type { Trigger } from '../triggers/trigger.ts';
import type { Explanation } from './history/explain.ts';
import {
  type ExplainCallOptions,
  explainJob,
  type FiresPage,
  type GetFiresOptions,
  readFires,
} from './history/fire-history.ts';
import './builtins.ts';
import { ClusterNodes, type NodeInfo } from './cluster/cluster-nodes.ts';
import {
  type FlatConfig,
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
import { type RetentionSettings, retentionSettings } from './history/retention-options.ts';
import {
  applyChanges,
  firstRunTime,
  forJob,
  type JobBuildContext,
  type PreparedJob,
} from './job-builder.ts';
import { modificationKinds } from './job-change-recorder.ts';
import { JobIntake } from './job-intake.ts';
import { JobLocations } from './job-locations.ts';
import type {
  AddJobOptionsArgument,
  BaseJobOptions,
  StartOptions,
  TriggerArgs,
  TriggerArgument,
} from './job-options.ts';
import { type JobsExport, readJobsExport, writeJobsExport } from './jobs-export.ts';
import { Listeners } from './listeners.ts';
import { MainLoop } from './loop/main-loop.ts';
import { type PassHost, processStores } from './loop/store-pass.ts';
import { JobStoreStartError, ManagedStore, type StoreHost } from './managed-store.ts';
import { PendingJobs } from './pending-jobs.ts';
import { createExecutor, createJobStore } from './plugins.ts';
import {
  type AddCalendarOptions,
  type RemoveCalendarOptions,
  SchedulerCalendars,
} from './scheduler-calendars.ts';
import { TaskRegistry } from './tasks.ts';
import { buildTrigger, type TriggerAlias, type TriggerArgsByAlias } from './trigger-aliases.ts';

/** `scheduler.state` before `start()` and after `shutdown()`. */
export const STATE_STOPPED = 0;
/** `scheduler.state` while the scheduler runs jobs. */
export const STATE_RUNNING = 1;
/** `scheduler.state` after `pause()` (or `start({ paused: true })`): jobs can be changed, none runs. */
export const STATE_PAUSED = 2;
/** What `scheduler.state` can be: {@link STATE_STOPPED}, {@link STATE_RUNNING} or {@link STATE_PAUSED}. */
export type SchedulerState = typeof STATE_STOPPED | typeof STATE_RUNNING | typeof STATE_PAUSED;

/**
 * The scheduler: it keeps jobs in its job stores, runs each at the times its
 * trigger gives through its executor, and reports what happens as events.
 * Use one of its subclasses, which differ only in how they live in a process:
 * `AsyncScheduler` (keeps the process alive until `shutdown()`),
 * `BackgroundScheduler` (does not) and `BlockingScheduler` (`start()` returns
 * after `shutdown()`).
 *
 * Jobs added before `start()` are pending: checked at once, stored when the
 * scheduler starts. Every method that touches a store returns a promise.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   jobstores: { default: { type: 'sql', url: 'sqlite:jobs.sqlite' } },
 *   jobDefaults: { coalesce: true, maxInstances: 1 },
 * });
 * scheduler.addListener((event) => console.log(eventName(event.code)), EVENT_JOB_ERROR);
 * await scheduler.addJob('./jobs/report.js:send', 'cron', { id: 'nightly-report', hour: 3 });
 * await scheduler.start();
 * ```
 */
/** The started stores of a scheduler, by alias (see {@link schedulerStores}). */
let storesOf: (scheduler: BaseScheduler) => ReadonlyMap<string, ManagedStore>;

/**
 * The stores of a scheduler, by alias, for the modules that read a running
 * scheduler's stores directly (`horarium/dashboard` lists jobs a page at a
 * time through them). Not part of the package's API.
 * @internal
 */
export function schedulerStores(scheduler: BaseScheduler): ReadonlyMap<string, ManagedStore> {
  return storesOf(scheduler);
}

export class BaseScheduler implements JobOwner {
  static {
    storesOf = (scheduler) => scheduler.#stores;
  }

  #state: SchedulerState = STATE_STOPPED;
  #starting: Promise<void> | undefined;
  #zone: Zone;
  #logger: Logger = defaultLogger;
  #jobDefaults: Pick<JobSettings, DefaultableSetting> = builtInJobDefaults();
  #retryIntervalMs = 10_000;
  #storeStartTimeoutMs = 10_000;
  #requireJobstores = false;
  #pollIntervalMs = 5000;
  #retention: RetentionSettings = retentionSettings();
  /** When the scheduler last began processing jobs (start without pause, or resume), epoch ms. */
  #processingSince = 0;
  readonly #stores = new Map<string, ManagedStore>();
  readonly #executors = new Map<string, Executor>();
  readonly #listeners = new Listeners(() => this.#logger);
  readonly #tasks = new TaskRegistry();
  /** Which modules job references may load (`jobReferences`); checked before any import. */
  #references = new ReferencePolicy();
  readonly #pending = new PendingJobs();
  readonly #jobs = new JobLocations(
    this.#stores,
    this.#pending,
    () => this.#state === STATE_STOPPED,
  );
  readonly #loop: MainLoop;
  readonly #intake: JobIntake;
  readonly #storeHost: StoreHost;
  readonly #passHost: PassHost;
  /** This scheduler as a node of each store it shares with other schedulers. */
  readonly #cluster: ClusterNodes;
  #stopped: { promise: Promise<void>; resolve: () => void } | undefined;

  readonly #executorContext: ExecutorContext = {
    logger: defaultLogger,
    now: () => Date.now(),
    dispatch: (event) => this.#listeners.dispatch(event),
    wants: (mask) => this.#listeners.wants(mask),
    moduleUrl: (specifier) => this.#references.moduleUrl(specifier),
    fireChanged: (change) => this.#cluster.fireChanged(change),
    scheduler: this,
  };

  readonly #buildContext: JobBuildContext = {
    owner: this,
    zone: () => this.#zone,
    jobDefaults: () => this.#jobDefaults,
    taskName: (func) => this.#tasks.nameOf(func),
    storedReference: (reference) => this.#references.storedForm(reference, 'caller'),
    checkTargets: (jobstore, executor) => this.#checkTargets(jobstore, executor),
    checkExecutor: (executor) => {
      if (this.#state !== STATE_STOPPED && !this.#executors.has(executor))
        throw new UnknownAliasError('executor', executor, [...this.#executors.keys()]);
    },
    executor: (alias) => this.#executors.get(alias),
  };

  /**
   * @param config Structured, or flat (`'horarium.'`-prefixed keys); see {@link BaseScheduler.configure}.
   * @param daemon The default of `daemon`: unref the scheduler's timers.
   * @throws ConfigurationError naming the key of a value it cannot use.
   */
  constructor(config: SchedulerConfig | FlatConfig = {}, daemon = false) {
    this.#zone = getZone(localZoneName());
    // The loop, the passes and the stores read the settings live: configure() may change them.
    const scheduler = this;
    this.#storeHost = {
      get logger() {
        return scheduler.#logger;
      },
      get retryIntervalMs() {
        return scheduler.#retryIntervalMs;
      },
      dispatch: (event) => this.#listeners.dispatch(event),
      restoreJob: (alias, document) => this.#restoreJob(alias, document),
      storeStarted: (managed) => this.#storeCameUp(managed),
      nodeId: () => this.#cluster.settings.nodeId,
      scheduler: this,
    };
    this.#cluster = new ClusterNodes({
      get logger() {
        return scheduler.#logger;
      },
      get retryIntervalMs() {
        return scheduler.#retryIntervalMs;
      },
      executor: (alias) => this.#executors.get(alias),
      isProcessing: () => this.#state === STATE_RUNNING,
      dispatch: (event) => this.#listeners.dispatch(event),
      wants: (mask) => this.#listeners.wants(mask),
      store: (alias) => this.#stores.get(alias),
      wakeup: () => this.wakeup(),
      scheduler: this,
      retention: () => this.#retention,
    });
    this.#passHost = {
      get logger() {
        return scheduler.#logger;
      },
      get retryIntervalMs() {
        return scheduler.#retryIntervalMs;
      },
      isRunning: () => this.#state !== STATE_STOPPED,
      stores: () => this.#stores.values(),
      executor: (alias) => this.#executors.get(alias),
      dispatch: (event) => this.#listeners.dispatch(event),
      wants: (mask) => this.#listeners.wants(mask),
      wakeup: () => this.wakeup(),
      processingSince: () => this.#processingSince,
      joinedNode: (managed) => this.#cluster.joined(managed),
      overlapRefused: (job, runTimes, ring, fires) =>
        this.#cluster.overlapRefused(job, runTimes, ring, fires),
      get nodeId() {
        return scheduler.#cluster.settings.nodeId;
      },
      scheduler: this,
    };
    this.#loop = new MainLoop(
      {
        get logger() {
          return scheduler.#logger;
        },
        get retryIntervalMs() {
          return scheduler.#retryIntervalMs;
        },
        get pollIntervalMs() {
          return scheduler.#pollIntervalMs;
        },
        isProcessing: () => this.#state === STATE_RUNNING,
        hasSharedStore: () => {
          for (const managed of this.#stores.values()) if (managed.shared) return true;
          return false;
        },
        processJobs: () => this.processJobs(),
      },
      daemon,
    );
    this.#intake = new JobIntake({
      owner: this,
      build: this.#buildContext,
      stores: this.#stores,
      locations: this.#jobs,
      pending: this.#pending,
      listeners: this.#listeners,
      logger: () => this.#logger,
      jobDefaults: () => this.#jobDefaults,
      wakeFor: (time) => this.#loop.wakeFor(time),
      includedRunTime: (job, jobstore, first) =>
        this.#calendars.includedRunTime(job, jobstore, first),
    });
    this.configure(config);
  }

  // ------------------------------------------------------------------ state

  /** `STATE_STOPPED`, `STATE_RUNNING` or `STATE_PAUSED`. */
  get state(): SchedulerState {
    return this.#state;
  }

  /** True unless the scheduler is stopped. */
  get running(): boolean {
    return this.#state !== STATE_STOPPED;
  }

  /**
   * The scheduler's zone: the default for triggers created from aliases, and
   * the zone jobs print their run times in. Public as `timezone` (its name).
   * @internal
   */
  get zone(): Zone {
    return this.#zone;
  }

  /**
   * The name of the scheduler's zone (the `timezone` option, by default the
   * host's zone): the zone of triggers built from aliases and of printed times.
   */
  get timezone(): string {
    return this.#zone.name;
  }

  /**
   * This scheduler's node id (`cluster.nodeId`; generated as
   * `hostname-pid-random` unless configured): its name in the ledger of a
   * shared store, in `getNodes()`, and in the contexts of the `horarium:*`
   * diagnostics channels, whose `scheduler` is this object.
   */
  get nodeId(): string {
    return this.#cluster.settings.nodeId;
  }

  /** The logger the scheduler and its stores and executors write to (`logger` option). */
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
    if (normalized.jobstoreStartTimeout !== undefined)
      this.#storeStartTimeoutMs = normalized.jobstoreStartTimeout * 1000;
    if (normalized.requireJobstores !== undefined)
      this.#requireJobstores = normalized.requireJobstores;
    if (normalized.daemon !== undefined) this.#loop.daemon = normalized.daemon;
    if (normalized.storePollInterval !== undefined)
      this.#pollIntervalMs = normalized.storePollInterval * 1000;
    if (normalized.jobReferences !== undefined)
      this.#references = new ReferencePolicy(normalized.jobReferences);
    if (normalized.cluster !== undefined) this.#cluster.configure(normalized.cluster);
    if (normalized.history !== undefined) this.#retention = retentionSettings(normalized.history);
    for (const [alias, entry] of Object.entries(normalized.executors ?? {})) {
      this.#executors.set(alias, createExecutor(alias, entry));
      this.#listeners.dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, alias));
    }
    for (const [alias, entry] of Object.entries(normalized.jobstores ?? {})) {
      this.#stores.set(alias, this.#manage(alias, createJobStore(alias, entry)));
      this.#listeners.dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, alias));
    }
  }

  #manage(alias: string, store: JobStore): ManagedStore {
    return new ManagedStore(alias, store, this.#storeHost);
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
      this.#listeners.dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, 'default'));
    }
    if (!this.#stores.has('default')) {
      this.#stores.set('default', this.#manage('default', new MemoryJobStore()));
      this.#listeners.dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, 'default'));
    }
    this.#cluster.checkStores(this.#stores.values());
    const startedExecutors: Executor[] = [];
    try {
      for (const [alias, executor] of this.#executors) {
        await executor.start(this.#executorContext, alias);
        startedExecutors.push(executor);
      }
      await this.#startStores();
      await this.#cluster.joinAll(this.#stores.values());
      for (const managed of this.#stores.values())
        if (managed.available) await this.#calendars.savePending(managed.alias);
      await this.#intake.storePendingOfStartedStores();
    } catch (error) {
      // Leave nothing half-started: the scheduler stays stopped and can be started again.
      await Promise.allSettled(startedExecutors.map((e) => e.shutdown({ wait: false })));
      await Promise.allSettled([...this.#stores.values()].map((managed) => managed.stop()));
      throw error;
    }
    let resolveStopped: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      resolveStopped = resolve;
    });
    this.#stopped = { promise: stopped, resolve: resolveStopped };
    this.#state = paused ? STATE_PAUSED : STATE_RUNNING;
    this.#processingSince = Date.now();
    this.#logger.info('Scheduler started');
    this.#listeners.dispatch(new SchedulerEvent(EVENT_SCHEDULER_STARTED));
    if (!paused) this.wakeup();
  }

  /**
   * Starts every store at once, each bounded by `jobstoreStartTimeout`. A store
   * that cannot start fails `start()` with `requireJobstores`; otherwise it is
   * reported and retried every `jobstoreRetryInterval` while the others run,
   * and the jobs added for it before `start()` wait until it has started.
   */
  async #startStores(): Promise<void> {
    const stores = [...this.#stores.values()];
    const outcomes = await Promise.allSettled(
      stores.map((managed) => managed.start(this.#storeStartTimeoutMs)),
    );
    const failures: { managed: ManagedStore; error: unknown }[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected')
        failures.push({ managed: stores[i] as ManagedStore, error: outcome.reason });
    });
    if (failures.length === 0) return;
    if (this.#requireJobstores) {
      const [{ managed, error }] = failures as [(typeof failures)[0]];
      throw new JobStoreStartError(managed.alias, error);
    }
    for (const { managed, error } of failures) {
      managed.reportFailure('start', error);
      managed.retryStart(this.#retryIntervalMs, this.#storeStartTimeoutMs);
    }
  }

  /** A store that could not start has started: the jobs waiting for it are stored, the loop looks at it. */
  #storeCameUp(managed: ManagedStore): void {
    if (this.#state === STATE_STOPPED || !managed.available) return;
    this.#logger.info(`Job store "${managed.alias}" has started`);
    void this.#intake.storePendingOf(managed).then(() => this.wakeup());
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
    this.#loop.stop();
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
    this.#cluster.stopLocalRetries();
    // The runs are over: their outcomes are written and the claims given back, so peers take over at once.
    await Promise.all([...this.#stores.values()].map((managed) => this.#cluster.leave(managed)));
    for (const managed of this.#stores.values()) await managed.stop();
    this.#logger.info('Scheduler has been shut down');
    this.#listeners.dispatch(new SchedulerEvent(EVENT_SCHEDULER_SHUTDOWN));
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
      this.#loop.stop();
      this.#logger.info('Paused scheduler job processing');
      this.#listeners.dispatch(new SchedulerEvent(EVENT_SCHEDULER_PAUSED));
    }
  }

  /** Resumes job processing; runs missed while paused are handled by the misfire rules. */
  resume(): void {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    if (this.#state === STATE_PAUSED) {
      this.#state = STATE_RUNNING;
      this.#processingSince = Date.now();
      this.#logger.info('Resumed scheduler job processing');
      this.#listeners.dispatch(new SchedulerEvent(EVENT_SCHEDULER_RESUMED));
      this.wakeup();
    }
  }

  /** Asks the loop to look for due jobs now. */
  wakeup(): void {
    this.#loop.wakeup();
  }

  /**
   * One pass of the main loop over every store (see `loop/store-pass.ts`);
   * returns how long to sleep (ms; null = until woken).
   */
  protected processJobs(): Promise<number | null> {
    if (this.#state === STATE_PAUSED) return Promise.resolve(null);
    return processStores(this.#passHost);
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
    this.#listeners.dispatch(new SchedulerEvent(EVENT_EXECUTOR_ADDED, alias));
  }

  /** Removes an executor, shutting it down (waiting for its jobs) unless `shutdown` is false. */
  async removeExecutor(alias: string, shutdown = true): Promise<void> {
    const executor = this.#executors.get(alias);
    if (executor === undefined)
      throw new UnknownAliasError('executor', alias, [...this.#executors.keys()]);
    this.#executors.delete(alias);
    if (shutdown) await executor.shutdown({ wait: true });
    this.#listeners.dispatch(new SchedulerEvent(EVENT_EXECUTOR_REMOVED, alias));
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
    const managed = this.#manage(alias, store);
    if (this.#state !== STATE_STOPPED) await managed.start(this.#storeStartTimeoutMs);
    this.#stores.set(alias, managed);
    this.#listeners.dispatch(new SchedulerEvent(EVENT_JOBSTORE_ADDED, alias));
    this.wakeup();
  }

  /** Removes a job store; its jobs stay in the backend. */
  async removeJobstore(alias: string, shutdown = true): Promise<void> {
    const managed = this.#stores.get(alias);
    if (managed === undefined)
      throw new UnknownAliasError('jobstore', alias, [...this.#stores.keys()]);
    this.#stores.delete(alias);
    await this.#cluster.leave(managed);
    if (shutdown) await managed.stop();
    this.#listeners.dispatch(new SchedulerEvent(EVENT_JOBSTORE_REMOVED, alias));
  }

  /**
   * A stored job as this scheduler can run it. A job whose executor is not
   * configured here cannot be restored: its store keeps it and reports it (a
   * renamed or mistyped executor must never cost a stored job).
   */
  async #restoreJob(alias: string, document: unknown): Promise<Job> {
    const state = readJobDocument(document);
    if (!this.#executors.has(state.executor))
      throw new UnknownAliasError('executor', state.executor, [...this.#executors.keys()]);
    const func = await this.resolveFunction(state.funcRef, 'store');
    return new Job(this, { ...state, func }, alias);
  }

  #checkTargets(jobstore: string, executor: string): void {
    if (this.#state !== STATE_STOPPED) {
      if (!this.#stores.has(jobstore))
        throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys()]);
      if (!this.#executors.has(executor))
        throw new UnknownAliasError('executor', executor, [...this.#executors.keys()]);
      return;
    }
    // Before start(), 'default' is always available: start() creates what is missing.
    if (jobstore !== 'default' && !this.#stores.has(jobstore))
      throw new UnknownAliasError('jobstore', jobstore, [...this.#stores.keys(), 'default']);
    if (executor !== 'default' && !this.#executors.has(executor))
      throw new UnknownAliasError('executor', executor, [...this.#executors.keys(), 'default']);
  }

  // ------------------------------------------------------------------ listeners and tasks

  /**
   * Calls `callback` for every event whose code is in `mask` (default: every
   * event). For a mask of one code the event has that code's class
   * (`EVENT_JOB_ERROR`: a `JobExecutionEvent`); for any other mask it is an
   * `AnySchedulerEvent`, whose class-specific fields are optional. See
   * {@link EventForMask}.
   */
  addListener<M extends number = number>(
    callback: SchedulerEventListener<EventForMask<M>>,
    mask?: M,
  ): void;
  addListener(callback: SchedulerEventListener, mask: number = EVENT_ALL): void {
    this.#listeners.add(callback, mask);
  }

  removeListener<E extends SchedulerEvent>(callback: SchedulerEventListener<E>): void;
  removeListener(callback: SchedulerEventListener): void {
    this.#listeners.remove(callback);
  }

  /**
   * Registers a function under a name. A job added with that name (a string
   * without a colon) is stored by the name, and a persistent store restores it
   * when the application registers the name again.
   */
  registerTask(name: string, func: JobFunction): void {
    this.#tasks.register(name, func);
  }

  /**
   * Resolves a textual reference or task name to its function, importing a
   * module only when the reference rules (`jobReferences`) allow it. A
   * relative reference from the application (`origin` `'caller'`) is relative
   * to the working directory; one read from a store, to the application root.
   */
  resolveFunction(reference: string, origin: ReferenceOrigin = 'caller'): Promise<JobFunction> {
    return this.#tasks.resolve(reference, (ref) => this.#references.resolve(ref, origin));
  }

  // ------------------------------------------------------------------ adding jobs

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
  addJob<F extends JobFunction | string, T extends TriggerArgument = undefined>(
    func: F,
    trigger?: T,
    ...options: AddJobOptionsArgument<F, T>
  ): Promise<F extends JobFunction ? Job<Parameters<F>> : Job>;
  addJob(
    func: JobFunction | string,
    trigger?: Trigger | string | null,
    options?: object,
  ): Promise<Job> {
    // A function added to a running scheduler is validated and, when its store
    // can take it synchronously, added before this returns: no promise round trips.
    if (typeof func === 'function' && this.#starting === undefined && this.#isRunning()) {
      try {
        const prepared = this.#intake.prepare(func, trigger, options);
        // A job with a calendar is checked against its store's calendars first (asynchronously).
        if (prepared.state.calendar != null)
          return this.#calendars
            .checkJobCalendar(prepared.state.calendar, prepared.jobstore)
            .then(() => this.#intake.store(prepared));
        const added = this.#intake.storeNow(prepared);
        if (added !== undefined) return Promise.resolve(added);
        return this.#intake.store(prepared);
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
    let prepared: PreparedJob;
    if (typeof func === 'string') {
      const resolved = await this.resolveFunction(func);
      prepared = this.#intake.prepare(
        resolved,
        trigger,
        options,
        this.#references.storedForm(func, 'caller'),
      );
    } else if (typeof func === 'function') {
      prepared = this.#intake.prepare(func, trigger, options);
    } else {
      throw new InvalidJobOptionError(
        'func',
        `func must be a function, a 'module:export' reference or a task name, got ${typeof func}`,
      );
    }
    if (this.#starting !== undefined) await this.#starting.catch(() => {});
    await this.#calendars.checkJobCalendar(prepared.state.calendar, prepared.jobstore);
    if (this.#state === STATE_STOPPED) return this.#intake.addPending(prepared);
    return this.#intake.store(prepared);
  }

  // ------------------------------------------------------------------ calendars

  readonly #calendars: SchedulerCalendars = new SchedulerCalendars({
    logger: {
      debug: (...a) => this.#logger.debug(...a),
      info: (...a) => this.#logger.info(...a),
      warn: (...a) => this.#logger.warn(...a),
      error: (...a) => this.#logger.error(...a),
    },
    isStopped: () => this.#state === STATE_STOPPED,
    storeStarted: (alias) => this.#stores.get(alias)?.available === true,
    store: (alias) => this.#jobs.store(alias).store,
    jobs: (alias) => this.getJobs(alias),
    setNextRunTime: async (job, next) => {
      await this.modifyJob(job.id, { nextRunTime: next }, job.jobstore ?? undefined);
    },
  });

  /**
   * Saves a named exclusion calendar in a job store, where every scheduler
   * sharing the store reads it; jobs name it with the option `calendar`.
   * Before `start()` it is kept and saved when the store starts.
   *
   * @throws CalendarConflictError when the name is taken (without `replaceExisting`)
   * @example
   * ```ts
   * await scheduler.addCalendar('holidays', new HolidayCalendar({ dates: ['2026-12-25'], timezone: 'Europe/Berlin' }));
   * await scheduler.addJob(report, 'cron', { hour: 9, calendar: 'holidays' });
   * ```
   */
  addCalendar(
    name: string,
    calendar: ExclusionCalendar,
    options?: AddCalendarOptions,
  ): Promise<void> {
    return this.#calendars.add(name, calendar, options);
  }

  /**
   * Removes a named calendar. Refused while jobs use it, unless `force`: the
   * jobs are then paused at their next fire (their calendar is gone).
   * @throws CalendarConflictError
   */
  removeCalendar(name: string, options?: RemoveCalendarOptions): Promise<void> {
    return this.#calendars.remove(name, options);
  }

  /** The calendars of a job store (default `'default'`), by name. */
  getCalendars(jobstore?: string): Promise<Map<string, ExclusionCalendar>> {
    return this.#calendars.list(jobstore);
  }

  /**
   * A decorator-style wrapper: `scheduledJob('cron', { hour: 3, id: 'x' })(fn)`
   * adds `fn` with `replaceExisting: true` and returns `fn` unchanged. Invalid
   * options throw at once; a store failure while running is logged.
   */
  scheduledJob<T extends TriggerArgument = undefined>(
    trigger?: T,
    options?: BaseJobOptions & { args?: unknown[] } & TriggerArgs<T>,
  ): <F extends JobFunction>(func: F) => F;
  scheduledJob(
    trigger?: Trigger | string | null,
    options: object = {},
  ): <F extends JobFunction>(func: F) => F {
    return <F extends JobFunction>(func: F): F => {
      if (typeof func !== 'function')
        throw new InvalidJobOptionError('func', 'scheduledJob wraps a function');
      const prepared = this.#intake.prepare(func, trigger, { ...options, replaceExisting: true });
      // A job its store could never hold fails here, in the caller's hands, not in the background.
      this.#intake.checkStorable(prepared);
      if (this.#state === STATE_STOPPED && this.#starting === undefined) {
        this.#intake.addPending(prepared);
        return func;
      }
      const add = async (): Promise<void> => {
        if (this.#starting !== undefined) await this.#starting.catch(() => {});
        if (this.#state === STATE_STOPPED) this.#intake.addPending(prepared);
        else await this.#intake.store(prepared);
      };
      add().catch((error: unknown) =>
        this.#logger.error(`scheduledJob could not add job "${prepared.state.id}"`, error),
      );
      return func;
    };
  }

  // ------------------------------------------------------------------ changing jobs

  /**
   * Changes a job (all or nothing); the id cannot change. The job returned is
   * typed by the `args` given (`modifyJob<[number, string]>(id, …)` checks them).
   */
  modifyJob<A extends unknown[] | [] = unknown[]>(
    id: string,
    changes: JobChanges<A> & { id?: string },
    jobstore?: string,
  ): Promise<Job<A>>;
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
    const located = await this.#jobs.find(id, jobstore);
    return this.#jobs.lockOf(located).run(async () => {
      // Read again under the lock: the loop may have advanced the job meanwhile.
      const found = await this.#jobs.find(id, located.managed?.alias ?? jobstore);
      const state = applyChanges(
        this.#buildContext,
        found.job,
        changes as JobChanges,
        resolvedFunc,
      );
      const alias = found.managed?.alias ?? null;
      const job = new Job(this, state, alias);
      const keys = Object.keys(changes);
      await this.#jobs.replace(found, job, keys, modificationKinds(found.job, job, keys));
      this.#listeners.dispatch(new JobEvent(EVENT_JOB_MODIFIED, id, alias));
      this.wakeup();
      return job;
    });
  }

  /** Gives a job a new trigger (an instance, or an alias with its arguments) and its next run time from now. */
  rescheduleJob<T extends TriggerAlias | Trigger>(
    id: string,
    trigger: T,
    triggerArgs?: T extends TriggerAlias ? TriggerArgsByAlias[T] : undefined,
    jobstore?: string,
  ): Promise<Job>;
  async rescheduleJob(
    id: string,
    trigger: Trigger | TriggerAlias,
    triggerArgs: Record<string, unknown> = {},
    jobstore?: string,
  ): Promise<Job> {
    const built = forJob(
      typeof trigger === 'string'
        ? buildTrigger(trigger, triggerArgs, this.#zone.name)
        : checkTrigger(trigger),
      id,
    );
    const first = firstRunTime(built, Date.now());
    const { job } = await this.#jobs.find(id, jobstore);
    const nextRunTime = await this.#calendars.includedRunTime(
      { id, name: job.name, trigger: built, calendar: job.calendar },
      job.jobstore ?? jobstore ?? 'default',
      first,
    );
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
    const { job } = await this.#jobs.find(id, jobstore);
    const first = job.trigger.getNextFireTime(null, new Date(Date.now()));
    if (first === null) {
      await this.removeJob(id, jobstore);
      return null;
    }
    // A calendar that excludes every fire time left keeps the job paused (logged).
    const next = await this.#calendars.includedRunTime(
      job,
      job.jobstore ?? jobstore ?? 'default',
      first,
    );
    return this.modifyJob(id, { nextRunTime: next }, jobstore);
  }

  // ------------------------------------------------------------------ reading and removing jobs

  /** Every job (pending jobs while stopped), per store sorted by next run time, paused last. */
  getJobs(jobstore?: string): Promise<Job[]> {
    return this.#jobs.list(this, jobstore);
  }

  /** The job with this id, or null. */
  async getJob(id: string, jobstore?: string): Promise<Job | null> {
    try {
      return (await this.#jobs.find(id, jobstore)).job;
    } catch (error) {
      if (error instanceof JobLookupError) return null;
      throw error;
    }
  }

  /** Removes a job. @throws JobLookupError when there is none. */
  async removeJob(id: string, jobstore?: string): Promise<void> {
    const alias = await this.#jobs.remove(id, jobstore);
    this.#logger.info(`Removed job ${id}`);
    this.#listeners.dispatch(new JobEvent(EVENT_JOB_REMOVED, id, alias));
  }

  /** Removes every job (of one store, when given). */
  async removeAllJobs(jobstore?: string): Promise<void> {
    await this.#jobs.removeAll(jobstore);
    this.#listeners.dispatch(new SchedulerEvent(EVENT_ALL_JOBS_REMOVED, jobstore ?? null));
  }

  /** Prints the jobs, like APScheduler's `print_jobs`. */
  async printJobs(
    jobstore?: string,
    out: { write(text: string): unknown } = process.stdout,
  ): Promise<void> {
    out.write(`${(await this.#jobs.listing(jobstore)).join('\n')}\n`);
  }

  /**
   * The jobs (of one store, when given) as a versioned JSON document. Every job
   * needs a textual function reference. Only while started.
   */
  async exportJobs(jobstore?: string): Promise<string> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    return writeJobsExport((await this.getJobs(jobstore)).filter((job) => !job.broken));
  }

  /** Adds the jobs of an `exportJobs` document to a store (no events, as in APScheduler). */
  async importJobs(document: string | JobsExport, jobstore = 'default'): Promise<Job[]> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const managed = this.#jobs.store(jobstore);
    managed.requireAvailable();
    const restored: Job[] = [];
    for (const entry of readJobsExport(document)) {
      restored.push(await this.#restoreJob(jobstore, entry));
    }
    await managed.lock.run(async () => {
      for (const job of restored) {
        await managed.traced('addJob', () => managed.store.addJob(job), job.id);
        const { changes } = managed;
        if (changes !== undefined) await changes.record([changes.changeOf('added', job)]);
      }
    });
    this.wakeup();
    return restored;
  }

  // ------------------------------------------------------------------ schedulers sharing a store

  /**
   * The schedulers (nodes) sharing a store, most recent check-in first: node
   * id, host, pid, version, when each started, when it last checked in (by
   * the store's clock) and its clock's skew from the store's. A store no
   * other scheduler can share (the memory store) lists this scheduler alone.
   * Only while started.
   *
   * @throws SchedulerNotRunningError, UnknownAliasError, JobStoreUnavailableError
   */
  async getNodes(jobstore = 'default'): Promise<NodeInfo[]> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const records = await this.#cluster.getNodes(this.#jobs.store(jobstore));
    return records.map((record) => ({
      ...record,
      startedAt: new Date(record.startedAt),
      lastSeen: new Date(record.lastSeen),
    }));
  }

  // ------------------------------------------------------------------ history

  /**
   * A page of a store's fire ledger, newest first (by scheduled time, then
   * fire id): every fire with its outcome, node, fencing token and times.
   * Pass the page's `cursor` back for the next one. Only while started.
   *
   * @throws SchedulerNotRunningError, UnknownAliasError, NoFireHistoryError, HistoryQueryError
   */
  async getFires(options: GetFiresOptions = {}): Promise<FiresPage> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const managed = this.#jobs.store(options.jobstore ?? 'default');
    managed.requireAvailable();
    return readFires(managed, options, this.#zone, this.#retention);
  }

  /**
   * Why the job did or did not run at `at` (a Date, epoch ms, or an ISO 8601
   * string; a wall time without an offset is read in the zone of the job's
   * trigger): a verdict, the fire time of the job nearest `at`, the ledger's
   * record of it, and the evidence in plain sentences. Only while started.
   *
   * @example
   * ```ts
   * const answer = await scheduler.explain('nightly', '2026-03-29 02:30');
   * answer.verdict; // 'ran'
   * answer.evidence[0]; // '02:30 does not exist in Europe/Berlin on 2026-03-29 (clocks went forward by 1 h); …'
   * ```
   * @throws SchedulerNotRunningError, UnknownAliasError, NoFireHistoryError, HistoryQueryError, InvalidDateError
   */
  async explain(
    jobId: string,
    at: DateInput,
    options: ExplainCallOptions = {},
  ): Promise<Explanation> {
    if (this.#state === STATE_STOPPED) throw new SchedulerNotRunningError();
    const managed = this.#jobs.store(options.jobstore ?? 'default');
    managed.requireAvailable();
    return explainJob(
      managed,
      jobId,
      at,
      this.#zone,
      {
        nodeId: this.#cluster.settings.nodeId,
        since: this.#processingSince === 0 ? undefined : this.#processingSince,
      },
      this.#retention,
    );
  }

  /**
   * One purge pass of a shared store's fire history now, as the purge timer
   * runs it (every few minutes otherwise): the number of fires removed, or
   * null when another scheduler is the one that purges, the store is not
   * shared, or the pass failed (reported).
   * @internal
   */
  async purgeHistory(jobstore = 'default'): Promise<number | null> {
    const node = this.#jobs.store(jobstore).node;
    return node === undefined ? null : node.purgeHistory();
  }

  /**
   * Cancels a run of this scheduler: the fire `fireId` of job `jobId`, running
   * or waiting in its batch. Its signal aborts with a `JobCancelledError` and
   * the fire is recorded `cancelled`. Returns false when no executor of this
   * scheduler holds that fire (it ended, or another scheduler runs it).
   */
  cancelFire(jobId: string, fireId: string, reason = 'cancelled by an operator'): boolean {
    const error = new JobCancelledError(jobId, reason);
    for (const executor of this.#executors.values())
      if (executor.abortFire?.(jobId, fireId, error) === true) return true;
    return false;
  }

  #isRunning(): boolean {
    return this.#state !== STATE_STOPPED;
  }
}
