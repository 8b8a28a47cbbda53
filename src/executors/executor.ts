/** The executor contract: {@link Executor}, what an executor gets from its scheduler, and its errors. */
import { HorariumError } from '../errors.ts';
import type { SchedulerEvent } from '../events.ts';
import type { Job } from '../jobs/job.ts';
import type { Logger } from '../logging.ts';
import type { FireOutcome } from '../stores/ledger.ts';
import type { PublishingScheduler } from '../tracing/channels.ts';

/** What an executor gets from its scheduler when it starts. */
export interface ExecutorContext {
  /** The scheduler's logger. */
  readonly logger: Logger;
  /** Current time in epoch milliseconds (the scheduler's clock). */
  now(): number;
  /** Delivers an event to the scheduler's listeners. */
  dispatch(event: SchedulerEvent): void;
  /** Is anyone listening for these event codes? Lets executors skip building events nobody receives. */
  wants(mask: number): boolean;
  /**
   * The URL a worker imports for the module specifier of a job's reference,
   * as the scheduler's reference rules resolve it (stored relative references
   * are relative to the application root). Without it, relative specifiers
   * resolve against the working directory.
   */
  moduleUrl?(specifier: string): string;
  /**
   * A run with a fire (submitted with `fires`) started or ended: the
   * scheduler records it in its store's ledger. `error` is the run's error
   * for `failed` and `timed_out`.
   */
  fireChanged?(change: FireChange): void;
  /** The scheduler running the executor: what its `horarium:*` channel contexts name as `scheduler`. */
  readonly scheduler?: PublishingScheduler;
}

/** A fire of a shared store's ledger that a run carries out (see {@link SubmitOptions.fires}). */
export interface RunFire {
  readonly fireId: string;
  /** The job's fencing token of the claim (or takeover) that won this fire. */
  readonly fencingToken: number;
  /** True when this run takes over the fire of a scheduler that died while running it. */
  readonly recovering: boolean;
  /** Which run of the fire this is: 1 (the default), 2 for its first retry, … */
  readonly attempt?: number;
}

/** What {@link ExecutorContext.fireChanged} reports. */
export interface FireChange {
  readonly job: Job;
  readonly fireId: string;
  readonly state: FireOutcome;
  readonly error?: unknown;
  /** Which run of the fire ended (absent: 1). */
  readonly attempt?: number;
  /** The fire's scheduled run time. */
  readonly scheduledRunTime?: Date;
}

/** How `shutdown` treats jobs still running, for a scheduler and for an executor. */
export interface ShutdownOptions {
  /** Wait for running jobs (default true). */
  wait?: boolean;
  /** With `wait`, abort jobs still running after this many seconds (through their signal). */
  timeout?: number;
}

/** How a batch relates to the job's earlier ones; see {@link Executor.submitJob}. */
export interface SubmitOptions {
  /** These run times continue the job's previous, split batch. */
  continuation?: boolean;
  /**
   * The ledger fires the runs carry out, one per run time in the same order
   * (jobs of a store several schedulers can share). `currentJob()` shows
   * each run's fire, and every start and outcome is reported through
   * `context.fireChanged`.
   */
  fires?: readonly RunFire[];
  /**
   * With `fires`: how far the executor's clock is ahead of the clock of the
   * store the fires were claimed in (ms). The misfire grace check of each run
   * goes by the store's clock, so a host whose clock runs ahead does not miss
   * runs that are on time.
   */
  clockSkewMs?: number;
}

/**
 * The executor contract. An executor runs a job's function for a batch of run
 * times and reports every outcome as events through its context:
 * `EVENT_JOB_EXECUTED` or `EVENT_JOB_ERROR` for each run (a `JobExecutionEvent`),
 * `EVENT_JOB_MISSED` for a run time later than the job's `misfireGraceTime`
 * when its turn comes. A run that exceeds the job's `timeout` has its signal
 * aborted with a `JobTimeoutError`, and one that a shutdown stops waiting for
 * with a `JobCancelledError`. Inside a run, `currentJob()` gives the run's id, run
 * time and signal. The scheduler talks to executors only through this
 * interface, so the same executor contract suite runs against every executor.
 *
 * The built-in executors are `AsyncExecutor`, `ThreadPoolExecutor` and
 * `ProcessPoolExecutor`. An executor of your own usually extends
 * `BaseExecutor` (from `horarium/extend`), which keeps all of this and asks
 * only how one run happens; `registerExecutorType` makes it usable as
 * `{ type, ...options }` in a configuration.
 *
 * @example
 * ```ts
 * import { AsyncScheduler, type Job } from 'horarium';
 * import { BaseExecutor, type JobRun, registerExecutorType, runAsCurrentJob } from 'horarium/extend';
 *
 * class LoggingExecutor extends BaseExecutor {
 *   protected runOnce(job: Job, run: JobRun): unknown {
 *     console.log(`running ${job.id}`);
 *     return runAsCurrentJob(run, () => job.func(...job.args));
 *   }
 * }
 * registerExecutorType('logging', () => new LoggingExecutor());
 * const scheduler = new AsyncScheduler({ executors: { default: { type: 'logging' } } });
 * ```
 */
