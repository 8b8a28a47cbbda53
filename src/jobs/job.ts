/**
 * The `Job`: a function, its arguments, a trigger and the options that govern
 * its runs. Users never construct jobs; the scheduler's `addJob` does. A job's
 * methods act through its scheduler, exactly like the scheduler's own methods.
 */
import { formatInstant } from '../time/format.ts';
import type { Zone } from '../time/zone.ts';
import type { TriggerAlias, TriggerArgsByAlias } from '../triggers/aliases.ts';
import type { Trigger } from '../triggers/trigger.ts';
import type { FireHistory } from './job-fields.ts';
import type { OverlapPolicy, RetryOptions, RetryPolicy } from './retry.ts';

/** Any function a job can run. */
// biome-ignore lint/suspicious/noExplicitAny: the parameter list is inferred per job; `any` keeps functions with typed parameters assignable.
export type JobFunction = (...args: any[]) => unknown;

/** The settings of a job that `modifyJob` can change (every field but `id`). */
export interface JobChanges<A extends unknown[] = unknown[]> {
  name?: string;
  func?: JobFunction | string;
  args?: A;
  trigger?: Trigger;
  executor?: string;
  coalesce?: boolean;
  maxInstances?: number;
  misfireGraceTime?: number | null;
  /** Seconds a run may take before its signal aborts and it is reported as timed out; null = no limit. */
  timeout?: number | null;
  /** Run a fire again on another node when the node running it dies (default false: recorded abandoned). */
  recover?: boolean;
  /** The name of the exclusion calendar whose excluded times the job skips; null for none. */
  calendar?: string | null;
  /** Which of its fires the history keeps: every one (default), only those that did not succeed, or none once ended. */
  history?: FireHistory;
  /** Run a failed or timed-out fire again after a backoff; null turns retries off. */
  retry?: RetryOptions | null;
  /** What a fire does when the job already runs `maxInstances` times: 'skip', 'queue' or 'replace'. */
  overlap?: OverlapPolicy;
  /** `null` pauses the job. */
  nextRunTime?: Date | null;
}

/**
 * What a job delegates to: its scheduler.
 * @internal
 */
export interface JobOwner {
  modifyJob(id: string, changes: JobChanges, jobstore?: string): Promise<Job>;
  rescheduleJob(
    id: string,
    trigger: Trigger | TriggerAlias,
    triggerArgs?: Record<string, unknown>,
    jobstore?: string,
  ): Promise<Job>;
  pauseJob(id: string, jobstore?: string): Promise<Job>;
  resumeJob(id: string, jobstore?: string): Promise<Job | null>;
  removeJob(id: string, jobstore?: string): Promise<void>;
  /** The zone used to print run times. */
  readonly zone: Zone;
}

/** The fully resolved state of a job. */
export interface JobState<A extends unknown[] = unknown[]> {
  id: string;
  name: string;
  func: JobFunction;
  funcRef: string | null;
  args: A;
  trigger: Trigger;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  timeout: number | null;
  recover: boolean;
  /** The exclusion calendar's name (`scheduler.addCalendar`); null or left out for none. */
  calendar?: string | null;
  history: FireHistory;
  /** Absent: null (no retries). */
  retry?: RetryPolicy | null;
  /** Absent: 'skip'. */
  overlap?: OverlapPolicy;
  nextRunTime: Date | null;
}

/**
 * A scheduled job: a function, its arguments, a trigger and the options that
 * govern its runs. The scheduler's `addJob` creates jobs, and its `getJob` and
 * `getJobs` return them; a job is immutable, and its methods act through its
 * scheduler (as the scheduler's own methods do) and return the changed job.
 * `A` is the function's parameter list, which `args` holds.
 *
 * @example
 * ```ts
 * const job = await scheduler.addJob(sendReport, 'cron', { hour: 3, args: ['ops@example.com'] });
 * String(job); // "sendReport (trigger: cron[hour='3'], next run at: …)" (pending before start())
 * await job.pause(); // or job.modify({ maxInstances: 2 }), job.remove(), …
 * ```
 */
/** @internal See {@link Job.memo}: one holder's value at a time. */
export interface JobMemo {
  holder: object | undefined;
  value: unknown;
}

