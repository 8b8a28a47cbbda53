// Executor overhead: tiny jobs through the async, threadpool and processpool executors, driven
// directly through submitJob with a recording context (no scheduler loop), beside raw piscina /
// tinypool running the same tiny task (test/fixtures/bench-tiny-job.mjs) in the same run.
//
// Fairness: the same task, the same pool size, workers started and the module loaded before
// timing, the same number of runs in flight (a window of IN_FLIGHT for throughput, one for
// round trips). The raw pool and the executor are both up at once and measured in short
// alternating segments (raw first in odd rounds, executor first in even ones), so that changes
// in the machine's load hit both alike; the figures are medians over the segments and the
// overhead is the median of the per-segment-pair ratios, printed with their interquartile range
// and the load average before and after, so that a run disturbed by other work shows as one.
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import {
  AsyncExecutor,
  type Executor,
  getZone,
  IntervalTrigger,
  Job,
  type JobState,
  ProcessPoolExecutor,
  type SchedulerEvent,
  silentLogger,
  ThreadPoolExecutor,
} from '../src/index.ts';
import type { JobOwner } from '../src/jobs/job.ts';

/** The same work as test/fixtures/bench-tiny-job.mjs `add`, for the async executor. */
function add(a: number, b: number): number {
  return a + b;
}

const TASK_URL = new URL('../test/fixtures/bench-tiny-job.mjs', import.meta.url).href;
const WORKERS = 2;
/** Runs in the pool at once during the throughput segments, raw and executor alike. */
const IN_FLIGHT = 64;
const ROUNDS = Number(process.env.BENCH_EXECUTOR_ROUNDS ?? 9);
/** Runs per throughput segment and per round-trip segment, for the thread pools; process pools do a third. */
const BURST = 6_000;
const ROUND_TRIPS = 1_500;
const WARM_UP = 2_000;
const TARGET = 0.2;

const owner = { zone: getZone('UTC') } as unknown as JobOwner;
let counter = 0;
function makeJob(): Job {
  counter += 1;
  const state: JobState = {
    id: `bench-${counter}`,
    name: 'bench',
    func: add,
    funcRef: `${TASK_URL}:add`,
    args: [1, 2],
    trigger: new IntervalTrigger({ minutes: 5, timezone: 'UTC' }),
    executor: 'bench',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: null,
    timeout: null,
    nextRunTime: null,
  };
  return new Job(owner, state, 'default');
}

/** Something that runs `count` tiny tasks with at most `window` in flight; resolves when all are done. */
interface Runner {
  /** Prepares the next `count` runs (untimed: the executor's jobs are made here). */
  prepare(count: number): void;
  runAll(count: number, window: number): Promise<void>;
  close(): Promise<void>;
}

async function executorRunner(executor: Executor): Promise<Runner> {
  let done = 0;
  let onDone: () => void = () => {};
  await executor.start(
    {
      logger: silentLogger,
      now: Date.now,
      dispatch: (_event: SchedulerEvent) => {
        done += 1;
        onDone();
      },
      wants: () => true,
    },
    'bench',
  );
  const runTime = [new Date()];
  // A job runs one batch at a time: a fresh job per run, made before timing.
  let jobs: Job[] = [];
  return {
    prepare(count) {
      jobs = Array.from({ length: count }, makeJob);
    },
    runAll(count, window) {
      return new Promise<void>((resolve) => {
        const target = done + count;
        let next = 0;
        // A synchronous job reports inside submitJob: a trampoline instead of recursion.
        let owed = 0;
        let submitting = false;
        const submit = (): void => {
          owed += 1;
          if (submitting) return;
          submitting = true;
          while (owed > 0) {
            owed -= 1;
            const job = jobs[next];
            next += 1;
            if (job !== undefined) executor.submitJob(job, runTime);
          }
          submitting = false;
        };
        onDone = () => {
          if (done === target) resolve();
          else submit();
        };
        for (let i = 0; i < window; i += 1) submit();
      });
    },
    close: () => executor.shutdown({ wait: true }),
  };
}

interface RawPool {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
}

function rawRunner(pool: RawPool): Runner {
  return {
    prepare() {},
    runAll(count, window) {
      return new Promise<void>((resolve, reject) => {
        let started = 0;
        let finished = 0;
        const submit = (): void => {
          if (started === count) return;
          started += 1;
          pool.run({ a: 1, b: 2 }).then(() => {
            finished += 1;
            if (finished === count) resolve();
            else submit();
          }, reject);
        };
        for (let i = 0; i < window; i += 1) submit();
      });
    },
    close: () => pool.destroy(),
  };
}

type Result = { perSecond: number; latencyUs: number };

async function timed(runner: Runner, count: number, window: number): Promise<number> {
  runner.prepare(count);
  const start = performance.now();
  await runner.runAll(count, window);
  return performance.now() - start;
}

/** The `q`-quantile of `values` (0.5: the median), interpolating between neighbours. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = sorted[Math.floor(position)] as number;
  const above = sorted[Math.ceil(position)] as number;
  return below + (above - below) * (position - Math.floor(position));
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

/** How a per-pair ratio is spread: its median and interquartile range. */
interface Spread {
  median: number;
  q1: number;
  q3: number;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
}

