/**
 * What every executor shares: counting instances per job for `maxInstances`,
 * running a batch of run times in order with the misfire grace check at the
 * moment each run starts, timeouts and cancellation through the run's
 * AbortSignal, and reporting each outcome as an event. Subclasses only say how
 * one run of a job's function happens (`runOnce`).
 */
import {
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_LEASE_LOST,
  EVENT_JOB_MISSED,
  JobExecutionEvent,
} from '../events.ts';
import { JobRun } from '../jobs/current-job.ts';
import type { Job } from '../jobs/job.ts';
import { debugEnabled } from '../logging.ts';
import type { FireOutcome } from '../stores/ledger.ts';
import { fireChannel, type JobRunContext, jobRunChannel } from '../tracing/channels.ts';
import type {
  Executor,
  ExecutorContext,
  FireChange,
  RunFire,
  ShutdownOptions,
  SubmitOptions,
} from './executor.ts';
import {
  ExecutorNotRunningError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  MaxInstancesReachedError,
} from './executor.ts';
import {
  endTracedRun,
  publishMissedFire,
  publishSubmittedFires,
  runContext,
  startTracedRun,
} from './run-tracing.ts';

/** The longest wait a timer holds (2³¹ − 1 ms); setTimeout fires at once beyond it. */
const MAX_TIMER_SECONDS = 2_147_483;

/**
 * One batch in flight. A run that completes asynchronously is followed through
 * callbacks on its promise rather than a promise chain per run: at thousands
 * of runs a second the chain's allocations were most of the executor's cost.
 */
interface Batch {
  readonly job: Job;
  /** Run times of the batch; a continuation appends to it. */
  readonly queue: Date[];
  /** Index in `queue` of the next run time to start. */
  position: number;
  /** The ledger fires of the run times, index for index; undefined for a store without a ledger. */
  readonly fires: RunFire[] | undefined;
  /** Fires of the queue aborted before their turn (their lease was lost). */
  dropped: Set<string> | undefined;
  /** How far this host's clock is ahead of the store's that the fires came from (ms). */
  readonly skewMs: number;
  /** The job's entry in `#batches`. */
  readonly entry: JobEntry;
  /** The asynchronous run in progress, or null. */
  run: JobRun | null;
  /** Ends the run in progress on timeout. */
  timer: NodeJS.Timeout | undefined;
  /** The run in progress as `horarium:job` traces it, while someone subscribes. */
  trace: JobRunContext | undefined;
}

/**
 * A job's running batches: none, the one (the usual case: no array per run),
 * or an array once a second one starts, kept until the last of them ends.
 */
interface JobEntry {
  running: Batch | Batch[] | undefined;
  /** Dropped from the map by a sweep: a job's memo holding it is stale. */
  swept: boolean;
  /** The sweep period in which a batch of the job was last submitted. */
  used: number;
}

/** The number of running batches of a job. */
function instanceCount(entry: JobEntry | undefined): number {
  const running = entry?.running;
  if (running === undefined) return 0;
  return Array.isArray(running) ? running.length : 1;
}

/** The running batches of a job. */
function batchesOf(entry: JobEntry | undefined): readonly Batch[] {
  const running = entry?.running;
  if (running === undefined) return [];
  return Array.isArray(running) ? running : [running];
}

/** New entries between two sweeps at least. */
const SWEEP_AFTER_ENTRIES = 1024;
/**
 * Time between two sweeps at least (ms): the entry of a job that runs at least
 * this often is never swept, and a sweep (a pass over the map) costs nothing
 * next to the runs of a minute.
 */
const SWEEP_AFTER_MS = 60_000;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as PromiseLike<unknown>).then === 'function';

/** Reads an executor's entry count (set by the class's static block). */
let countEntries: (executor: BaseExecutor) => number;

