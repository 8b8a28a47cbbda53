/**
 * AsyncExecutor: the executor contract, plus what only the in-process executor
 * promises — a function starts synchronously inside submitJob, closures work,
 * any thrown value is reported, the `horarium:job` tracing channel, and no
 * unhandled rejection whatever a job does after it was given up on.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  currentJob,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MISSED,
  type JobFunction,
  JobTimeoutError,
  jobRunChannel,
} from '../../src/index.ts';
import * as executorJobs from '../fixtures/executor-jobs.ts';
import {
  CONTRACT_EXECUTOR_ALIAS,
  type ContractJob,
  contractJobsFromModule,
  describeExecutorContract,
  makeContractJob,
  RecordingContext,
  waitForEvents,
} from './executor-contract.ts';

const jobs = contractJobsFromModule(executorJobs, executorJobs.EXECUTOR_JOBS_MODULE);

describeExecutorContract('AsyncExecutor', () => new AsyncExecutor(), jobs);

/** A closure as a contract job: the async executor keeps functions by reference. */
function closure(func: JobFunction): ContractJob {
  return { func, funcRef: null };
}

interface TraceContext {
  jobId: string;
  scheduledRunTime: Date;
  executor: string;
  jobstore: string | null;
  result?: unknown;
  error?: unknown;
}