interface Comparison {
  raw: Result;
  executor: Result;
  /** Over segment pairs: raw throughput ÷ executor throughput − 1. */
  throughputOverhead: Spread;
  /** Over segment pairs: executor round trip ÷ raw round trip − 1. */
  latencyOverhead: Spread;
}

/** Raw pool and executor side by side, in alternating segments. */
async function compare(raw: Runner, executor: Runner, scale: number): Promise<Comparison> {
  const burst = Math.round(BURST * scale);
  const trips = Math.round(ROUND_TRIPS * scale);
  for (const runner of [raw, executor]) await timed(runner, WARM_UP, IN_FLIGHT);
  const rawBurst: number[] = [];
  const exeBurst: number[] = [];
  const rawTrip: number[] = [];
  const exeTrip: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const rawFirst = round % 2 === 0;
    for (const which of rawFirst ? ['raw', 'exe'] : ['exe', 'raw']) {
      const runner = which === 'raw' ? raw : executor;
      const ms = await timed(runner, burst, IN_FLIGHT);
      (which === 'raw' ? rawBurst : exeBurst).push(burst / (ms / 1000));
    }
    for (const which of rawFirst ? ['raw', 'exe'] : ['exe', 'raw']) {
      const runner = which === 'raw' ? raw : executor;
      const ms = await timed(runner, trips, 1);
      (which === 'raw' ? rawTrip : exeTrip).push((ms * 1000) / trips);
    }
  }
  await raw.close();
  await executor.close();
  return {
    raw: { perSecond: median(rawBurst), latencyUs: median(rawTrip) },
    executor: { perSecond: median(exeBurst), latencyUs: median(exeTrip) },
    throughputOverhead: spread(rawBurst.map((r, i) => r / (exeBurst[i] as number) - 1)),
    latencyOverhead: spread(exeTrip.map((e, i) => e / (rawTrip[i] as number) - 1)),
  };
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;
const withRange = ({ median, q1, q3 }: Spread): string =>
  `${percent(median)} (IQR ${percent(q1)}…${percent(q3)})`;

function row(name: string, r: Result, comparison?: Comparison): void {
  const overhead =
    comparison === undefined
      ? ''
      : `  overhead vs raw: throughput ${withRange(comparison.throughputOverhead)}, latency ${withRange(comparison.latencyOverhead)}`;
  console.log(
    `${name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(8)} jobs/s  ${r.latencyUs.toFixed(1).padStart(8)} µs/round trip${overhead}`,
  );
}

function verdict(name: string, comparison: Comparison): void {
  const mark = ({ median }: Spread): string => (median < TARGET ? 'PASS' : 'MISS');
  const target = `(target < ${TARGET * 100}%)`;
  console.log(
    `${mark(comparison.throughputOverhead)} ${name} throughput overhead ${percent(comparison.throughputOverhead.median)} ${target}`,
  );
  console.log(
    `${mark(comparison.latencyOverhead)} ${name} round-trip overhead ${percent(comparison.latencyOverhead.median)} ${target}`,
  );
}

const load = (): string =>
  `load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')} on ${availableParallelism()} CPUs`;

export async function run(): Promise<void> {
  const file = fileURLToPath(TASK_URL);
  console.log(`before: ${load()}`);
  console.log(
    `tiny jobs, ${IN_FLIGHT} in flight for throughput (${BURST} per segment; processes ${BURST / 3}), one at a time for round trips (${ROUND_TRIPS} per segment; processes ${ROUND_TRIPS / 3}); ${WORKERS} workers; medians of ${ROUNDS} alternating segment pairs`,
  );
  const asyncRunner = await executorRunner(new AsyncExecutor());
  await timed(asyncRunner, WARM_UP, IN_FLIGHT);
  const asyncBurst = await timed(asyncRunner, BURST, IN_FLIGHT);
  const asyncTrips = await timed(asyncRunner, ROUND_TRIPS, 1);
  await asyncRunner.close();
  row('async executor', {
    perSecond: BURST / (asyncBurst / 1000),
    latencyUs: (asyncTrips * 1000) / ROUND_TRIPS,
  });
  const threads = await compare(
    rawRunner(new Piscina({ filename: file, maxThreads: WORKERS, minThreads: WORKERS })),
    await executorRunner(new ThreadPoolExecutor({ maxWorkers: WORKERS, preload: [TASK_URL] })),
    1,
  );
  row('raw piscina', threads.raw);
  row('threadpool executor', threads.executor, threads);
  const processes = await compare(
    rawRunner(
      new Tinypool({
        filename: file,
        runtime: 'child_process',
        maxThreads: WORKERS,
        minThreads: WORKERS,
        serialization: 'advanced',
      }),
    ),
    await executorRunner(new ProcessPoolExecutor({ maxWorkers: WORKERS, preload: [TASK_URL] })),
    1 / 3,
  );
  row('raw tinypool (process)', processes.raw);
  row('processpool executor', processes.executor, processes);
  verdict('threadpool', threads);
  verdict('processpool', processes);
  console.log(`after: ${load()}`);
}