export class Job<A extends unknown[] = unknown[]> implements JobState<A> {
  /** Unique within the scheduler's stores; a random id (32 hex digits) unless `addJob` was given one. */
  readonly id: string;
  /** For people reading logs and listings: the function's name, else its reference, unless given. */
  readonly name: string;
  /** The function each run calls with `args`. */
  readonly func: JobFunction;
  /** The textual reference of `func` (`'module:export'` or a registered task name), or null when there is none. */
  readonly funcRef: string | null;
  /** The arguments of each call of `func`. */
  readonly args: A;
  /** When the job runs. */
  readonly trigger: Trigger;
  /** Alias of the executor that runs the job. */
  readonly executor: string;
  /** When several run times are due at once, run only the latest. */
  readonly coalesce: boolean;
  /** How many batches of this job may run at the same time. */
  readonly maxInstances: number;
  /** Seconds after its run time a run may still start; null: no limit. */
  readonly misfireGraceTime: number | null;
  /** Seconds a run may take before its signal aborts with a `JobTimeoutError`; null: no limit. */
  readonly timeout: number | null;
  /** Run a fire again on another node when the node running it dies (its runs see `currentJob().recovering`). */
  readonly recover: boolean;
  /** The name of the exclusion calendar whose excluded times the job skips (`scheduler.addCalendar`), or null. */
  readonly calendar: string | null;
  /** Which of its fires the history keeps: `'all'`, `'failures'` (not the succeeded ones) or `'off'` (none once ended). */
  readonly history: FireHistory;
  /** How a failed or timed-out fire is run again (every field set); null: it is not. */
  readonly retry: RetryPolicy | null;
  /** What a fire does when the job already runs `maxInstances` times. */
  readonly overlap: OverlapPolicy;
  /** Alias of the store holding the job; null while the job is pending (the scheduler has not started). */
  readonly jobstore: string | null;
  /** Why this stored job cannot be restored (module moved, corrupt row), or undefined for a healthy job. */
  readonly restoreError: unknown;
  readonly #owner: JobOwner;
  /** Epoch ms of the next run, NaN when paused (a number costs far less memory than a Date). */
  readonly #nextRunTime: number;
  /** Shared by this job and the copies the loop makes of it (`withNextRunTime`); made on the first copy. */
  #memo: JobMemo | undefined;

  /** @internal Jobs are created by the scheduler. */
  constructor(
    owner: JobOwner,
    state: JobState<A>,
    jobstore: string | null,
    restoreError?: unknown,
  ) {
    this.#owner = owner;
    this.restoreError = restoreError;
    this.id = state.id;
    this.name = state.name;
    this.func = state.func;
    this.funcRef = state.funcRef;
    this.args = state.args;
    this.trigger = state.trigger;
    this.executor = state.executor;
    this.coalesce = state.coalesce;
    this.maxInstances = state.maxInstances;
    this.misfireGraceTime = state.misfireGraceTime;
    this.timeout = state.timeout;
    this.recover = state.recover;
    this.calendar = state.calendar ?? null;
    this.history = state.history;
    this.retry = state.retry ?? null;
    this.overlap = state.overlap ?? 'skip';
    const next = state.nextRunTime === null ? Number.NaN : state.nextRunTime.getTime();
    // NaN stands for "paused", so an invalid Date must never get in.
    if (state.nextRunTime !== null && Number.isNaN(next)) {
      throw new RangeError(`Job "${state.id}" has an invalid next run time`);
    }
    this.#nextRunTime = next;
    this.jobstore = jobstore;
  }

  /** When the job runs next; null when paused. */
  get nextRunTime(): Date | null {
    return Number.isNaN(this.#nextRunTime) ? null : new Date(this.#nextRunTime);
  }

  /** The next run time in epoch milliseconds, NaN when paused (for stores and the loop, without a Date). */
  get nextRunTimeMs(): number {
    return this.#nextRunTime;
  }

  /** True until the job has been added to a store (while the scheduler has not started). */
  get pending(): boolean {
    return this.jobstore === null;
  }

  /** True for a stored job that cannot be restored: it is listed, never run, and left in its store for you to fix. */
  get broken(): boolean {
    return this.restoreError !== undefined;
  }

  /**
   * Changes the job's settings (all or nothing); see `scheduler.modifyJob`.
   * Jobs are immutable: the changed job is returned, this object stays as it was.
   */
  async modify(changes: JobChanges<A>): Promise<Job<A>> {
    return (await this.#owner.modifyJob(
      this.id,
      changes as JobChanges,
      this.jobstore ?? undefined,
    )) as Job<A>;
  }

