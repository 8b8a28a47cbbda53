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
//
// Besides wall-clock time, each segment's CPU time is read for the whole process tree (this
// process with its worker threads, and the pools' child processes) from the kernel's per-thread
// run-time counters: CPU per run is what the executor layer itself costs, and unlike round-trip
// latency it hardly moves when other work on the machine delays the wake-ups.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import type { Executor } from '../src/extend.ts';
import {
  AsyncExecutor,
  IntervalTrigger,
  Job,
  type JobState,
  ProcessPoolExecutor,
  type SchedulerEvent,
  silentLogger,
  ThreadPoolExecutor,
} from '../src/index.ts';
import type { JobOwner } from '../src/jobs/job.ts';
import { getZone } from '../src/time/zone.ts';

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
    recover: false,
    history: 'all',
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

/** Nanoseconds on CPU of every thread of process `pid` (Linux `/proc/<pid>/task/<tid>/schedstat`). */
function processCpuNs(pid: number | 'self'): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process ended meanwhile.
  }
  return total;
}

/** The pids of this process's children (the process pools' workers). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text !== '') for (const pid of text.split(' ')) pids.push(Number(pid));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return pids;
}

/** CPU time of this process and its children so far, in µs; NaN where the kernel does not tell. */
function treeCpuUs(): number {
  try {
    readFileSync('/proc/self/schedstat', 'utf8');
  } catch {
    return Number.NaN;
  }
  let ns = processCpuNs('self');
  for (const pid of childPids()) ns += processCpuNs(pid);
  return ns / 1000;
}

/** Wall-clock ms and tree CPU µs of one segment. */
interface Segment {
  ms: number;
  cpuUs: number;
}

async function timed(runner: Runner, count: number, window: number): Promise<Segment> {
  runner.prepare(count);
  const cpu = treeCpuUs();
  const start = performance.now();
  await runner.runAll(count, window);
  const ms = performance.now() - start;
  return { ms, cpuUs: treeCpuUs() - cpu };
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
  /** Medians of CPU µs per run (process tree), throughput and round-trip segments. */
  rawCpu: CpuPerRun;
  executorCpu: CpuPerRun;
  /** Over segment pairs: executor CPU per run ÷ raw CPU per run − 1. */
  throughputCpuOverhead: Spread;
  latencyCpuOverhead: Spread;
}

interface CpuPerRun {
  throughput: number;
  latency: number;
}

/** The per-segment figures of one side of a comparison. */
class Side {
  readonly perSecond: number[] = [];
  readonly tripUs: number[] = [];
  readonly burstCpu: number[] = [];
  readonly tripCpu: number[] = [];
}

/** Raw pool and executor side by side, in alternating segments. */
async function compare(raw: Runner, executor: Runner, scale: number): Promise<Comparison> {
  const burst = Math.round(BURST * scale);
  const trips = Math.round(ROUND_TRIPS * scale);
  for (const runner of [raw, executor]) await timed(runner, WARM_UP, IN_FLIGHT);
  const sides = { raw: new Side(), exe: new Side() };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (['raw', 'exe'] as const) : (['exe', 'raw'] as const);
    for (const which of order) {
      const segment = await timed(which === 'raw' ? raw : executor, burst, IN_FLIGHT);
      sides[which].perSecond.push(burst / (segment.ms / 1000));
      sides[which].burstCpu.push(segment.cpuUs / burst);
    }
    for (const which of order) {
      const segment = await timed(which === 'raw' ? raw : executor, trips, 1);
      sides[which].tripUs.push((segment.ms * 1000) / trips);
      sides[which].tripCpu.push(segment.cpuUs / trips);
    }
  }
  await raw.close();
  await executor.close();
  const { raw: r, exe: e } = sides;
  const ratio = (over: number[], under: number[]): Spread =>
    spread(over.map((value, i) => value / (under[i] as number) - 1));
  return {
    raw: { perSecond: median(r.perSecond), latencyUs: median(r.tripUs) },
    executor: { perSecond: median(e.perSecond), latencyUs: median(e.tripUs) },
    throughputOverhead: ratio(r.perSecond, e.perSecond),
    latencyOverhead: ratio(e.tripUs, r.tripUs),
    rawCpu: { throughput: median(r.burstCpu), latency: median(r.tripCpu) },
    executorCpu: { throughput: median(e.burstCpu), latency: median(e.tripCpu) },
    throughputCpuOverhead: ratio(e.burstCpu, r.burstCpu),
    latencyCpuOverhead: ratio(e.tripCpu, r.tripCpu),
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

/** CPU per run of the process tree, raw and executor, and the executor's extra share. */
function cpuRow(name: string, comparison: Comparison): void {
  const { rawCpu, executorCpu } = comparison;
  if (Number.isNaN(rawCpu.latency)) return;
  const us = (value: number): string => value.toFixed(1);
  console.log(
    `${`${name} CPU/run`.padEnd(22)} in flight: raw ${us(rawCpu.throughput)} µs, executor ${us(executorCpu.throughput)} µs (${withRange(comparison.throughputCpuOverhead)}); one at a time: raw ${us(rawCpu.latency)} µs, executor ${us(executorCpu.latency)} µs (${withRange(comparison.latencyCpuOverhead)})`,
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
    perSecond: BURST / (asyncBurst.ms / 1000),
    latencyUs: (asyncTrips.ms * 1000) / ROUND_TRIPS,
  });
  const threads = await compare(
    rawRunner(new Piscina({ filename: file, maxThreads: WORKERS, minThreads: WORKERS })),
    await executorRunner(new ThreadPoolExecutor({ maxWorkers: WORKERS, preload: [TASK_URL] })),
    1,
  );
  row('raw piscina', threads.raw);
  row('threadpool executor', threads.executor, threads);
  cpuRow('threadpool', threads);
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
  cpuRow('processpool', processes);
  verdict('threadpool', threads);
  verdict('processpool', processes);
  console.log(`after: ${load()}`);
}
