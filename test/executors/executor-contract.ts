/**
 * The executor contract (SPEC.md "Executors", APScheduler reference §1.8 and
 * §4.1), written once and run against every executor:
 * `describeExecutorContract('threadpool', () => new ThreadPoolExecutor(), jobs)`
 * in that executor's test file is all a new executor needs.
 *
 * Pool executors can only run functions by textual reference, so the suite never
 * uses closures: the caller supplies every job function it needs as a
 * {@link ContractJobs} (a function plus, where the executor needs one, its
 * `'module:export'` reference; test/fixtures/executor-jobs.ts provides them all).
 * Arguments and return values are JSON, and what a job observes about its signal
 * travels through a file, so the suite holds for threads and processes alike.
 *
 * Real timers with generous bounds throughout: the same assertions must hold for
 * worker threads and child processes, which take time to start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Executor,
  type ExecutorContext,
  type FireChange,
  MaxInstancesReachedError,
  type RunFire,
} from '../../src/extend.ts';
import {
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_LEASE_LOST,
  EVENT_JOB_MISSED,
  IntervalTrigger,
  Job,
  JobCancelledError,
  JobExecutionEvent,
  type JobFunction,
  type JobState,
  JobTimeoutError,
  LeaseLostError,
  type SchedulerEvent,
  silentLogger,
} from '../../src/index.ts';
import type { JobOwner } from '../../src/jobs/job.ts';
import { getZone } from '../../src/time/zone.ts';
import type { AbortObservation, CurrentJobReport, SleepReport } from '../fixtures/executor-jobs.ts';

/** One job function as an executor can run it: the function, and its textual reference when it has one. */
export interface ContractJob {
  func: JobFunction;
  funcRef: string | null;
}

/**
 * The job functions the contract runs, with the behaviour (and arguments) of
 * those in test/fixtures/executor-jobs.ts.
 */
export interface ContractJobs {
  /** `(value: JSON) => value`. */
  returnsValue: ContractJob;
  /** `(message, code, causeMessage) => never`: throws an Error named `ContractError` with `code` and `cause: Error(causeMessage)`. */
  throwsWithCode: ContractJob;
  /** `(ms) => Promise<{ startedAt, finishedAt }>` (epoch ms); ignores the signal. */
  sleeps: ContractJob;
  /** `(observationFile, maxMs)`: on abort writes `{ aborted, reasonName, reasonMessage }` to the file and rejects with the reason; else resolves after maxMs. */
  waitsForAbort: ContractJob;
  /** `(ms) => Promise<'finished'>`: runs `ms` milliseconds without ever looking at the signal. */
  ignoresAbort: ContractJob;
  /** `(delayMs) => Promise<{ id, scheduledRunTime (ISO), signalAborted, signalIsAbortSignal, fireId, fencingToken, recovering }>`, read from `currentJob()` after the delay. */
  reportsCurrentJob: ContractJob;
}

/** The names of the functions a {@link ContractJobs} holds. */
export type ContractJobName = keyof ContractJobs;

/** `ContractJobs` from a module exporting the fixture functions, each with the reference `${moduleUrl}:${name}`. */
export function contractJobsFromModule(
  module: Record<ContractJobName, JobFunction>,
  moduleUrl: string,
): ContractJobs {
  const job = (name: ContractJobName): ContractJob => ({
    func: module[name],
    funcRef: `${moduleUrl}:${name}`,
  });
  return {
    returnsValue: job('returnsValue'),
    throwsWithCode: job('throwsWithCode'),
    sleeps: job('sleeps'),
    waitsForAbort: job('waitsForAbort'),
    ignoresAbort: job('ignoresAbort'),
    reportsCurrentJob: job('reportsCurrentJob'),
  };
}

/** The alias the contract starts executors under. */
export const CONTRACT_EXECUTOR_ALIAS = 'contract';

function unused(): never {
  throw new Error('The executor contract never calls back into the scheduler');
}

/** The scheduler a job delegates to; executors never call it. */
export const stubOwner: JobOwner = {
  zone: getZone('UTC'),
  modifyJob: unused,
  rescheduleJob: unused,
  pauseJob: unused,
  resumeJob: unused,
  removeJob: unused,
};

let jobCounter = 0;

