/**
 * The pool executors driven by a real AsyncScheduler, on real workers, real
 * child processes and real timers (bounds are generous: the machine may be
 * loaded): CPU-bound pool jobs leave the event loop's jobs on schedule, jobs a
 * pool cannot run fail at add time, shutdown waits (or not) for running pool
 * jobs, TypeScript task modules load under tsx, a worker that runs out of
 * memory is replaced, and errors from workers keep Horarium's classes.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Executor } from '../../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_SUBMITTED,
  InvalidJobOptionError,
  JobExecutionEvent,
  JobReferenceError,
  JobTimeoutError,
  ProcessPoolExecutor,
  type SchedulerEvent,
  silentLogger,
  ThreadPoolExecutor,
  type Trigger,
  type TriggerJSON,
  UncloneableResultError,
  WorkerCrashedError,
} from '../../src/index.ts';
import { POOL_JOBS_MODULE, type SleepReport } from '../fixtures/pool-executor-jobs.ts';
import { captureStderr } from '../helpers/capture-stderr.ts';
import {
  CONTRACT_EXECUTOR_ALIAS,
  makeContractJob,
  RecordingContext,
  waitForEvents,
  waitUntil,
} from './executor-contract.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ref = (name: string): string => `${POOL_JOBS_MODULE}:${name}`;

/** Fires `ms` milliseconds after the previous fire time, never before now (no fixed grid: a late run moves the next one). */
class EveryMs implements Trigger {
  readonly #ms: number;
  constructor(ms: number) {
    this.#ms = ms;
  }
  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const from = previousFireTime ?? now;
    return new Date(Math.max(from.getTime() + this.#ms, now.getTime()));
  }
  toJSON(): TriggerJSON {
    return { type: 'every-ms', version: 1, ms: this.#ms };
  }
  toString(): string {
    return `every[${this.#ms} ms]`;
  }
}

type PoolKind = 'threads' | 'processes';

function makePool(kind: PoolKind, preload = true): Executor {
  const options = {
    maxWorkers: 1,
    abortGracePeriod: 0.25,
    ...(preload ? { preload: [POOL_JOBS_MODULE] } : {}),
  };
  return kind === 'threads'
    ? new ThreadPoolExecutor(options)
    : new ProcessPoolExecutor({ ...options, killGracePeriod: 1 });
}

/** A scheduler with the given executors (plus the default async one) recording every event. */
function makeScheduler(executors: Record<string, Executor>): {
  scheduler: AsyncScheduler;
  events: SchedulerEvent[];
} {
  const scheduler = new AsyncScheduler({ executors, logger: silentLogger });
  const events: SchedulerEvent[] = [];
  scheduler.addListener((event) => {
    events.push(event);
  });
  return { scheduler, events };
}

function executionEvents(events: readonly SchedulerEvent[], jobId: string): JobExecutionEvent[] {
  return events.filter(
    (event): event is JobExecutionEvent =>
      event instanceof JobExecutionEvent && event.jobId === jobId,
  );
}

/** The error an execution event reports (fails the test when there is no event). */
function errorOf(event: JobExecutionEvent | undefined): Error {
  if (event === undefined) throw new Error('no event');
  return event.exception as Error;
}

let running: AsyncScheduler[] = [];

afterEach(async () => {
  for (const scheduler of running) {
    await scheduler.shutdown({ wait: false }).catch(() => {});
  }
  running = [];
});

async function started(executors: Record<string, Executor>): Promise<{
  scheduler: AsyncScheduler;
  events: SchedulerEvent[];
}> {
  const made = makeScheduler(executors);
  await made.scheduler.start();
  running.push(made.scheduler);
  return made;
}

describe.each<PoolKind>(['threads', 'processes'])('a %s pool in a real AsyncScheduler', (kind) => {
  it('runs a CPU-bound job while an async interval job every 200 ms stays on schedule', async () => {
    const { scheduler, events } = await started({ pool: makePool(kind) });
    const ticks: number[] = [];
    await scheduler.addJob(() => ticks.push(Date.now()), new EveryMs(200), {
      id: 'ticker',
      misfireGraceTime: null,
    });
    await scheduler.addJob(ref('busyLoop'), null, {
      id: 'cpu',
      args: [1500],
      executor: 'pool',
    });
    await waitUntil(() => executionEvents(events, 'cpu').length > 0, 'the CPU job', 15_000);
    const [cpu] = executionEvents(events, 'cpu');
    expect(cpu?.code).toBe(EVENT_JOB_EXECUTED);
    const report = cpu?.retval as SleepReport;
    expect(report.finishedAt - report.startedAt).toBeGreaterThanOrEqual(1400);
    const during = ticks.filter((t) => t > report.startedAt && t < report.finishedAt);
    // About 7 ticks of 200 ms in 1.5 s; generous for a loaded machine.
    expect(during.length).toBeGreaterThanOrEqual(3);
  });

  it('shutdown({ wait: true }) waits for a running pool job; wait: false does not', async () => {
    for (const wait of [true, false]) {
      const { scheduler, events } = await started({ pool: makePool(kind) });
      await scheduler.addJob(ref('sleeps'), null, { id: 'slow', args: [800], executor: 'pool' });
      // The run starts at once; let it reach its worker.
      await waitUntil(
        () => events.some((e) => e.code === EVENT_JOB_SUBMITTED),
        'the run to be submitted',
        5000,
      );
      await new Promise((done) => setTimeout(done, 150));
      const before = Date.now();
      await scheduler.shutdown({ wait });
      running = running.filter((s) => s !== scheduler);
      const elapsed = Date.now() - before;
      const outcome = executionEvents(events, 'slow');
      if (wait) {
        expect(outcome.map((e) => e.code)).toEqual([EVENT_JOB_EXECUTED]);
        expect(elapsed).toBeGreaterThanOrEqual(300);
      } else {
        expect(outcome.map((e) => e.code)).not.toContain(EVENT_JOB_EXECUTED);
        expect(elapsed).toBeLessThan(600);
      }
    }
  });
});

describe('jobs a pool cannot run fail at add time', () => {
  const pools = (): Record<string, Executor> => ({
    threads: makePool('threads', false),
    processes: makePool('processes', false),
  });

  it.each(['threads', 'processes'])('a plain function (%s)', async (executor) => {
    const { scheduler } = makeScheduler(pools());
    const adding = scheduler.addJob(() => 1, 'interval', { seconds: 1, executor });
    await expect(adding).rejects.toBeInstanceOf(InvalidJobOptionError);
    await expect(scheduler.addJob(() => 1, 'interval', { seconds: 1, executor })).rejects.toThrow(
      /no textual reference/,
    );
  });

  it.each(['threads', 'processes'])('a registered task name (%s)', async (executor) => {
    const { scheduler } = makeScheduler(pools());
    scheduler.registerTask('registered', () => 1);
    const adding = scheduler.addJob('registered', 'interval', { seconds: 1, executor });
    await expect(adding).rejects.toBeInstanceOf(InvalidJobOptionError);
    await expect(
      scheduler.addJob('registered', 'interval', { seconds: 1, executor }),
    ).rejects.toThrow(/registerTask, which only exists in the main thread/);
  });

  it.each(['threads', 'processes'])('a module that does not exist (%s)', async (executor) => {
    const { scheduler } = makeScheduler(pools());
    await expect(
      scheduler.addJob('./missing.js:fn', 'interval', { seconds: 1, executor }),
    ).rejects.toBeInstanceOf(JobReferenceError);
  });
});

describe('errors from workers keep Horarium classes', () => {
  it.each<PoolKind>(['threads', 'processes'])('%s', async (kind) => {
    const executor = makePool(kind);
    const context = new RecordingContext();
    await executor.start(context, CONTRACT_EXECUTOR_ALIAS);
    try {
      const missing = makeContractJob({ func: () => 0, funcRef: ref('noSuchExport') }, []);
      const timeout = makeContractJob({ func: () => 0, funcRef: ref('throwsTimeoutError') }, [
        'inner',
      ]);
      const uncloneable = makeContractJob({ func: () => 0, funcRef: ref('returnsFunction') }, []);
      executor.submitJob(missing, [new Date()]);
      executor.submitJob(timeout, [new Date()]);
      executor.submitJob(uncloneable, [new Date()]);
      const [a] = await waitForEvents(context, missing.id, 1, 10_000);
      const [b] = await waitForEvents(context, timeout.id, 1, 10_000);
      const [c] = await waitForEvents(context, uncloneable.id, 1, 10_000);
      expect(a?.exception).toBeInstanceOf(JobReferenceError);
      expect(errorOf(a).name).toBe('JobReferenceError');
      expect(b?.exception).toBeInstanceOf(JobTimeoutError);
      expect(b?.exception).toMatchObject({ name: 'JobTimeoutError', jobId: 'inner', timeout: 1 });
      expect(errorOf(b).stack).toContain('throwsTimeoutError');
      expect(c?.exception).toBeInstanceOf(UncloneableResultError);
      expect(errorOf(c).message).toContain(uncloneable.id);
    } finally {
      await executor.shutdown({ wait: false });
    }
  });
});

describe('a worker that runs out of memory', () => {
  it.each<PoolKind>(['threads', 'processes'])(
    'is replaced and its run reported as crashed (%s)',
    async (kind) => {
      // A child process that runs out of memory prints V8's report on the standard
      // error the pool passes on to ours: captured, and checked to be that report.
      const stderr = captureStderr();
      const executor =
        kind === 'threads'
          ? new ThreadPoolExecutor({
              maxWorkers: 1,
              resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
            })
          : new ProcessPoolExecutor({ maxWorkers: 1, execArgv: ['--max-old-space-size=32'] });
      try {
        const context = new RecordingContext();
        await executor.start(context, CONTRACT_EXECUTOR_ALIAS);
        const hog = makeContractJob(
          { func: () => 0, funcRef: ref('allocatesUntilOutOfMemory') },
          [],
        );
        executor.submitJob(hog, [new Date()]);
        const [crash] = await waitForEvents(context, hog.id, 1, 25_000);
        expect(crash?.code).toBe(EVENT_JOB_ERROR);
        expect(crash?.exception).toBeInstanceOf(WorkerCrashedError);
        expect(errorOf(crash).message).toContain(hog.id);
        const next = makeContractJob({ func: () => 0, funcRef: ref('returnsValue') }, ['alive']);
        executor.submitJob(next, [new Date()]);
        const [after] = await waitForEvents(context, next.id, 1, 20_000);
        expect(after?.code).toBe(EVENT_JOB_EXECUTED);
        expect(after?.retval).toBe('alive');
        if (kind === 'processes') await stderr.waitFor('JavaScript heap out of memory');
      } finally {
        await executor.shutdown({ wait: false });
        stderr.stop();
      }
    },
    40_000,
  );
});

describe('TypeScript task modules under tsx', () => {
  it('run in both pools when the host runs with node --import tsx', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'test/fixtures/pool-executor-tsx-host.ts'), 'src'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        pool: 'threadpool',
        ok: true,
        value: expect.objectContaining({ text: 'hello threadpool', isMainThread: false }),
      },
      {
        pool: 'processpool',
        ok: true,
        value: expect.objectContaining({ text: 'hello processpool', isMainThread: true }),
      },
      { done: 'src' },
    ]);
    const processLine = lines[1] as { value: { pid: number } };
    expect(processLine.value.pid).not.toBe(child.pid);
  }, 40_000);
});