  /**
   * Gives the job a new trigger — an instance, or an alias with its arguments,
   * as `scheduler.rescheduleJob` and APScheduler's `job.reschedule` take — and
   * computes its next run time from now; returns the changed job.
   *
   * @example
   * ```ts
   * await job.reschedule('interval', { seconds: 30 });
   * ```
   */
  reschedule<T extends TriggerAlias>(
    trigger: T,
    triggerArgs: TriggerArgsByAlias[T],
  ): Promise<Job<A>>;
  reschedule(trigger: Trigger): Promise<Job<A>>;
  async reschedule(
    trigger: Trigger | TriggerAlias,
    triggerArgs?: Record<string, unknown>,
  ): Promise<Job<A>> {
    return (await this.#owner.rescheduleJob(
      this.id,
      trigger,
      triggerArgs,
      this.jobstore ?? undefined,
    )) as Job<A>;
  }

  /** Pauses the job; returns the changed job. */
  async pause(): Promise<Job<A>> {
    return (await this.#owner.pauseJob(this.id, this.jobstore ?? undefined)) as Job<A>;
  }

  /**
   * Resumes the job from now (runs missed while paused are skipped) and returns
   * the changed job; removes it and returns null when its trigger has finished.
   */
  async resume(): Promise<Job<A> | null> {
    return (await this.#owner.resumeJob(this.id, this.jobstore ?? undefined)) as Job<A> | null;
  }

  /** Removes the job from its store (or from the pending jobs, before `start()`). */
  async remove(): Promise<void> {
    await this.#owner.removeJob(this.id, this.jobstore ?? undefined);
  }

  /** The job's settings, for copying into a changed job. */
  state(): JobState<A> {
    return this.#stateWith(this.nextRunTime);
  }

  #stateWith(nextRunTime: Date | null): JobState<A> {
    return {
      id: this.id,
      name: this.name,
      func: this.func,
      funcRef: this.funcRef,
      args: this.args,
      trigger: this.trigger,
      executor: this.executor,
      coalesce: this.coalesce,
      maxInstances: this.maxInstances,
      misfireGraceTime: this.misfireGraceTime,
      timeout: this.timeout,
      recover: this.recover,
      ...(this.calendar === null ? {} : { calendar: this.calendar }),
      history: this.history,
      retry: this.retry,
      overlap: this.overlap,
      nextRunTime,
    };
  }

  /** `send (trigger: cron[hour='3'], next run at: 2025-01-01 03:00:00+01:00)`, like APScheduler. */
  toString(): string {
    let status: string;
    if (this.broken) {
      const reason =
        this.restoreError instanceof Error ? this.restoreError.message : String(this.restoreError);
      return `${this.id} (broken: ${reason})`;
    }
    if (this.pending) status = 'pending';
    else if (this.nextRunTime === null) status = 'paused';
    else status = `next run at: ${formatInstant(this.nextRunTime.getTime(), this.#owner.zone)}`;
    return `${this.name} (trigger: ${String(this.trigger)}, ${status})`;
  }

  /** @internal This job with another next run time: how the main loop advances a job. */
  withNextRunTime(nextRunTime: Date | null): Job<A> {
    const copy = new Job(this.#owner, this.#stateWith(nextRunTime), this.jobstore);
    this.#memo ??= { holder: undefined, value: undefined };
    copy.#memo = this.#memo;
    return copy;
  }

  /**
   * @internal What an executor keeps for this job between its runs, shared
   * with the copies the loop makes of the job for its next run times; undefined
   * before the first copy. A cache only: whoever uses it checks it still holds.
   */
  get memo(): JobMemo | undefined {
    return this.#memo;
  }

  /** Jobs are equal when their ids are. */
  equals(other: unknown): boolean {
    return other instanceof Job && other.id === this.id;
  }
}
