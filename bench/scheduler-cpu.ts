// CPU per run of the scheduler's hot path at a steady 10,000 runs per pass, free of timers and of
// the machine's load on lateness: the wall clock is virtual (Date.now is replaced), each pass moves
// it one second on and wakes the scheduler, and the next pass starts once every run has started.
// Deterministic in the work done, so it also suits instruction counts (valgrind --tool=callgrind).
//
//   node --expose-gc --import tsx bench/scheduler-cpu.ts [jobs=10000] [passes=30] [horarium|bare]
//
// Prints CPU µs per run (process CPU time over the measured passes ÷ runs), after 5 warm-up passes.

import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncScheduler, currentJob } from '../src/index.ts';

const jobs = Number(process.argv[2] ?? 10_000);
const passes = Number(process.argv[3] ?? 30);
const impl = process.argv[4] ?? 'horarium';
const WARMUP = 5;

const realNow = Date.now.bind(Date);
let virtual = Math.ceil(realNow() / 1000) * 1000 + 10_000;
Date.now = () => virtual;

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

let ran = 0;
let waiting: (() => void) | undefined;
let target = 0;
function hit(): void {
  ran++;
  if (ran === target && waiting !== undefined) {
    const resolve = waiting;
    waiting = undefined;
    resolve();
  }
}

async function horarium(): Promise<number> {
  const scheduler = new AsyncScheduler();
  await scheduler.start();
  let seen = 0;
  const job = async (): Promise<void> => {
    if (currentJob() !== undefined) seen++;
    hit();
  };
  const startDate = new Date(virtual + 1000);
  for (let i = 0; i < jobs; i++) await scheduler.addJob(job, 'interval', { seconds: 1, startDate });
  const cpu = await drive(() => scheduler.wakeup());
  await scheduler.shutdown({ wait: false });
  if (seen !== ran) throw new Error(`currentJob() missing in ${ran - seen} runs`);
  return cpu;
}

async function bare(): Promise<number> {
  const context = new AsyncLocalStorage<{ scheduled: number }>();
  const job = async (): Promise<void> => {
    if (context.getStore() !== undefined) hit();
  };
  const onDone = (): void => {};
  return drive(() => {
    setTimeout(() => {
      for (let i = 0; i < jobs; i++) context.run({ scheduled: virtual }, job).then(onDone, onDone);
    }, 0);
  });
}

/** Runs WARMUP + passes passes; returns the CPU ms of the measured ones. */
async function drive(wake: () => void): Promise<number> {
  let cpu0 = 0;
  for (let pass = 0; pass < WARMUP + passes; pass++) {
    if (pass === WARMUP) {
      globalThis.gc?.();
      cpu0 = cpuNow();
    }
    virtual += 1000;
    target = ran + jobs;
    const done = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    wake();
    await done;
  }
  return cpuNow() - cpu0;
}

const cpuMs = impl === 'bare' ? await bare() : await horarium();
const runs = jobs * passes;
console.log(
  `${impl}: ${jobs} jobs × ${passes} passes: ${((1000 * cpuMs) / runs).toFixed(3)} µs of CPU per run`,
);
process.exit(0);