export interface Executor {
  /** Called once when the scheduler starts (or when the executor is added to a running scheduler). */
  start(context: ExecutorContext, alias: string): Promise<void> | void;
  /** Stops taking work; with `wait`, resolves once running jobs have finished or were aborted at `timeout`. */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /**
   * Starts running `job` once for each of `runTimes` in order (one batch = one
   * instance for `maxInstances`). Returns at once; outcomes arrive as events.
   * A synchronous job function runs, and its events are dispatched, before
   * `submitJob` returns.
   *
   * With `continuation`, the run times continue a batch the scheduler had to
   * split (a long catch-up without coalescing): they join the job's running
   * batch instead of counting as a new instance.
   *
   * @throws MaxInstancesReachedError when the job already runs `maxInstances` times.
   */
  submitJob(job: Job, runTimes: readonly Date[], options?: SubmitOptions): void;
  /** Rejects jobs this executor cannot run, at `addJob` time (e.g. a plain function for a worker pool). */
  validateJob?(job: Job): void;
  /** How many batches of this job are running now. */
  runningInstances(jobId: string): number;
  /**
   * Ends the run of fire `fireId` of job `jobId`: aborts its signal with
   * `reason` if it is running, drops it if it has not started. Returns false
   * when the executor holds no such fire.
   */
  abortFire?(jobId: string, fireId: string, reason: unknown): boolean;
}

/** The executor refused a batch because the job already runs `maxInstances` times. */
export class MaxInstancesReachedError extends HorariumError {
  override name = 'MaxInstancesReachedError';
  readonly jobId: string;
  readonly maxInstances: number;
  constructor(jobId: string, maxInstances: number) {
    super(`Job "${jobId}" has already reached its maximum number of instances (${maxInstances})`);
    this.jobId = jobId;
    this.maxInstances = maxInstances;
  }
}

/** `submitJob` on an executor that has not started or has shut down. */
export class ExecutorNotRunningError extends HorariumError {
  override name = 'ExecutorNotRunningError';
  readonly alias: string;
  constructor(alias: string) {
    super(`Executor "${alias}" is not running`);
    this.alias = alias;
  }
}

/** A run took longer than its job's `timeout`; its signal was aborted with this reason. */
export class JobTimeoutError extends HorariumError {
  override name = 'JobTimeoutError';
  readonly jobId: string;
  readonly timeout: number;
  constructor(jobId: string, timeout: number) {
    super(`Job "${jobId}" timed out after ${timeout} s`);
    this.jobId = jobId;
    this.timeout = timeout;
  }
}

/** A run was aborted because the scheduler shut down before it finished. */
export class JobCancelledError extends HorariumError {
  override name = 'JobCancelledError';
  readonly jobId: string;
  constructor(jobId: string, reason: string) {
    super(`Job "${jobId}" was cancelled: ${reason}`);
    this.jobId = jobId;
  }
}

/**
 * This scheduler lost the run lease of a run in progress: it could not renew
 * the lease before it expired (its store was unreachable, or its process was
 * stalled), or another scheduler took the fire over. Another scheduler may
 * record the fire abandoned or run it again, so this run is aborted through
 * its signal with this reason; pass `currentJob().fencingToken` to the
 * systems a job writes to, so that they can refuse a stale holder's writes.
 */
export class LeaseLostError extends HorariumError {
  override name = 'LeaseLostError';
  readonly jobId: string;
  readonly fireId: string;
  constructor(jobId: string, fireId: string, why: string) {
    super(`Job "${jobId}" lost the run lease of fire ${fireId}: ${why}; the run was aborted`);
    this.jobId = jobId;
    this.fireId = fireId;
  }
}