/** A job in store `'default'` running `target` with `args`; `overrides` replace any other field. */
export function makeContractJob(
  target: ContractJob,
  args: unknown[],
  overrides: Partial<JobState> = {},
): Job {
  jobCounter += 1;
  const id = overrides.id ?? `contract-job-${jobCounter}`;
  const state: JobState = {
    id,
    name: id,
    func: target.func,
    funcRef: target.funcRef,
    args,
    trigger: new IntervalTrigger({ minutes: 5, startDate: Date.now(), timezone: 'UTC' }),
    executor: CONTRACT_EXECUTOR_ALIAS,
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: null,
    timeout: null,
    recover: false,
    history: 'all',
    nextRunTime: null,
    ...overrides,
  };
  return new Job(stubOwner, state, 'default');
}

/** An executor context that records every dispatched event; the clock is `Date.now()`. */
export class RecordingContext implements ExecutorContext {
  readonly logger = silentLogger;
  readonly events: SchedulerEvent[] = [];
  /** `Date.now()` when each event was dispatched, parallel to `events`. */
  readonly dispatchedAt: number[] = [];
  /** Every fire start and outcome reported, in order. */
  readonly fireChanges: FireChange[] = [];

  fireChanged(change: FireChange): void {
    this.fireChanges.push(change);
  }

  now(): number {
    return Date.now();
  }

  dispatch(event: SchedulerEvent): void {
    this.events.push(event);
    this.dispatchedAt.push(Date.now());
  }

  wants(_mask: number): boolean {
    return true;
  }

  /** The execution events (executed, error, missed) about this job, in dispatch order. */
  executionEvents(jobId: string): JobExecutionEvent[] {
    return this.events.filter(
      (event): event is JobExecutionEvent =>
        event instanceof JobExecutionEvent && event.jobId === jobId,
    );
  }

  /** When the `index`-th execution event of this job was dispatched. */
  dispatchTime(jobId: string, index: number): number {
    const event = this.executionEvents(jobId)[index];
    const at = event === undefined ? undefined : this.dispatchedAt[this.events.indexOf(event)];
    if (at === undefined) throw new Error(`No execution event #${index} for job ${jobId}`);
    return at;
  }
}

