/**
 * What the pool executors do when a pool cannot make progress by itself, on
 * real worker threads (piscina) and real child processes (tinypool): workers
 * that cannot start fail the runs waiting for them with a WorkerStartError
 * and release their slots, instead of keeping them queued forever; runs queued
 * behind a worker that died or was stopped get a replacement worker without
 * waiting for another run to come; and work a run leaves behind keeps seeing
 * its own run in `currentJob()`.
 *
 * Workers that cannot start: a thread whose heap limit is too small for it to
 * boot (ERR_WORKER_OUT_OF_MEMORY), a child process whose `--import` throws.
 * The failing child processes print their error on the standard error the
 * pool passes on to ours: the tests capture it and check that it is the error
 * they provoked.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerStartError } from '../../src/executors/worker/envelope.ts';
import type { Executor } from '../../src/extend.ts';
import {
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  JobTimeoutError,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  WorkerCrashedError,
} from '../../src/index.ts';
import { POOL_JOBS_MODULE } from '../fixtures/pool-executor-jobs.ts';
import { captureStderr, type StderrCapture } from '../helpers/capture-stderr.ts';
import {
  CONTRACT_EXECUTOR_ALIAS,
  type ContractJob,
  makeContractJob,
  RecordingContext,
  waitForEvents,
  waitUntil,
} from './executor-contract.ts';

type PoolKind = 'threads' | 'processes';

const ref = (name: string): ContractJob => ({
  func: () => undefined,
  funcRef: `${POOL_JOBS_MODULE}:${name}`,
});

/**
 * A pool executor whose workers die while starting. A thread gets a heap of
 * 4 MB: too small for Node to boot a worker in, large enough for V8 to set
 * its isolate up (from Node 22 on, a heap of 2 MB or less cannot even hold
 * the isolate's snapshot, and V8 aborts the whole process).
 */
function failingToStart(kind: PoolKind, preload: readonly string[] = []): Executor {
  return kind === 'threads'
    ? new ThreadPoolExecutor({
        maxWorkers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
        preload,
      })
    : new ProcessPoolExecutor({
        maxWorkers: 1,
        execArgv: ['--import', 'data:text/javascript,throw new Error("the runner cannot load")'],
        preload,
      });
}

/** What a worker that cannot start prints on its standard error (threads print nothing). */
const START_FAILURE_REPORT: Record<PoolKind, string | null> = {
  threads: null,
  processes: 'Error: the runner cannot load',
};

/** A one-worker pool executor with the pool jobs loaded. */
function oneWorker(kind: PoolKind): Executor {
  const options = { maxWorkers: 1, abortGracePeriod: 0.2, preload: [POOL_JOBS_MODULE] };
  return kind === 'threads'
    ? new ThreadPoolExecutor(options)
    : new ProcessPoolExecutor({ ...options, killGracePeriod: 0.5 });
}

async function started(executor: Executor): Promise<RecordingContext> {
  const context = new RecordingContext();
  await executor.start(context, CONTRACT_EXECUTOR_ALIAS);
  return context;
}

