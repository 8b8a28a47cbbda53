/**
 * Test doubles for the scheduler's main loop: an event recorder, a recording
 * logger, a scheduler that records every pass and its returned wait, a job
 * store wrapper that fails on demand and a trigger wrapper that counts (or
 * breaks) its calls. Used by test/scheduler/*.test.ts with vitest fake timers.
 */
import type { JobStore, StoreContext } from '../../src/extend.ts';
import {
  AsyncScheduler,
  type BaseScheduler,
  EVENT_ALL,
  eventName,
  type Job,
  JobCatchUpEvent,
  JobExecutionEvent,
  JobSubmissionEvent,
  type Logger,
  MemoryJobStore,
  type SchedulerEvent,
  type Trigger,
  type TriggerJSON,
} from '../../src/index.ts';

/** The instant `iso` as a Date. */
export function at(iso: string): Date {
  return new Date(iso);
}

/** `EVENT_JOB_MISSED` → `JOB_MISSED`. */
export function shortName(code: number): string {
  return eventName(code).replace(/^EVENT_/, '');
}

/**
 * An event in one line: its short name, then the scheduled run time of an
 * execution event or the list of run times of a submission event, e.g.
 * `JOB_MISSED 2024-01-01T00:00:00.000Z` or `JOB_SUBMITTED [2024-…, 2024-…]`; a catch-up
 * summary with its count, range and runs.
 */
export function describeEvent(event: SchedulerEvent): string {
  const name = shortName(event.code);
  if (event instanceof JobExecutionEvent) return `${name} ${event.scheduledRunTime.toISOString()}`;
  if (event instanceof JobSubmissionEvent) {
    return `${name} [${event.scheduledRunTimes.map((t) => t.toISOString()).join(', ')}]`;
  }
  if (event instanceof JobCatchUpEvent) {
    return `${name} ${event.missedRunTimes}${event.countComplete ? '' : '+'} missed ${event.since.toISOString()}…${event.latest.toISOString()}, ${event.runs} run`;
  }
  return name;
}

/** Records the events a scheduler dispatches (to listeners registered with `mask`). */
export class EventRecorder {
  readonly events: SchedulerEvent[] = [];
  readonly listener = (event: SchedulerEvent): void => {
    this.events.push(event);
  };

  constructor(scheduler?: BaseScheduler, mask: number = EVENT_ALL) {
    scheduler?.addListener(this.listener, mask);
  }

  /** The events as one-line descriptions, optionally only those of one job. */
  lines(jobId?: string): string[] {
    return this.select(jobId).map(describeEvent);
  }

  /** Events of these codes (any, when none given), optionally only those of one job. */
  select(jobId?: string, ...codes: number[]): SchedulerEvent[] {
    return this.events.filter(
      (e) =>
        (codes.length === 0 || codes.includes(e.code)) &&
        (jobId === undefined || ('jobId' in e && e.jobId === jobId)),
    );
  }

  /** Execution events (EXECUTED, ERROR, MISSED) of these codes. */
  executions(...codes: number[]): JobExecutionEvent[] {
    return this.events.filter(
      (e): e is JobExecutionEvent =>
        e instanceof JobExecutionEvent && (codes.length === 0 || codes.includes(e.code)),
    );
  }

  /** Submission events (SUBMITTED, MAX_INSTANCES) of these codes. */
  submissions(...codes: number[]): JobSubmissionEvent[] {
    return this.events.filter(
      (e): e is JobSubmissionEvent =>
        e instanceof JobSubmissionEvent && (codes.length === 0 || codes.includes(e.code)),
    );
  }

  /** The distinct codes seen. */
  codes(): Set<number> {
    return new Set(this.events.map((e) => e.code));
  }

  clear(): void {
    this.events.length = 0;
  }
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  details: unknown[];
}

/** A logger that keeps every record (and prints nothing). */
export class RecordingLogger implements Logger {
  readonly records: LogRecord[] = [];
  debug(message: string, ...details: unknown[]): void {
    this.records.push({ level: 'debug', message, details });
  }
  info(message: string, ...details: unknown[]): void {
    this.records.push({ level: 'info', message, details });
  }
  warn(message: string, ...details: unknown[]): void {
    this.records.push({ level: 'warn', message, details });
  }
  error(message: string, ...details: unknown[]): void {
    this.records.push({ level: 'error', message, details });
  }
  /** Records of one level. */
  at(level: LogRecord['level']): LogRecord[] {
    return this.records.filter((r) => r.level === level);
  }
}

/** One pass of the main loop: when it started (wall clock, ms) and the wait it returned (ms, null = until woken). */
export interface Pass {
  at: number;
  wait: number | null;
}