/**
 * The base class of the built-in executors, for executors of your own: it
 * keeps the executor contract (instances per job for `maxInstances`, the runs
 * of a batch in order, the misfire grace check when each run starts,
 * timeouts and cancellation through the run's signal, an event for every
 * outcome, tracing on `horarium:job`) and asks only how one run happens:
 * {@link BaseExecutor.runOnce}. Register a subclass with
 * `registerExecutorType` to use it by name in a configuration.
 *
 * @example
 * ```ts
 * import type { Job } from 'horarium';
 * import { BaseExecutor, type JobRun, runAsCurrentJob } from 'horarium/extend';
 *
 * class LoggingExecutor extends BaseExecutor {
 *   protected runOnce(job: Job, run: JobRun): unknown {
 *     this.context.logger.info(`running ${job.id}`);
 *     return runAsCurrentJob(run, () => job.func(...job.args));
 *   }
 * }
 * ```
 */
export abstract class BaseExecutor implements Executor {
  #context: ExecutorContext | undefined;
  #alias = '';
  /**
   * Running batches per job id; their number is the job's instance count.
   * The entry of a job whose runs ended stays while the job keeps running, so
   * that a job running again and again costs one lookup per run and no
   * insertion or deletion in the map. A sweep, at least
   * {@link SWEEP_AFTER_MS} and {@link SWEEP_AFTER_ENTRIES} new entries after
   * the previous one, drops the entries of jobs with nothing running and no
   * batch since the previous sweep: jobs removed, or run rarely. (Swept only
   * every 65,536 new entries, with jobs added and removed all the time, the
   * map grew by an entry per job up to several megabytes.)
   */
  readonly #batches = new Map<string, JobEntry>();
  /** Entries made since the last sweep. */
  #created = 0;
  /** When the last sweep ran (epoch ms); the executor's start counts as one. */
  #sweptAt = Date.now();
  /** Sweeps so far: the period an entry's `used` is compared with. */
  #period = 0;
  /** Batches running in all. */
  #running = 0;
  /** Called when the last running batch finishes. */
  #idleWaiters: (() => void)[] = [];
  #accepting = false;