describe.each<PoolKind>(['threads', 'processes'])('a %s pool', (kind) => {
  let observationDir: string;

  beforeAll(() => {
    observationDir = mkdtempSync(join(tmpdir(), `horarium-pool-recovery-${kind}-`));
  });

  afterAll(() => {
    rmSync(observationDir, { recursive: true, force: true });
  });

  /** A child process that cannot start prints why: check that it is the error provoked. */
  async function expectStartFailureReport(stderr: StderrCapture): Promise<void> {
    const report = START_FAILURE_REPORT[kind];
    if (report !== null) await stderr.waitFor(report);
  }

  it('fails the runs waiting for workers that cannot start with a WorkerStartError and releases their slots', async () => {
    const stderr = captureStderr();
    const executor = failingToStart(kind);
    try {
      const context = await started(executor);
      const first = makeContractJob(ref('returnsValue'), ['first'], { maxInstances: 1 });
      const queued = makeContractJob(ref('returnsValue'), ['queued behind it']);
      executor.submitJob(first, [new Date()]);
      executor.submitJob(queued, [new Date()]);
      for (const job of [first, queued]) {
        const [event] = await waitForEvents(context, job.id, 1, 15_000);
        expect(event?.code).toBe(EVENT_JOB_ERROR);
        expect(event?.exception).toBeInstanceOf(WorkerStartError);
        const error = event?.exception as WorkerStartError;
        expect(error.jobId).toBe(job.id);
        expect(error.message).toContain(`Job "${job.id}"`);
        expect(error.message).toContain('could not start');
        expect(error.cause).toBeInstanceOf(Error);
      }
      await waitUntil(
        () =>
          executor.runningInstances(first.id) === 0 && executor.runningInstances(queued.id) === 0,
        'both slots to be released',
      );
      // The next run tries workers afresh, and is reported the same way.
      executor.submitJob(first, [new Date()]);
      const events = await waitForEvents(context, first.id, 2, 15_000);
      expect(events[1]?.exception).toBeInstanceOf(WorkerStartError);
      await waitUntil(() => executor.runningInstances(first.id) === 0, 'the slot to be released');
      await expectStartFailureReport(stderr);
    } finally {
      await executor.shutdown({ wait: false });
      stderr.stop();
    }
  }, 40_000);

  it('rejects start() with a WorkerStartError when its preloading workers cannot start', async () => {
    const stderr = captureStderr();
    const executor = failingToStart(kind, [POOL_JOBS_MODULE]);
    try {
      await expect(executor.start(new RecordingContext(), CONTRACT_EXECUTOR_ALIAS)).rejects.toThrow(
        WorkerStartError,
      );
      await expectStartFailureReport(stderr);
    } finally {
      await executor.shutdown({ wait: false });
      stderr.stop();
    }
  }, 40_000);

  it('runs a job queued behind a worker that exits on a replacement worker', async () => {
    const executor = oneWorker(kind);
    const context = await started(executor);
    try {
      const crash = makeContractJob(ref('exitsWorker'), []);
      const queued = makeContractJob(ref('returnsValue'), ['after the crash']);
      executor.submitJob(crash, [new Date()]);
      executor.submitJob(queued, [new Date()]);
      const [crashed] = await waitForEvents(context, crash.id, 1, 15_000);
      expect(crashed?.exception).toBeInstanceOf(WorkerCrashedError);
      const [after] = await waitForEvents(context, queued.id, 1, 15_000);
      expect(after?.code).toBe(EVENT_JOB_EXECUTED);
      expect(after?.retval).toBe('after the crash');
    } finally {
      await executor.shutdown({ wait: false });
    }
  }, 40_000);

  it('runs a job queued behind a run stopped at its timeout on a replacement worker', async () => {
    const executor = oneWorker(kind);
    const context = await started(executor);
    try {
      const stuck = makeContractJob(ref('loopsForever'), [], { timeout: 0.3 });
      const queued = makeContractJob(ref('returnsValue'), ['after the stop']);
      executor.submitJob(stuck, [new Date()]);
      executor.submitJob(queued, [new Date()]);
      const [timedOut] = await waitForEvents(context, stuck.id, 1, 15_000);
      expect(timedOut?.exception).toBeInstanceOf(JobTimeoutError);
      const [after] = await waitForEvents(context, queued.id, 1, 15_000);
      expect(after?.code).toBe(EVENT_JOB_EXECUTED);
      expect(after?.retval).toBe('after the stop');
    } finally {
      await executor.shutdown({ wait: false });
    }
  }, 40_000);

  it('keeps currentJob() of a run for the work it leaves behind while another run is in progress', async () => {
    const executor = oneWorker(kind);
    const context = await started(executor);
    try {
      // The first run in the worker that asks for its current job.
      const asks = makeContractJob(ref('reportsCurrentJob'), [10]);
      executor.submitJob(asks, [new Date()]);
      const [asked] = await waitForEvents(context, asks.id, 1, 10_000);
      expect(asked?.retval).toMatchObject({ id: asks.id });
      const file = join(observationDir, 'left-behind.json');
      const leaves = makeContractJob(ref('leavesTimerBehind'), [file, 100]);
      executor.submitJob(leaves, [new Date()]);
      const [left] = await waitForEvents(context, leaves.id, 1, 10_000);
      expect(left?.retval).toBe(leaves.id);
      // The timer fires while this run is in progress in the same worker.
      const busy = makeContractJob(ref('sleeps'), [600]);
      executor.submitJob(busy, [new Date()]);
      await waitForEvents(context, busy.id, 1, 10_000);
      await waitUntil(() => existsSync(file), 'the timer left behind to write its observation');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ id: leaves.id });
    } finally {
      await executor.shutdown({ wait: false });
    }
  }, 40_000);
});