describe('AsyncExecutor', () => {
  let executor: AsyncExecutor;
  let context: RecordingContext;
  let unhandled: ReturnType<typeof vi.fn<(reason: unknown) => void>>;

  beforeEach(async () => {
    unhandled = vi.fn<(reason: unknown) => void>();
    process.on('unhandledRejection', unhandled);
    executor = new AsyncExecutor();
    context = new RecordingContext();
    await executor.start(context, CONTRACT_EXECUTOR_ALIAS);
  });

  afterEach(async () => {
    await executor.shutdown({ wait: false });
    // Let any late rejection surface before the listener goes.
    await sleep(20);
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });

  describe('running functions in the event loop', () => {
    it('calls a synchronous function before submitJob returns', () => {
      const calls: unknown[][] = [];
      const job = makeContractJob(
        closure((...args: unknown[]) => {
          calls.push(args);
          return currentJob()?.id;
        }),
        ['a', 1],
      );
      executor.submitJob(job, [new Date()]);
      expect(calls).toEqual([['a', 1]]);
    });

    it('gives a synchronous function its currentJob()', async () => {
      let seen: string | undefined;
      const runTime = new Date(Date.now() - 100);
      const job = makeContractJob(
        closure(() => {
          const current = currentJob();
          seen = `${current?.id} ${current?.scheduledRunTime.toISOString()}`;
        }),
        [],
      );
      executor.submitJob(job, [runTime]);
      expect(seen).toBe(`${job.id} ${runTime.toISOString()}`);
      expect(currentJob()).toBeUndefined();
      await waitForEvents(context, job.id, 1);
    });

    it('reports a synchronous batch, missed run times and runs, before submitJob returns', () => {
      const job = makeContractJob(
        closure(() => 'ran'),
        [],
        { misfireGraceTime: 1 },
      );
      const now = Date.now();
      executor.submitJob(job, [new Date(now - 5000), new Date(now - 4000), new Date(now)]);
      expect(context.executionEvents(job.id).map((event) => event.code)).toEqual([
        EVENT_JOB_MISSED,
        EVENT_JOB_MISSED,
        EVENT_JOB_EXECUTED,
      ]);
    });

    it('reports the run times already missed before submitJob returns when the job is asynchronous', () => {
      const job = makeContractJob(
        closure(async () => 'ran'),
        [],
        { misfireGraceTime: 1 },
      );
      const now = Date.now();
      executor.submitJob(job, [new Date(now - 5000), new Date(now - 4000), new Date(now)]);
      expect(context.executionEvents(job.id).map((event) => event.code)).toEqual([
        EVENT_JOB_MISSED,
        EVENT_JOB_MISSED,
      ]);
    });

    it('awaits a returned promise and reports its value, not the promise', async () => {
      let resolve: (value: string) => void = () => {};
      const job = makeContractJob(
        closure(
          () =>
            new Promise<string>((r) => {
              resolve = r;
            }),
        ),
        [],
      );
      executor.submitJob(job, [new Date()]);
      await sleep(50);
      expect(context.executionEvents(job.id)).toHaveLength(0);
      expect(executor.runningInstances(job.id)).toBe(1);
      resolve('resolved later');
      const events = await waitForEvents(context, job.id, 1);
      expect(events[0]?.code).toBe(EVENT_JOB_EXECUTED);
      expect(events[0]?.retval).toBe('resolved later');
    });

    it('runs a closure (functions are kept by reference)', async () => {
      let counter = 0;
      const job = makeContractJob(
        closure(() => ++counter),
        [],
      );
      const now = Date.now();
      executor.submitJob(job, [new Date(now - 2), new Date(now - 1), new Date(now)]);
      const events = await waitForEvents(context, job.id, 3);
      expect(events.map((event) => event.retval)).toEqual([1, 2, 3]);
      expect(counter).toBe(3);
    });
  });

  describe('thrown values that are not errors', () => {
    it.each([
      ['a string', 'boom'],
      ['a number', 42],
      ['null', null],
      ['an object', { reason: 'plain object' }],
    ])('reports a thrown %s as EVENT_JOB_ERROR with that exception', async (_label, value) => {
      const job = makeContractJob(
        closure(() => {
          throw value;
        }),
        [],
      );
      executor.submitJob(job, [new Date()]);
      const events = await waitForEvents(context, job.id, 1);
      expect(events[0]?.code).toBe(EVENT_JOB_ERROR);
      expect(events[0]?.exception).toBe(value);
      expect(typeof events[0]?.traceback).toBe('string');
    });

    it('includes the thrown string in the traceback', async () => {
      const job = makeContractJob(
        closure(() => {
          throw 'boom';
        }),
        [],
      );
      executor.submitJob(job, [new Date()]);
      const events = await waitForEvents(context, job.id, 1);
      expect(events[0]?.traceback).toContain('boom');
    });

    it('reports a promise rejected with a non-error value', async () => {
      const job = makeContractJob(
        closure(async () => {
          await sleep(10);
          throw 42;
        }),
        [],
      );
      executor.submitJob(job, [new Date()]);
      const events = await waitForEvents(context, job.id, 1);
      expect(events[0]?.code).toBe(EVENT_JOB_ERROR);
      expect(events[0]?.exception).toBe(42);
      expect(events[0]?.traceback).toContain('42');
    });
  });

  describe("the 'horarium:job' tracing channel", () => {
    const channel = tracingChannel<unknown, TraceContext>('horarium:job');

    function subscribers() {
      return {
        start: vi.fn<(message: TraceContext) => void>(),
        end: vi.fn<(message: TraceContext) => void>(),
        asyncStart: vi.fn<(message: TraceContext) => void>(),
        asyncEnd: vi.fn<(message: TraceContext) => void>(),
        error: vi.fn<(message: TraceContext) => void>(),
      };
    }

    it('publishes start and asyncEnd with the job id, run time and executor alias', async () => {
      const handlers = subscribers();
      channel.subscribe(handlers);
      try {
        const runTime = new Date(Date.now() - 10);
        const job = makeContractJob(
          closure(async () => {
            await sleep(10);
            return 'traced';
          }),
          [],
        );
        executor.submitJob(job, [runTime]);
        await waitForEvents(context, job.id, 1);
        expect(handlers.start).toHaveBeenCalledTimes(1);
        const message = handlers.start.mock.calls[0]?.[0];
        expect(message).toMatchObject({
          jobId: job.id,
          scheduledRunTime: runTime,
          executor: CONTRACT_EXECUTOR_ALIAS,
          jobstore: 'default',
        });
        expect(handlers.asyncEnd).toHaveBeenCalledTimes(1);
        expect(handlers.asyncEnd.mock.calls[0]?.[0]).toMatchObject({
          jobId: job.id,
          result: 'traced',
        });
        expect(handlers.error).not.toHaveBeenCalled();
      } finally {
        channel.unsubscribe(handlers);
      }
    });

    it('publishes error with the exception when a job fails', async () => {
      const handlers = subscribers();
      channel.subscribe(handlers);
      try {
        const failure = new Error('traced failure');
        const job = makeContractJob(
          closure(() => {
            throw failure;
          }),
          [],
        );
        executor.submitJob(job, [new Date()]);
        await waitForEvents(context, job.id, 1);
        expect(handlers.start).toHaveBeenCalledTimes(1);
        expect(handlers.error).toHaveBeenCalledTimes(1);
        expect(handlers.error.mock.calls[0]?.[0]).toMatchObject({
          jobId: job.id,
          executor: CONTRACT_EXECUTOR_ALIAS,
          error: failure,
        });
      } finally {
        channel.unsubscribe(handlers);
      }
    });

    it('publishes once per run of a batch, not for missed run times', async () => {
      const handlers = subscribers();
      channel.subscribe(handlers);
      try {
        const job = makeContractJob(
          closure(() => 'x'),
          [],
          { misfireGraceTime: 1 },
        );
        const now = Date.now();
        executor.submitJob(job, [new Date(now - 5000), new Date(now - 1), new Date(now)]);
        await waitForEvents(context, job.id, 3);
        expect(handlers.start.mock.calls.map(([message]) => message.scheduledRunTime)).toEqual([
          new Date(now - 1),
          new Date(now),
        ]);
      } finally {
        channel.unsubscribe(handlers);
      }
    });

    it('does nothing when nobody subscribes', async () => {
      const handlers = subscribers();
      channel.subscribe(handlers);
      channel.unsubscribe(handlers);
      const tracePromise = vi.spyOn(jobRunChannel, 'tracePromise');
      try {
        const job = makeContractJob(
          closure(() => 'untraced'),
          [],
        );
        executor.submitJob(job, [new Date()]);
        await waitForEvents(context, job.id, 1);
        expect(tracePromise).not.toHaveBeenCalled();
        for (const handler of Object.values(handlers)) expect(handler).not.toHaveBeenCalled();
      } finally {
        tracePromise.mockRestore();
      }
    });
  });

  describe('unhandled rejections', () => {
    it('never leaves one when a timed-out job rejects later', async () => {
      const job = makeContractJob(
        closure(async () => {
          await sleep(200);
          throw new Error('rejected after the timeout');
        }),
        [],
        { timeout: 0.1 },
      );
      executor.submitJob(job, [new Date()]);
      const events = await waitForEvents(context, job.id, 1);
      expect(events[0]?.exception).toBeInstanceOf(JobTimeoutError);
      await sleep(300);
      expect(unhandled).not.toHaveBeenCalled();
      // The late rejection is not reported as a second outcome.
      expect(context.executionEvents(job.id)).toHaveLength(1);
    });

    it('never leaves one when a timed-out job rejects with a non-error later', async () => {
      const job = makeContractJob(
        closure(async () => {
          await sleep(150);
          throw 'late string';
        }),
        [],
        { timeout: 0.05 },
      );
      executor.submitJob(job, [new Date()]);
      await waitForEvents(context, job.id, 1);
      await sleep(250);
      expect(unhandled).not.toHaveBeenCalled();
    });

    it('never leaves one when failing jobs run, time out or are cancelled at shutdown', async () => {
      const file = join(tmpdir(), `horarium-async-unhandled-${process.pid}-${Date.now()}.json`);
      const failing = makeContractJob(jobs.throwsWithCode, ['failed', 'E_X', 'cause']);
      const rejecting = makeContractJob(
        closure(() => Promise.reject(new Error('rejected'))),
        [],
      );
      const timingOut = makeContractJob(jobs.waitsForAbort, [file, 5000], { timeout: 0.05 });
      const cancelled = makeContractJob(
        closure(async () => {
          await sleep(150);
          throw new Error('rejected after cancellation');
        }),
        [],
      );
      executor.submitJob(failing, [new Date()]);
      executor.submitJob(rejecting, [new Date()]);
      executor.submitJob(timingOut, [new Date()]);
      executor.submitJob(cancelled, [new Date()]);
      await waitForEvents(context, failing.id, 1);
      await waitForEvents(context, rejecting.id, 1);
      await waitForEvents(context, timingOut.id, 1);
      await executor.shutdown({ wait: false });
      await sleep(300);
      expect(unhandled).not.toHaveBeenCalled();
      rmSync(file, { force: true });
    });
  });
});