  /** The context the scheduler started this executor with. @throws ExecutorNotRunningError before `start` */
  protected get context(): ExecutorContext {
    if (this.#context === undefined) throw new ExecutorNotRunningError(this.#alias);
    return this.#context;
  }

  /** The alias the executor was started under (`''` before `start`). */
  get alias(): string {
    return this.#alias;
  }

  /** Keeps `context` and `alias` and starts taking batches; a subclass that overrides it calls `super.start`. */
  start(context: ExecutorContext, alias: string): Promise<void> | void {
    this.#context = context;
    this.#alias = alias;
    this.#accepting = true;
  }

  runningInstances(jobId: string): number {
    return instanceCount(this.#batches.get(jobId));
  }

  submitJob(job: Job, runTimes: readonly Date[], options?: SubmitOptions): void {
    if (!this.#accepting) throw new ExecutorNotRunningError(this.#alias);
    let entry = this.#entryOf(job);
    const running = entry?.running;
    const fires = options?.fires;
    if (fires !== undefined && fires.length !== runTimes.length)
      throw new RangeError(
        `submitJob: ${fires.length} fires for ${runTimes.length} run times; give one fire per run time`,
      );
    if (options?.continuation === true && running !== undefined) {
      if (fireChannel.hasSubscribers) this.#publishSubmitted(job, runTimes, fires);
      const last = Array.isArray(running) ? (running[running.length - 1] as Batch) : running;
      last.queue.push(...runTimes);
      if (fires !== undefined) last.fires?.push(...fires);
      return;
    }
    if (instanceCount(entry) >= job.maxInstances) {
      throw new MaxInstancesReachedError(job.id, job.maxInstances);
    }
    if (fireChannel.hasSubscribers) this.#publishSubmitted(job, runTimes, fires);
    const batch: Batch = {
      job,
      queue: runTimes.slice(),
      position: 0,
      fires: fires?.slice(),
      dropped: undefined,
      skewMs: options?.clockSkewMs ?? 0,
      entry: entry ?? this.#newEntry(job),
      run: null,
      timer: undefined,
      trace: undefined,
    };
    entry = batch.entry;
    if (running === undefined) entry.running = batch;
    else if (Array.isArray(running)) running.push(batch);
    else entry.running = [running, batch];
    this.#running++;
    this.#advance(batch);
  }

  /**
   * The job's entry in `#batches`, or undefined. The job's memo (shared by the
   * copies the loop makes of a job for its next runs) keeps it, so that a job
   * that runs again and again is not looked up by id for every run.
   */
  #entryOf(job: Job): JobEntry | undefined {
    const memo = job.memo;
    if (memo !== undefined && memo.holder === this) {
      const entry = memo.value as JobEntry;
      if (!entry.swept) {
        entry.used = this.#period;
        return entry;
      }
    }
    const entry = this.#batches.get(job.id);
    if (entry === undefined) return undefined;
    entry.used = this.#period;
    if (memo !== undefined) {
      memo.holder = this;
      memo.value = entry;
    }
    return entry;
  }

  /** A job's entry in `#batches`, new; now and then, first drops the entries of jobs with nothing running. */
  #newEntry(job: Job): JobEntry {
    if (++this.#created >= SWEEP_AFTER_ENTRIES && Date.now() - this.#sweptAt >= SWEEP_AFTER_MS)
      this.#sweep();
    const entry: JobEntry = { running: undefined, swept: false, used: this.#period };
    this.#batches.set(job.id, entry);
    const memo = job.memo;
    if (memo !== undefined) {
      memo.holder = this;
      memo.value = entry;
    }
    return entry;
  }

  /** Drops the entries of jobs with nothing running that no batch used since the previous sweep. */
  #sweep(): void {
    const period = this.#period;
    for (const [id, entry] of this.#batches) {
      if (entry.running !== undefined || entry.used === period) continue;
      entry.swept = true;
      this.#batches.delete(id);
    }
    this.#period = period + 1;
    this.#created = 0;
    this.#sweptAt = Date.now();
  }

  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#accepting = false;
    const wait = options.wait ?? true;
    if (!wait) {
      this.#cancelAll(
        (job) => new JobCancelledError(job.id, 'the scheduler shut down without waiting'),
      );
      await this.onShutdown(false);
      return;
    }
    if (options.timeout === undefined) {
      await this.#whenIdle();
    } else {
      // A timer waits at most 2³¹ − 1 ms: a longer timeout waits that long.
      const seconds = Math.min(options.timeout, MAX_TIMER_SECONDS);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), seconds * 1000);
      });
      const outcome = await Promise.race([this.#whenIdle().then(() => 'idle' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        this.#cancelAll(
          (job) =>
            new JobCancelledError(job.id, `the run exceeded the ${seconds} s shutdown timeout`),
        );
        await this.#whenIdle();
      }
    }
    await this.onShutdown(true);
  }

  abortFire(jobId: string, fireId: string, reason: unknown): boolean {
    for (const batch of batchesOf(this.#batches.get(jobId))) {
      if (batch.run?.fire?.fireId === fireId) {
        this.#endRun(batch, reason);
        return true;
      }
      const fires = batch.fires;
      if (fires === undefined) continue;
      for (let i = batch.position; i < fires.length; i++) {
        const fire = fires[i] as RunFire;
        if (fire.fireId !== fireId || batch.dropped?.has(fireId) === true) continue;
        batch.dropped ??= new Set();
        batch.dropped.add(fireId);
        this.#report(batch.job, batch.queue[i] as Date, false, reason, fire);
        return true;
      }
    }
    return false;
  }

  /** Releases executor resources (pools); called at the end of `shutdown`. */
  protected onShutdown(_wait: boolean): Promise<void> | void {}

  /**
   * Runs the job's function once and returns its result: a value for a
   * synchronous function, a promise otherwise (or throws). `run.signal` aborts
   * on timeout or cancellation; implementations that can stop the work
   * (threads, processes) must do so and reject. The in-process executor cannot
   * stop JavaScript that ignores the signal, so the batch stops waiting for it.
   */
  protected abstract runOnce(job: Job, run: JobRun): unknown;

  #whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops every batch's remaining run times and ends the runs in progress with `reason`. */
  #cancelAll(reason: (job: Job) => JobCancelledError): void {
    for (const entry of [...this.#batches.values()]) {
      for (const batch of batchesOf(entry).slice()) {
        const { fires, job } = batch;
        // Fires that will not start now are recorded as cancelled, not left claimed.
        if (fires !== undefined) {
          for (let i = batch.position; i < fires.length; i++) {
            const fire = fires[i] as RunFire;
            if (batch.dropped?.has(fire.fireId) !== true) this.#fireChanged(job, fire, 'cancelled');
          }
        }
        batch.position = batch.queue.length;
        this.#endRun(batch, reason(job));
      }
    }
  }

  /**
   * Starts the batch's run times in order, from `position`. Runs of a
   * synchronous function complete (and dispatch their events) without
   * yielding, so a whole batch may finish here. An asynchronous run stops the
   * loop; `#settle` resumes it when the run ends.
   */
  #advance(batch: Batch): void {
    const { job, queue } = batch;
    const context = this.context;
    while (batch.position < queue.length) {
      const fire = batch.fires?.[batch.position];
      const runTime = queue[batch.position++] as Date;
      if (fire !== undefined && batch.dropped?.has(fire.fireId) === true) continue;
      const now = context.now() - batch.skewMs;
      // A retry runs late by design: the fire itself started in time.
      const retry = (fire?.attempt ?? 1) > 1;
      if (
        job.misfireGraceTime !== null &&
        !retry &&
        now - runTime.getTime() > job.misfireGraceTime * 1000
      ) {
        context.logger.warn(
          `Run time of job "${job.name}" (${job.id}) was missed by ${(now - runTime.getTime()) / 1000} s`,
        );
        if (fire !== undefined) this.#fireChanged(job, fire, 'missed');
        if (fireChannel.hasSubscribers)
          publishMissedFire(
            context.scheduler ?? null,
            job,
            runTime,
            fire?.fireId ?? null,
            this.#alias,
          );
        if (context.wants(EVENT_JOB_MISSED)) {
          context.dispatch(
            new JobExecutionEvent(EVENT_JOB_MISSED, job.id, job.jobstore, runTime, {
              fireId: fire?.fireId ?? null,
            }),
          );
        }
        continue;
      }
      if (debugEnabled(context.logger)) {
        context.logger.debug(
          `Running job "${job.name}" (${job.id}) scheduled at ${runTime.toISOString()}`,
        );
      }
      const run = new JobRun(job.id, runTime, fire);
      if (fire !== undefined) this.#fireChanged(job, fire, 'running');
      const trace = jobRunChannel.hasSubscribers
        ? runContext(context.scheduler ?? null, job, run, this.#alias, now - runTime.getTime())
        : undefined;
      let result: unknown;
      try {
        result =
          trace === undefined
            ? this.runOnce(job, run)
            : startTracedRun(trace, () => this.runOnce(job, run));
      } catch (error) {
        this.#report(job, runTime, false, error, fire, trace);
        continue;
      }
      if (!isThenable(result)) {
        this.#report(job, runTime, true, result, fire, trace);
        continue;
      }
      batch.run = run;
      batch.trace = trace;
      if (job.timeout !== null) {
        const seconds = job.timeout;
        batch.timer = setTimeout(
          () => this.#endRun(batch, new JobTimeoutError(job.id, seconds)),
          seconds * 1000,
        );
        batch.timer.unref();
      }
      try {
        result.then(
          (value) => this.#settle(batch, run, true, value),
          (error: unknown) => this.#settle(batch, run, false, error),
        );
      } catch (error) {
        this.#settle(batch, run, false, error);
      }
      return;
    }
    this.#release(batch);
  }

  /** A run ended: reports it and goes on with the batch. Late outcomes of runs already ended (timed out, cancelled) are ignored. */
  #settle(batch: Batch, run: JobRun, ok: boolean, value: unknown): void {
    if (batch.run !== run) return;
    batch.run = null;
    if (batch.timer !== undefined) {
      clearTimeout(batch.timer);
      batch.timer = undefined;
    }
    const trace = batch.trace;
    batch.trace = undefined;
    this.#report(batch.job, run.scheduledRunTime, ok, value, run.fire, trace);
    this.#advance(batch);
  }

  /** Ends the batch's run in progress early: aborts its signal and reports `reason` as its error. */
  #endRun(batch: Batch, reason: unknown): void {
    const run = batch.run;
    if (run === null) return;
    run.abort(reason);
    this.#settle(batch, run, false, reason);
  }

  #release(batch: Batch): void {
    const { entry } = batch;
    const running = entry.running;
    if (running === batch) {
      entry.running = undefined;
    } else if (Array.isArray(running)) {
      running.splice(running.indexOf(batch), 1);
      if (running.length === 0) entry.running = undefined;
    }
    this.#running--;
    if (this.#running === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #report(
    job: Job,
    runTime: Date,
    ok: boolean,
    value: unknown,
    fire?: RunFire,
    trace?: JobRunContext,
  ): void {
    if (trace !== undefined) endTracedRun(trace, ok, value);
    const context = this.context;
    const fireId = fire?.fireId ?? null;
    if (ok) {
      if (fire !== undefined) this.#fireChanged(job, fire, 'succeeded');
      if (debugEnabled(context.logger))
        context.logger.debug(`Job "${job.name}" (${job.id}) executed successfully`);
      if (context.wants(EVENT_JOB_EXECUTED)) {
        context.dispatch(
          new JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job.jobstore, runTime, {
            retval: value,
            fireId,
          }),
        );
      }
      return;
    }
    const details = () => ({
      exception: value,
      traceback: value instanceof Error ? (value.stack ?? String(value)) : String(value),
      fireId,
    });
    if (value instanceof LeaseLostError) {
      // The fire is no longer this scheduler's to record: the node that took it over does.
      context.logger.warn(value.message);
      if (context.wants(EVENT_JOB_LEASE_LOST))
        context.dispatch(
          new JobExecutionEvent(EVENT_JOB_LEASE_LOST, job.id, job.jobstore, runTime, details()),
        );
      return;
    }
    if (value instanceof JobCancelledError) {
      // A shutdown that does not wait cancels on purpose: worth a line, not a stack.
      context.logger.info(value.message);
      if (fire !== undefined) this.#fireChanged(job, fire, 'cancelled', value);
    } else if (value instanceof JobTimeoutError) {
      context.logger.error(value.message);
      if (fire !== undefined) this.#fireChanged(job, fire, 'timed_out', value, runTime);
    } else {
      context.logger.error(`Job "${job.name}" (${job.id}) raised an exception`, value);
      if (fire !== undefined) this.#fireChanged(job, fire, 'failed', value, runTime);
    }
    if (context.wants(EVENT_JOB_ERROR))
      context.dispatch(
        new JobExecutionEvent(EVENT_JOB_ERROR, job.id, job.jobstore, runTime, details()),
      );
  }

  #publishSubmitted(
    job: Job,
    runTimes: readonly Date[],
    fires: readonly RunFire[] | undefined,
  ): void {
    publishSubmittedFires(this.context.scheduler ?? null, job, runTimes, fires, this.#alias);
  }

  #fireChanged(
    job: Job,
    fire: RunFire,
    state: FireOutcome,
    error?: unknown,
    scheduledRunTime?: Date,
  ): void {
    const report = this.context.fireChanged;
    if (report === undefined) return;
    try {
      const change: FireChange = { job, fireId: fire.fireId, state, error };
      if (fire.attempt !== undefined) Object.assign(change, { attempt: fire.attempt });
      if (scheduledRunTime !== undefined) Object.assign(change, { scheduledRunTime });
      report.call(this.context, change);
    } catch (reportError) {
      this.context.logger.error(
        `Could not record fire ${fire.fireId} of job "${job.id}" as ${state}`,
        reportError,
      );
    }
  }

  static {
    countEntries = (executor) => executor.#batches.size;
  }
}

/** How many jobs an executor keeps an instance entry for (not public API: the tests watch it stay bounded). */
export function instanceEntryCount(executor: BaseExecutor): number {
  return countEntries(executor);
}