/** An AsyncScheduler that records each pass of its main loop and the wait the pass returned. */
export class ProbedScheduler extends AsyncScheduler {
  readonly passes: Pass[] = [];

  protected override async processJobs(): Promise<number | null> {
    const startedAt = Date.now();
    const wait = await super.processJobs();
    this.passes.push({ at: startedAt, wait });
    return wait;
  }
}

/** The error a {@link FlakyStore} throws while an operation is made to fail. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly operation: string;
  constructor(operation: string) {
    super(`store unavailable (${operation})`);
    this.operation = operation;
  }
}

export type StoreOperation =
  | 'lookupJob'
  | 'getDueJobs'
  | 'getNextRunTime'
  | 'getAllJobs'
  | 'addJob'
  | 'updateJob'
  | 'removeJob'
  | 'removeAllJobs';

/**
 * A MemoryJobStore wrapper whose operations can be made to fail (throw
 * {@link StoreUnavailableError}) until healed, or for the next n calls. Counts
 * calls and failures per operation.
 */
export class FlakyStore implements JobStore {
  readonly inner = new MemoryJobStore();
  readonly calls = new Map<StoreOperation, number>();
  readonly failures = new Map<StoreOperation, number>();
  readonly #failing = new Set<StoreOperation>();
  readonly #failNext = new Map<StoreOperation, number>();

  /** Makes these operations fail until {@link heal}. */
  fail(...operations: StoreOperation[]): void {
    for (const op of operations) this.#failing.add(op);
  }

  /** Makes the next `count` calls of `operation` fail. */
  failNext(operation: StoreOperation, count: number): void {
    this.#failNext.set(operation, count);
  }

  /** Stops failing these operations (every operation when none given). */
  heal(...operations: StoreOperation[]): void {
    if (operations.length === 0) {
      this.#failing.clear();
      this.#failNext.clear();
    }
    for (const op of operations) {
      this.#failing.delete(op);
      this.#failNext.delete(op);
    }
  }

  callCount(operation: StoreOperation): number {
    return this.calls.get(operation) ?? 0;
  }

  failureCount(operation: StoreOperation): number {
    return this.failures.get(operation) ?? 0;
  }

  #enter(operation: StoreOperation): void {
    this.calls.set(operation, this.callCount(operation) + 1);
    const next = this.#failNext.get(operation) ?? 0;
    const failNow = this.#failing.has(operation) || next > 0;
    if (next > 0) this.#failNext.set(operation, next - 1);
    if (failNow) {
      this.failures.set(operation, this.failureCount(operation) + 1);
      throw new StoreUnavailableError(operation);
    }
  }

  start(context: StoreContext, alias: string): Promise<void> {
    return this.inner.start(context, alias);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  async lookupJob(id: string): Promise<Job | null> {
    this.#enter('lookupJob');
    return this.inner.lookupJob(id);
  }
  async getDueJobs(now: Date): Promise<Job[]> {
    this.#enter('getDueJobs');
    return this.inner.getDueJobs(now);
  }
  async getNextRunTime(): Promise<Date | null> {
    this.#enter('getNextRunTime');
    return this.inner.getNextRunTime();
  }
  async getAllJobs(): Promise<Job[]> {
    this.#enter('getAllJobs');
    return this.inner.getAllJobs();
  }
  async addJob(job: Job): Promise<void> {
    this.#enter('addJob');
    return this.inner.addJob(job);
  }
  async updateJob(job: Job): Promise<void> {
    this.#enter('updateJob');
    return this.inner.updateJob(job);
  }
  async removeJob(id: string): Promise<void> {
    this.#enter('removeJob');
    return this.inner.removeJob(id);
  }
  async removeAllJobs(): Promise<void> {
    this.#enter('removeAllJobs');
    return this.inner.removeAllJobs();
  }
}

/** The error a {@link CountingTrigger} throws when its `breakWhen` says so. */
export class BrokenTriggerError extends Error {
  override name = 'BrokenTriggerError';
}

/**
 * Wraps a trigger, counting its getNextFireTime calls; `breakWhen` (when set)
 * makes a call throw {@link BrokenTriggerError}.
 */
export class CountingTrigger implements Trigger {
  calls = 0;
  breakWhen: ((previous: Date | null, now: Date) => boolean) | null = null;
  readonly inner: Trigger;

  constructor(inner: Trigger) {
    this.inner = inner;
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    this.calls++;
    if (this.breakWhen?.(previousFireTime, now)) {
      throw new BrokenTriggerError('the trigger cannot compute its next fire time');
    }
    return this.inner.getNextFireTime(previousFireTime, now);
  }
  toJSON(): TriggerJSON {
    return this.inner.toJSON();
  }
  toString(): string {
    return `counting(${String(this.inner)})`;
  }
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves after `ms` of (fake) time: for job functions that take a while. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
