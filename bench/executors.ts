// Executor overhead: 20,000 tiny jobs (throughput) and sequential round trips (latency) through the
// async, threadpool and processpool executors, driven directly through submitJob with a recording
// context (no scheduler loop), beside raw piscina / tinypool running the same tiny task in the same run.
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
const BURST = 20_000;
const ROUND_TRIPS = 1_000;
const WORKERS = 2;

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

async function measureExecutor(
  executor: Executor,
): Promise<{ perSecond: number; latencyUs: number }> {
  let done = 0;
  let wake: () => void = () => {};
  await executor.start(
    {
      logger: silentLogger,
      now: Date.now,
      dispatch: (_event: SchedulerEvent) => {
        done += 1;
        if (done === target) wake();
      },
      wants: () => true,
    },
    'bench',
  );
  let target = 0;
  const waitFor = (count: number): Promise<void> =>
    new Promise<void>((resolve) => {
      target = count;
      wake = resolve;
      if (done >= count) resolve();
    });
  // Warm-up (starts the workers).
  for (let i = 0; i < WORKERS * 4; i += 1) executor.submitJob(makeJob(), [new Date()]);
  await waitFor(WORKERS * 4);
  const jobs = Array.from({ length: BURST }, makeJob);
  const runTime = [new Date()];
  let start = performance.now();
  for (const job of jobs) executor.submitJob(job, runTime);
  await waitFor(WORKERS * 4 + BURST);
  const perSecond = BURST / ((performance.now() - start) / 1000);
  const sequential = Array.from({ length: ROUND_TRIPS }, makeJob);
  start = performance.now();
  for (let i = 1; i <= ROUND_TRIPS; i += 1) {
    executor.submitJob(sequential[i - 1] as Job, runTime);
    await waitFor(WORKERS * 4 + BURST + i);
  }
  const latencyUs = ((performance.now() - start) * 1000) / ROUND_TRIPS;
  await executor.shutdown({ wait: true });
  return { perSecond, latencyUs };
}

interface RawPool {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
}

async function measureRaw(pool: RawPool): Promise<{ perSecond: number; latencyUs: number }> {
  await Promise.all(Array.from({ length: WORKERS * 4 }, () => pool.run({ a: 1, b: 2 })));
  let start = performance.now();
  await Promise.all(Array.from({ length: BURST }, () => pool.run({ a: 1, b: 2 })));
  const perSecond = BURST / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i += 1) await pool.run({ a: 1, b: 2 });
  const latencyUs = ((performance.now() - start) * 1000) / ROUND_TRIPS;
  await pool.destroy();
  return { perSecond, latencyUs };
}

function row(
  name: string,
  r: { perSecond: number; latencyUs: number },
  raw?: { perSecond: number; latencyUs: number },
): void {
  const overhead =
    raw === undefined
      ? ''
      : `  overhead vs raw: throughput ${((raw.perSecond / r.perSecond - 1) * 100).toFixed(1)}%, latency ${((r.latencyUs / raw.latencyUs - 1) * 100).toFixed(1)}%`;
  console.log(
    `${name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(8)} jobs/s  ${r.latencyUs.toFixed(1).padStart(8)} µs/round trip${overhead}`,
  );
}

export async function run(): Promise<void> {
  const file = fileURLToPath(TASK_URL);
  console.log(
    `${BURST} tiny jobs in a burst, then ${ROUND_TRIPS} sequential round trips; ${WORKERS} workers`,
  );
  row('async executor', await measureExecutor(new AsyncExecutor()));
  const rawPiscina = await measureRaw(
    new Piscina({ filename: file, maxThreads: WORKERS, minThreads: WORKERS }),
  );
  row('raw piscina', rawPiscina);
  row(
    'threadpool executor',
    await measureExecutor(new ThreadPoolExecutor({ maxWorkers: WORKERS })),
    rawPiscina,
  );
  const rawTinypool = await measureRaw(
    new Tinypool({
      filename: file,
      runtime: 'child_process',
      maxThreads: WORKERS,
      minThreads: WORKERS,
      serialization: 'advanced',
    }),
  );
  row('raw tinypool (process)', rawTinypool);
  row(
    'processpool executor',
    await measureExecutor(new ProcessPoolExecutor({ maxWorkers: WORKERS })),
    rawTinypool,
  );
}