/** Polls `probe` every 5 ms until it returns true; fails after `timeoutMs`. */
export async function waitUntil(
  probe: () => boolean,
  what: string,
  timeoutMs = 2000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Waits until `context` holds at least `count` execution events about `jobId` and returns them. */
export async function waitForEvents(
  context: RecordingContext,
  jobId: string,
  count: number,
  timeoutMs = 2000,
): Promise<JobExecutionEvent[]> {
  await waitUntil(
    () => context.executionEvents(jobId).length >= count,
    `${count} execution event(s) of job ${jobId}`,
    timeoutMs,
  );
  return context.executionEvents(jobId);
}

function codes(events: readonly JobExecutionEvent[]): number[] {
  return events.map((event) => event.code);
}

function eventAt(events: readonly JobExecutionEvent[], index: number): JobExecutionEvent {
  const event = events[index];
  if (event === undefined) throw new Error(`No event #${index} (${events.length} events)`);
  return event;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * Registers the contract suite for one executor. `makeExecutor` returns a new,
 * not yet started executor; the suite starts it with a {@link RecordingContext}
 * and shuts it down after each test.
 */
export function describeExecutorContract(
  name: string,
  makeExecutor: () => Executor,
  jobs: ContractJobs,
): void {
  describe(`executor contract: ${name}`, () => {
    let executor: Executor;
    let context: RecordingContext;
    let shutDown: boolean;
    let observationDir: string;
    let observationCounter = 0;

    beforeAll(() => {
      observationDir = mkdtempSync(join(tmpdir(), 'horarium-executor-contract-'));
    });

    afterAll(() => {
      rmSync(observationDir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      executor = makeExecutor();
      context = new RecordingContext();
      shutDown = false;
      await executor.start(context, CONTRACT_EXECUTOR_ALIAS);
    });

    afterEach(async () => {
      if (!shutDown) await executor.shutdown({ wait: false });
    });

    async function shutdown(options?: { wait?: boolean; timeout?: number }): Promise<void> {
      shutDown = true;
      await executor.shutdown(options);
    }

    function observationFile(): string {
      observationCounter += 1;
      return join(observationDir, `abort-${observationCounter}.json`);
    }

    async function readObservation(file: string): Promise<AbortObservation> {
      await waitUntil(() => existsSync(file), `the job to record its abort in ${file}`);
      // The file may be seen before the job finished writing it (another thread or process).
      let observation: AbortObservation | undefined;
      await waitUntil(() => {
        try {
          observation = JSON.parse(readFileSync(file, 'utf8')) as AbortObservation;
          return true;
        } catch {
          return false;
        }
      }, `a complete observation in ${file}`);
      return observation as AbortObservation;
    }

    describe('running a batch', () => {
      it('runs the function and reports EVENT_JOB_EXECUTED with its return value', async () => {
        const value = { text: 'hello', n: 42, list: [1, 'two', null], nested: { ok: true } };
        const job = makeContractJob(jobs.returnsValue, [value]);
        const runTime = new Date(Date.now() - 10);
        executor.submitJob(job, [runTime]);
        const events = await waitForEvents(context, job.id, 1);
        await sleep(50);
        expect(context.executionEvents(job.id)).toHaveLength(1);
        const event = eventAt(events, 0);
        expect(event.code).toBe(EVENT_JOB_EXECUTED);
        expect(event.jobId).toBe(job.id);
        expect(event.jobstore).toBe('default');
        expect(event.scheduledRunTime.getTime()).toBe(runTime.getTime());
        expect(event.retval).toEqual(value);
        expect(event.exception).toBeUndefined();
        expect(event.traceback).toBeNull();
      });

      it('runs the function once per run time, in order, each run seeing its own run time', async () => {
        const job = makeContractJob(jobs.reportsCurrentJob, [0]);
        const now = Date.now();
        const runTimes = [new Date(now - 30), new Date(now - 20), new Date(now - 10)];
        executor.submitJob(job, runTimes);
        const events = await waitForEvents(context, job.id, 3);
        await sleep(50);
        expect(context.executionEvents(job.id)).toHaveLength(3);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        expect(events.map((event) => event.scheduledRunTime.getTime())).toEqual(
          runTimes.map((time) => time.getTime()),
        );
        expect(events.map((event) => (event.retval as CurrentJobReport).scheduledRunTime)).toEqual(
          runTimes.map((time) => time.toISOString()),
        );
      });

      it('awaits an asynchronous function and reports its resolved value', async () => {
        const job = makeContractJob(jobs.sleeps, [150]);
        const submittedAt = Date.now();
        executor.submitJob(job, [new Date()]);
        const events = await waitForEvents(context, job.id, 1);
        const event = eventAt(events, 0);
        expect(event.code).toBe(EVENT_JOB_EXECUTED);
        const report = event.retval as SleepReport;
        expect(report.finishedAt - report.startedAt).toBeGreaterThanOrEqual(140);
        expect(context.dispatchTime(job.id, 0) - submittedAt).toBeGreaterThanOrEqual(140);
      });

      it('returns from submitJob before a long run finishes', () => {
        const job = makeContractJob(jobs.sleeps, [300]);
        const before = Date.now();
        executor.submitJob(job, [new Date()]);
        expect(Date.now() - before).toBeLessThan(100);
        expect(context.executionEvents(job.id)).toHaveLength(0);
        expect(executor.runningInstances(job.id)).toBe(1);
      });

      it('starts each run of a batch only after the previous one finished', async () => {
        const job = makeContractJob(jobs.sleeps, [150]);
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 1), new Date(now)]);
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        const first = eventAt(events, 0).retval as SleepReport;
        const second = eventAt(events, 1).retval as SleepReport;
        expect(second.startedAt).toBeGreaterThanOrEqual(first.finishedAt);
        expect(eventAt(events, 0).scheduledRunTime.getTime()).toBe(now - 1);
        expect(eventAt(events, 1).scheduledRunTime.getTime()).toBe(now);
      });
    });

    describe('errors', () => {
      it('reports a thrown error as EVENT_JOB_ERROR keeping name, message, code and cause', async () => {
        const job = makeContractJob(jobs.throwsWithCode, [
          'the job failed',
          'E_CONTRACT',
          'the root cause',
        ]);
        const runTime = new Date(Date.now() - 5);
        executor.submitJob(job, [runTime]);
        const events = await waitForEvents(context, job.id, 1);
        const event = eventAt(events, 0);
        expect(event.code).toBe(EVENT_JOB_ERROR);
        expect(event.jobId).toBe(job.id);
        expect(event.jobstore).toBe('default');
        expect(event.scheduledRunTime.getTime()).toBe(runTime.getTime());
        expect(event.retval).toBeUndefined();
        const error = event.exception as Error & { code?: unknown };
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe('ContractError');
        expect(error.message).toBe('the job failed');
        expect(error.code).toBe('E_CONTRACT');
        expect(error.cause).toBeInstanceOf(Error);
        expect((error.cause as Error).message).toBe('the root cause');
        expect(typeof event.traceback).toBe('string');
        expect(event.traceback).toContain('the job failed');
      });

      it('keeps running the later run times of a batch after an error', async () => {
        const job = makeContractJob(jobs.throwsWithCode, ['again', 'E_AGAIN', 'cause']);
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 2), new Date(now - 1)]);
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_ERROR, EVENT_JOB_ERROR]);
        expect(events.map((event) => event.scheduledRunTime.getTime())).toEqual([now - 2, now - 1]);
      });
    });

    describe('misfire grace time (checked when each run starts)', () => {
      it('reports run times later than the grace time as EVENT_JOB_MISSED without running them', async () => {
        const job = makeContractJob(jobs.reportsCurrentJob, [0], { misfireGraceTime: 1 });
        const now = Date.now();
        const runTimes = [new Date(now - 10_000), new Date(now - 5_000), new Date(now)];
        executor.submitJob(job, runTimes);
        const events = await waitForEvents(context, job.id, 3);
        await sleep(50);
        expect(context.executionEvents(job.id)).toHaveLength(3);
        expect(codes(events)).toEqual([EVENT_JOB_MISSED, EVENT_JOB_MISSED, EVENT_JOB_EXECUTED]);
        expect(events.map((event) => event.scheduledRunTime.getTime())).toEqual(
          runTimes.map((time) => time.getTime()),
        );
        for (const missed of events.slice(0, 2)) {
          expect(missed.jobstore).toBe('default');
          expect(missed.retval).toBeUndefined();
          expect(missed.exception).toBeUndefined();
        }
        // Only the last run time ran.
        expect((eventAt(events, 2).retval as CurrentJobReport).scheduledRunTime).toBe(
          new Date(now).toISOString(),
        );
      });

      it('runs every run time however late when the grace time is null', async () => {
        const job = makeContractJob(jobs.reportsCurrentJob, [0], { misfireGraceTime: null });
        const now = Date.now();
        const runTimes = [new Date(now - 86_400_000), new Date(now - 3_600_000)];
        executor.submitJob(job, runTimes);
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        expect(events.map((event) => (event.retval as CurrentJobReport).scheduledRunTime)).toEqual(
          runTimes.map((time) => time.toISOString()),
        );
      });

      it('checks the grace time when a run starts, not when the batch was submitted', async () => {
        // Both run times are 300 ms ahead with a 0.5 s grace: the first run starts in time;
        // the second can only start after the first's 1 s, 0.7 s late or more: missed.
        const job = makeContractJob(jobs.sleeps, [1000], { misfireGraceTime: 0.5 });
        const runTime = Date.now() + 300;
        executor.submitJob(job, [new Date(runTime), new Date(runTime)]);
        const events = await waitForEvents(context, job.id, 2, 3000);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_MISSED]);
        expect(context.dispatchTime(job.id, 1)).toBeGreaterThanOrEqual(
          (eventAt(events, 0).retval as SleepReport).finishedAt,
        );
      });
    });

    describe('maxInstances', () => {
      it('refuses a second batch while the first one runs (maxInstances 1)', async () => {
        const job = makeContractJob(jobs.sleeps, [300], { maxInstances: 1 });
        executor.submitJob(job, [new Date()]);
        expect(executor.runningInstances(job.id)).toBe(1);
        const error = thrown(() => executor.submitJob(job, [new Date()]));
        expect(error).toBeInstanceOf(MaxInstancesReachedError);
        expect((error as MaxInstancesReachedError).jobId).toBe(job.id);
        expect((error as MaxInstancesReachedError).maxInstances).toBe(1);
        expect(executor.runningInstances(job.id)).toBe(1);
        await waitForEvents(context, job.id, 1);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'the slot to be released');
        await sleep(50);
        // The refused batch never ran.
        expect(codes(context.executionEvents(job.id))).toEqual([EVENT_JOB_EXECUTED]);
      });

      it('counts a batch of several run times as one instance', async () => {
        const job = makeContractJob(jobs.sleeps, [150], { maxInstances: 2 });
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 2), new Date(now - 1), new Date(now)]);
        expect(executor.runningInstances(job.id)).toBe(1);
        executor.submitJob(job, [new Date(now)]);
        expect(executor.runningInstances(job.id)).toBe(2);
        expect(() => executor.submitJob(job, [new Date(now)])).toThrow(MaxInstancesReachedError);
        await waitForEvents(context, job.id, 4);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'both slots to be released');
      });

      it('releases the slot when the batch finishes', async () => {
        const job = makeContractJob(jobs.returnsValue, ['once'], { maxInstances: 1 });
        executor.submitJob(job, [new Date()]);
        await waitForEvents(context, job.id, 1);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'the slot to be released');
        executor.submitJob(job, [new Date()]);
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'the slot to be released');
      });

      it('releases the slot when the batch ends with an error', async () => {
        const job = makeContractJob(jobs.throwsWithCode, ['fails', 'E_FAIL', 'cause'], {
          maxInstances: 1,
        });
        executor.submitJob(job, [new Date()]);
        await waitForEvents(context, job.id, 1);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'the slot to be released');
        expect(() => executor.submitJob(job, [new Date()])).not.toThrow();
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_ERROR, EVENT_JOB_ERROR]);
      });

      it('lets maxInstances 2 run two batches at the same time, and refuses a third', async () => {
        const job = makeContractJob(jobs.sleeps, [400], { maxInstances: 2 });
        executor.submitJob(job, [new Date()]);
        executor.submitJob(job, [new Date()]);
        expect(executor.runningInstances(job.id)).toBe(2);
        const error = thrown(() => executor.submitJob(job, [new Date()]));
        expect(error).toBeInstanceOf(MaxInstancesReachedError);
        expect((error as MaxInstancesReachedError).maxInstances).toBe(2);
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        const [a, b] = events.map((event) => event.retval as SleepReport) as [
          SleepReport,
          SleepReport,
        ];
        // The two runs overlapped in time.
        expect(a.startedAt).toBeLessThan(b.finishedAt);
        expect(b.startedAt).toBeLessThan(a.finishedAt);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'both slots to be released');
      });

      it('counts instances per job id', async () => {
        const first = makeContractJob(jobs.sleeps, [200], { maxInstances: 1 });
        const second = makeContractJob(jobs.sleeps, [200], { maxInstances: 1 });
        expect(executor.runningInstances(first.id)).toBe(0);
        executor.submitJob(first, [new Date()]);
        expect(executor.runningInstances(first.id)).toBe(1);
        expect(executor.runningInstances(second.id)).toBe(0);
        expect(() => executor.submitJob(second, [new Date()])).not.toThrow();
        expect(executor.runningInstances(second.id)).toBe(1);
        expect(executor.runningInstances('no-such-job')).toBe(0);
        await waitForEvents(context, first.id, 1);
        await waitForEvents(context, second.id, 1);
      });
    });

    describe('timeout', () => {
      it('aborts the signal of a run that exceeds its timeout and reports EVENT_JOB_ERROR with a JobTimeoutError', async () => {
        const file = observationFile();
        const job = makeContractJob(jobs.waitsForAbort, [file, 5000], { timeout: 0.2 });
        const submittedAt = Date.now();
        executor.submitJob(job, [new Date()]);
        const events = await waitForEvents(context, job.id, 1, 3000);
        const elapsed = context.dispatchTime(job.id, 0) - submittedAt;
        expect(elapsed).toBeGreaterThanOrEqual(180);
        expect(elapsed).toBeLessThan(1500);
        const event = eventAt(events, 0);
        expect(event.code).toBe(EVENT_JOB_ERROR);
        expect(event.exception).toBeInstanceOf(JobTimeoutError);
        expect((event.exception as JobTimeoutError).jobId).toBe(job.id);
        expect((event.exception as JobTimeoutError).timeout).toBe(0.2);
        expect(typeof event.traceback).toBe('string');
        const observation = await readObservation(file);
        expect(observation.aborted).toBe(true);
        expect(observation.reasonName).toBe('JobTimeoutError');
        expect(observation.reasonMessage).toBe((event.exception as JobTimeoutError).message);
        await waitUntil(() => executor.runningInstances(job.id) === 0, 'the slot to be released');
      });

      it('reports a run that ignores its signal at the timeout and releases its slot', async () => {
        const job = makeContractJob(jobs.ignoresAbort, [1500], { timeout: 0.2, maxInstances: 1 });
        const submittedAt = Date.now();
        executor.submitJob(job, [new Date()]);
        const events = await waitForEvents(context, job.id, 1, 3000);
        const elapsed = context.dispatchTime(job.id, 0) - submittedAt;
        expect(elapsed).toBeGreaterThanOrEqual(180);
        expect(elapsed).toBeLessThan(1000);
        expect(eventAt(events, 0).code).toBe(EVENT_JOB_ERROR);
        expect(eventAt(events, 0).exception).toBeInstanceOf(JobTimeoutError);
        await waitUntil(
          () => executor.runningInstances(job.id) === 0,
          'the slot of the timed-out run to be released',
          500,
        );
        // Right away, long before the ignoring function would have finished.
        const again = makeContractJob(jobs.returnsValue, ['after timeout'], {
          id: job.id,
          maxInstances: 1,
        });
        executor.submitJob(again, [new Date()]);
        const after = await waitForEvents(context, job.id, 2);
        expect(codes(after)).toEqual([EVENT_JOB_ERROR, EVENT_JOB_EXECUTED]);
        expect(eventAt(after, 1).retval).toBe('after timeout');
        expect(Date.now() - submittedAt).toBeLessThan(1500);
        await sleep(100);
        // The timed-out run is never reported a second time.
        expect(context.executionEvents(job.id)).toHaveLength(2);
      });

      it('applies the timeout to each run of a batch, not to the whole batch', async () => {
        const job = makeContractJob(jobs.sleeps, [150], { timeout: 0.5 });
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 2), new Date(now - 1), new Date(now)]);
        const events = await waitForEvents(context, job.id, 3, 3000);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
      });
    });

    describe('currentJob()', () => {
      it('gives the running job its id, scheduled run time and a live signal', async () => {
        const job = makeContractJob(jobs.reportsCurrentJob, [20]);
        const runTime = new Date(Date.now() - 1234);
        executor.submitJob(job, [runTime]);
        const events = await waitForEvents(context, job.id, 1);
        const event = eventAt(events, 0);
        expect(event.code).toBe(EVENT_JOB_EXECUTED);
        const report = event.retval as CurrentJobReport;
        expect(report).toEqual({
          id: job.id,
          scheduledRunTime: runTime.toISOString(),
          signalAborted: false,
          signalIsAbortSignal: true,
          fireId: report.fireId,
          fencingToken: 0,
          recovering: false,
        } satisfies CurrentJobReport);
        // A run without a ledger fire still has an id of its own.
        expect(report.fireId).toMatch(/^[0-9a-f]{32}$/);
        expect(event.fireId).toBeNull();
      });
    });

    describe('fires (jobs of a store several schedulers share)', () => {
      const fire = (n: number, fencingToken = 7, recovering = false): RunFire => ({
        fireId: `fire-${n}-${Math.random().toString(16).slice(2)}`,
        fencingToken,
        recovering,
      });
      const changes = (jobId: string) =>
        context.fireChanges
          .filter((change) => change.job.id === jobId)
          .map((change) => `${change.fireId}:${change.state}`);

      it('gives each run its fire in currentJob(), and reports every start and outcome', async () => {
        const job = makeContractJob(jobs.reportsCurrentJob, [0]);
        const now = Date.now();
        const fires = [fire(1, 7), fire(2, 7, true)];
        executor.submitJob(job, [new Date(now - 2), new Date(now - 1)], { fires });
        const events = await waitForEvents(context, job.id, 2);
        expect(codes(events)).toEqual([EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]);
        expect(events.map((event) => event.fireId)).toEqual(fires.map((f) => f.fireId));
        expect(events.map((event) => event.retval)).toMatchObject([
          { fireId: fires[0]?.fireId, fencingToken: 7, recovering: false },
          { fireId: fires[1]?.fireId, fencingToken: 7, recovering: true },
        ]);
        expect(changes(job.id)).toEqual([
          `${fires[0]?.fireId}:running`,
          `${fires[0]?.fireId}:succeeded`,
          `${fires[1]?.fireId}:running`,
          `${fires[1]?.fireId}:succeeded`,
        ]);
      });

      it('records a failure with its error, and a run past its grace time as missed (never started)', async () => {
        const failing = makeContractJob(jobs.throwsWithCode, ['boom', 'E_X', 'inner']);
        const f1 = fire(1);
        executor.submitJob(failing, [new Date()], { fires: [f1] });
        await waitForEvents(context, failing.id, 1);
        await waitUntil(() => changes(failing.id).length === 2, 'the failure to be recorded');
        expect(changes(failing.id)).toEqual([`${f1.fireId}:running`, `${f1.fireId}:failed`]);
        const failed = context.fireChanges.find((change) => change.state === 'failed');
        expect(failed?.error).toMatchObject({ message: 'boom' });

        const late = makeContractJob(jobs.returnsValue, [1], { misfireGraceTime: 1 });
        const f2 = fire(2);
        executor.submitJob(late, [new Date(Date.now() - 10_000)], { fires: [f2] });
        await waitForEvents(context, late.id, 1);
        expect(changes(late.id)).toEqual([`${f2.fireId}:missed`]);
      });

      it('judges the grace time by the store clock the fires were claimed with (clockSkewMs)', async () => {
        // This host's clock is 5 s ahead of the store's: a run due now by the store's clock is on time.
        const job = makeContractJob(jobs.returnsValue, [1], { misfireGraceTime: 1 });
        const f1 = fire(1);
        executor.submitJob(job, [new Date(Date.now() - 5000)], {
          fires: [f1],
          clockSkewMs: 5000,
        });
        const [event] = await waitForEvents(context, job.id, 1);
        expect(event?.code).toBe(EVENT_JOB_EXECUTED);
      });

      it('records a run that exceeds its timeout as timed_out', async () => {
        const job = makeContractJob(jobs.waitsForAbort, [observationFile(), 5000], {
          timeout: 0.2,
        });
        const f1 = fire(1);
        executor.submitJob(job, [new Date()], { fires: [f1] });
        await waitForEvents(context, job.id, 1, 5000);
        expect(changes(job.id)).toEqual([`${f1.fireId}:running`, `${f1.fireId}:timed_out`]);
      });

      it('abortFire ends a running fire with its reason: EVENT_JOB_LEASE_LOST, and no outcome recorded', async () => {
        const file = observationFile();
        const job = makeContractJob(jobs.waitsForAbort, [file, 5000]);
        const f1 = fire(1);
        executor.submitJob(job, [new Date()], { fires: [f1] });
        await waitUntil(() => changes(job.id).length === 1, 'the run to start');
        const reason = new LeaseLostError(job.id, f1.fireId, 'taken over');
        expect(executor.abortFire?.(job.id, f1.fireId, reason)).toBe(true);
        const [event] = await waitForEvents(context, job.id, 1, 5000);
        expect(event?.code).toBe(EVENT_JOB_LEASE_LOST);
        expect(event?.exception).toBe(reason);
        expect(event?.fireId).toBe(f1.fireId);
        const observation = await readObservation(file);
        expect(observation).toMatchObject({ aborted: true, reasonName: 'LeaseLostError' });
        expect(changes(job.id)).toEqual([`${f1.fireId}:running`]);
        expect(executor.runningInstances(job.id)).toBe(0);
        expect(executor.abortFire?.(job.id, f1.fireId, reason)).toBe(false);
      });

      it('abortFire drops a fire whose turn has not come; the batch runs the others', async () => {
        const job = makeContractJob(jobs.sleeps, [200]);
        const fires = [fire(1), fire(2), fire(3)];
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 3), new Date(now - 2), new Date(now - 1)], {
          fires,
        });
        const second = fires[1] as RunFire;
        const reason = new LeaseLostError(job.id, second.fireId, 'taken over');
        expect(executor.abortFire?.(job.id, second.fireId, reason)).toBe(true);
        const events = await waitForEvents(context, job.id, 3, 5000);
        expect(codes(events)).toEqual([
          EVENT_JOB_LEASE_LOST,
          EVENT_JOB_EXECUTED,
          EVENT_JOB_EXECUTED,
        ]);
        expect(changes(job.id)).not.toContain(`${second.fireId}:running`);
        expect(changes(job.id)).toContain(`${fires[2]?.fireId}:succeeded`);
      });

      it('a shutdown that does not wait records the fires it will not start as cancelled', async () => {
        const job = makeContractJob(jobs.waitsForAbort, [observationFile(), 5000]);
        const fires = [fire(1), fire(2)];
        executor.submitJob(job, [new Date(), new Date()], { fires });
        await waitUntil(() => changes(job.id).length === 1, 'the first run to start');
        await shutdown({ wait: false });
        await waitUntil(() => changes(job.id).length === 3, 'both fires to end');
        expect(changes(job.id).sort()).toEqual(
          [
            `${fires[0]?.fireId}:running`,
            `${fires[0]?.fireId}:cancelled`,
            `${fires[1]?.fireId}:cancelled`,
          ].sort(),
        );
      });

      it('refuses a fire list that does not match the run times', () => {
        const job = makeContractJob(jobs.returnsValue, [1]);
        expect(() => executor.submitJob(job, [new Date()], { fires: [fire(1), fire(2)] })).toThrow(
          RangeError,
        );
      });
    });

    describe('shutdown', () => {
      it('with wait: true, resolves once the running job has finished', async () => {
        const job = makeContractJob(jobs.sleeps, [400]);
        const started = Date.now();
        executor.submitJob(job, [new Date()]);
        await shutdown({ wait: true });
        expect(Date.now() - started).toBeGreaterThanOrEqual(380);
        expect(codes(context.executionEvents(job.id))).toEqual([EVENT_JOB_EXECUTED]);
        expect(executor.runningInstances(job.id)).toBe(0);
      });

      it('with wait: true and a timeout, resolves as soon as the jobs finished', async () => {
        const job = makeContractJob(jobs.sleeps, [100]);
        const started = Date.now();
        executor.submitJob(job, [new Date()]);
        await shutdown({ wait: true, timeout: 1.5 });
        expect(Date.now() - started).toBeLessThan(1000);
        expect(codes(context.executionEvents(job.id))).toEqual([EVENT_JOB_EXECUTED]);
      });

      it('with wait: false, resolves promptly and aborts the running job with a JobCancelledError', async () => {
        const file = observationFile();
        const job = makeContractJob(jobs.waitsForAbort, [file, 5000]);
        executor.submitJob(job, [new Date()]);
        await sleep(50);
        const started = Date.now();
        await shutdown({ wait: false });
        expect(Date.now() - started).toBeLessThan(500);
        const observation = await readObservation(file);
        expect(observation.aborted).toBe(true);
        expect(observation.reasonName).toBe('JobCancelledError');
      });

      it('with wait: true and a timeout, aborts a job still running at the timeout with a JobCancelledError', async () => {
        const file = observationFile();
        const job = makeContractJob(jobs.waitsForAbort, [file, 5000]);
        executor.submitJob(job, [new Date()]);
        await sleep(50);
        const started = Date.now();
        await shutdown({ wait: true, timeout: 0.3 });
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(280);
        expect(elapsed).toBeLessThan(1500);
        const observation = await readObservation(file);
        expect(observation.aborted).toBe(true);
        expect(observation.reasonName).toBe('JobCancelledError');
        const events = context.executionEvents(job.id);
        // If the cancelled run is reported, it is as an error, never as executed.
        expect(codes(events).filter((code) => code !== EVENT_JOB_ERROR)).toEqual([]);
        for (const event of events) expect(event.exception).toBeInstanceOf(JobCancelledError);
      });

      it('with wait: true and a timeout, resolves at the timeout even when the job ignores its signal', async () => {
        const job = makeContractJob(jobs.ignoresAbort, [3000]);
        executor.submitJob(job, [new Date()]);
        await sleep(50);
        const started = Date.now();
        await shutdown({ wait: true, timeout: 0.3 });
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(280);
        expect(elapsed).toBeLessThan(1500);
        expect(codes(context.executionEvents(job.id))).not.toContain(EVENT_JOB_EXECUTED);
      });

      it('resolves promptly when nothing is running', async () => {
        const started = Date.now();
        await shutdown({ wait: true });
        expect(Date.now() - started).toBeLessThan(500);
      });

      it('refuses jobs submitted after shutdown and runs nothing', async () => {
        await shutdown({ wait: true });
        const job = makeContractJob(jobs.returnsValue, ['too late']);
        expect(() => executor.submitJob(job, [new Date()])).toThrow();
        await sleep(50);
        expect(context.executionEvents(job.id)).toHaveLength(0);
        expect(executor.runningInstances(job.id)).toBe(0);
      });
    });
  });
}
