// One measurement of the scheduler suite (bench/scheduler.ts) in a fresh process, so that heaps and
// timer queues of different implementations never interfere:
//
//   node --expose-gc --import tsx bench/scheduler-worker.ts <impl> <case>
//
// impl: horarium | node-schedule | toad;  case: add | add-ids | burst | lateness | spread | light.
// impl bare (lateness, spread, light): no scheduler, the least any scheduler must do per run, as a reference.
// A third argument `block` (lateness, spread, light) also measures the longest event-loop block with
// an event-loop delay monitor; its 1-ms timer costs several µs of CPU per run at 10,000 runs/s, so
// the CPU and lateness figures are taken without it.
// Diagnostics go to stderr; the result is the last stdout line, `RESULT <json>` (see WorkerResult).
// Sizes can be overridden for quick trials: BENCH_ADD_JOBS, BENCH_BURST_JOBS, BENCH_RATE_JOBS.

import { AsyncLocalStorage } from 'node:async_hooks';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import schedule from 'node-schedule';
import { AsyncTask, SimpleIntervalJob, ToadScheduler } from 'toad-scheduler';
import { AsyncScheduler, currentJob } from '../src/index.ts';

export const IMPL_NAMES = ['horarium', 'node-schedule', 'toad', 'bare'] as const;
export type ImplName = (typeof IMPL_NAMES)[number];
export const CASE_NAMES = ['add', 'add-ids', 'burst', 'lateness', 'spread', 'light'] as const;
export type CaseName = (typeof CASE_NAMES)[number];

function sizeFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Jobs added in the `add` cases. */
export const ADD_JOBS = sizeFromEnv('BENCH_ADD_JOBS', 1_000_000);
/** Jobs due at the same instant in the `burst` case. */
export const BURST_JOBS = sizeFromEnv('BENCH_BURST_JOBS', 100_000);
/** Jobs on a 1-second interval in the `lateness` case (= runs per second). */
export const RATE_JOBS = sizeFromEnv('BENCH_RATE_JOBS', 10_000);
/** Seconds the `lateness` and `spread` cases sustain the rate. */
export const RATE_SECONDS = 10;
/** Measure the longest event-loop block (third argument `block`). */
const MEASURE_BLOCK = process.argv[4] === 'block';
/** Jobs of the `light` case, and their interval. */
export const LIGHT_JOBS = 50;
export const LIGHT_PERIOD_MS = 200;
/** Intervals the `light` case runs for (10 s). */
export const LIGHT_PERIODS = 50;

/** Longest an implementation may spend adding jobs before the case goes on with the jobs it has. */
export const ADD_BUDGET_MS = 3_000;
/** Longest a burst may take, from the due instant, before the case reports a partial rate. */
export const BURST_CAP_MS = 10_000;
/** Time between the end of adding and the first due instant (rounded up to a whole second). */
const LEAD_MS = 1_500;

/** What a worker reports. Times in ms, rates per second, heap in bytes. */
export interface AddResult {
  readonly kind: 'add';
  readonly requested: number;
  readonly added: number;
  readonly addMs: number;
  /** CPU time (user + system) of the process while adding. */
  readonly cpuMs: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly note: string | null;
}

export interface BurstResult {
  readonly kind: 'burst';
  readonly requested: number;
  readonly added: number;
  readonly addMs: number;
  readonly ran: number;
  /** From the due instant to the start of the first run. */
  readonly firstMs: number | null;
  /** From the due instant to the start of the last run (or to the cap, when not all ran). */
  readonly lastMs: number | null;
  /** CPU time of the process from the first run to the last (or to the cap). */
  readonly cpuMs: number | null;
  readonly capped: boolean;
  readonly note: string | null;
}

export interface LatenessResult {
  readonly kind: 'lateness';
  readonly jobs: number;
  /** Intervals measured (seconds for the 1-second cases). */
  readonly seconds: number;
  /** The jobs' interval, ms. */
  readonly periodMs: number;
  /** Runs whose scheduled time fell in the measured window. */
  readonly ran: number;
  /** Lateness (start − scheduled time) of each of them, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Median over the seconds of the lateness of the first run of that second (timer wake-up). */
  readonly firstP50: number;
  /** p99 of (start − first start of the same second): dispatch cost inside one burst. */
  readonly spreadP99: number;
  /**
   * Median over the intervals of the lateness of the last run of that interval: when all the runs
   * due at one instant have started (meaningful when they share one due instant).
   */
  readonly lastP50: number;
  /**
   * Longest event-loop block seen while the runs went on (monitorEventLoopDelay max, 1-ms
   * resolution), ms; NaN unless the worker ran with `block`.
   */
  readonly blockMaxMs: number;
  /** CPU time of the process from the first recorded run to the last. */
  readonly cpuMs: number;
  readonly note: string | null;
}

export type WorkerResult = AddResult | BurstResult | LatenessResult;

// ---------------------------------------------------------------------------------------------

/** Epoch milliseconds with sub-millisecond resolution. */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

function collectGarbage(): void {
  if (gc === undefined) throw new Error('run the worker with --expose-gc');
  gc();
  gc();
}

function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** CPU time (user + system) of this process, ms. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Resolves when `done()` is true (polled every 5 ms) or at `deadline` (epoch ms); true when done. */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** The first whole second at least LEAD_MS after `from` (epoch ms). */
function dueAfter(from: number): number {
  return Math.ceil((from + LEAD_MS) / 1000) * 1000;
}

const noop = async (): Promise<void> => {};

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Collects (interval, lateness, start) for every run scheduled in [first, first + seconds × period)
 * and summarises them. `second` is the index of the scheduled interval, from 0. From the first run
 * recorded to the last, an event-loop delay monitor records the longest block.
 */
class LatenessLog {
  readonly #late: Float64Array;
  readonly #start: Float64Array;
  readonly #second: Int32Array;
  #count = 0;
  #firstCpu = Number.NaN;
  #lastCpu = Number.NaN;
  #monitor: IntervalHistogram | undefined;
  #blockMaxMs = Number.NaN;
  readonly jobs: number;
  readonly seconds: number;
  readonly periodMs: number;
  readonly expected: number;

  constructor(jobs: number, seconds: number, periodMs = 1000) {
    this.jobs = jobs;
    this.seconds = seconds;
    this.periodMs = periodMs;
    this.expected = jobs * seconds;
    this.#late = new Float64Array(this.expected);
    this.#start = new Float64Array(this.expected);
    this.#second = new Int32Array(this.expected);
  }

  get count(): number {
    return this.#count;
  }

  record(second: number, lateness: number, start: number): void {
    if (second < 0 || second >= this.seconds || this.#count >= this.expected) return;
    if (this.#count === 0) {
      this.#firstCpu = cpuNow();
      if (MEASURE_BLOCK) {
        this.#monitor = monitorEventLoopDelay({ resolution: 1 });
        this.#monitor.enable();
      }
    }
    const i = this.#count++;
    if (this.#count === this.expected) {
      this.#lastCpu = cpuNow();
      this.#stopMonitor();
    }
    this.#late[i] = lateness;
    this.#start[i] = start;
    this.#second[i] = second;
  }

  #stopMonitor(): void {
    const monitor = this.#monitor;
    if (monitor === undefined) return;
    monitor.disable();
    // The histogram holds the delay beyond the 1-ms resolution, in ns.
    this.#blockMaxMs = monitor.count === 0 ? 0 : monitor.max / 1e6;
    this.#monitor = undefined;
  }

  summary(note: string | null): LatenessResult {
    this.#stopMonitor();
    const n = this.#count;
    const late = this.#late.slice(0, n).sort();
    const firstStart = new Float64Array(this.seconds).fill(Number.POSITIVE_INFINITY);
    const firstLate = new Float64Array(this.seconds).fill(Number.NaN);
    const lastStart = new Float64Array(this.seconds).fill(Number.NEGATIVE_INFINITY);
    const lastLate = new Float64Array(this.seconds).fill(Number.NaN);
    for (let i = 0; i < n; i++) {
      const s = this.#second[i]!;
      if (this.#start[i]! < firstStart[s]!) {
        firstStart[s] = this.#start[i]!;
        firstLate[s] = this.#late[i]!;
      }
      if (this.#start[i]! > lastStart[s]!) {
        lastStart[s] = this.#start[i]!;
        lastLate[s] = this.#late[i]!;
      }
    }
    const spread = new Float64Array(n);
    for (let i = 0; i < n; i++) spread[i] = this.#start[i]! - firstStart[this.#second[i]!]!;
    spread.sort();
    const firsts = firstLate.filter((v) => !Number.isNaN(v)).sort();
    const lasts = lastLate.filter((v) => !Number.isNaN(v)).sort();
    return {
      kind: 'lateness',
      jobs: this.jobs,
      seconds: this.seconds,
      periodMs: this.periodMs,
      ran: n,
      p50: percentile(late, 0.5),
      p99: percentile(late, 0.99),
      max: n === 0 ? Number.NaN : late[n - 1]!,
      firstP50: percentile(firsts, 0.5),
      spreadP99: percentile(spread, 0.99),
      lastP50: percentile(lasts, 0.5),
      blockMaxMs: this.#blockMaxMs,
      cpuMs:
        n === 0
          ? Number.NaN
          : (Number.isNaN(this.#lastCpu) ? cpuNow() : this.#lastCpu) - this.#firstCpu,
      note,
    };
  }
}

/** Counts the first run of each job (by index), remembering the first and last start. */
class RunCounter {
  readonly #seen: Uint8Array;
  ran = 0;
  first = Number.NaN;
  last = Number.NaN;
  firstCpu = Number.NaN;
  lastCpu = Number.NaN;
  /** Runs that make the burst complete: the jobs actually added. */
  expected: number;

  constructor(capacity: number) {
    this.#seen = new Uint8Array(capacity);
    this.expected = capacity;
  }

  hit(index: number): void {
    if (this.#seen[index] === 1) return;
    this.#seen[index] = 1;
    const now = wallNow();
    if (this.ran === 0) {
      this.first = now;
      this.firstCpu = cpuNow();
    }
    this.last = now;
    this.ran++;
    if (this.ran === this.expected) this.lastCpu = cpuNow();
  }

  get done(): boolean {
    return this.ran >= this.expected;
  }
}

async function burstResult(
  counter: RunCounter,
  added: number,
  addMs: number,
  due: number,
  note: string | null,
): Promise<BurstResult> {
  const complete = await waitUntil(() => counter.done, due + BURST_CAP_MS);
  const endCpu = complete ? counter.lastCpu : cpuNow();
  return {
    kind: 'burst',
    requested: BURST_JOBS,
    added,
    addMs,
    ran: counter.ran,
    firstMs: counter.ran === 0 ? null : counter.first - due,
    lastMs: complete ? counter.last - due : counter.ran === 0 ? null : BURST_CAP_MS,
    cpuMs: counter.ran === 0 ? null : endCpu - counter.firstCpu,
    capped: !complete,
    note,
  };
}

// ---------------------------------------------------------------------------------------------
// Horarium

async function horariumAdd(withIds: boolean): Promise<AddResult> {
  const scheduler = new AsyncScheduler();
  await scheduler.start();
  const heapBefore = heapUsed();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  if (withIds) {
    for (let i = 0; i < ADD_JOBS; i++) {
      await scheduler.addJob(noop, 'interval', { minutes: 5, id: `job-${i}` });
    }
  } else {
    for (let i = 0; i < ADD_JOBS; i++) await scheduler.addJob(noop, 'interval', { minutes: 5 });
  }
  const addMs = performance.now() - t0;
  const cpuMs = cpuNow() - cpu0;
  const heapAfter = heapUsed();
  await scheduler.shutdown({ wait: false });
  return {
    kind: 'add',
    requested: ADD_JOBS,
    added: ADD_JOBS,
    addMs,
    cpuMs,
    heapBefore,
    heapAfter,
    note: null,
  };
}

async function horariumBurst(): Promise<BurstResult> {
  const scheduler = new AsyncScheduler();
  await scheduler.start();
  const counter = new RunCounter(BURST_JOBS);
  // Sequential adds of 100k jobs take a while (~2 s on a loaded machine): aim the due instant after them.
  const due = dueAfter(Date.now() + 3000);
  const runDate = new Date(due);
  const t0 = performance.now();
  for (let i = 0; i < BURST_JOBS; i++) {
    await scheduler.addJob(
      async () => {
        counter.hit(i);
      },
      'date',
      { runDate },
    );
  }
  const addMs = performance.now() - t0;
  const note = Date.now() > due ? 'adding overran the due instant' : null;
  const result = await burstResult(counter, BURST_JOBS, addMs, due, note);
  await scheduler.shutdown({ wait: false });
  return result;
}

/** Offset of job `i` of `jobs` within the interval: evenly spread, whole milliseconds. */
function spreadOffset(i: number, jobs: number, periodMs: number): number {
  return Math.floor((i * periodMs) / jobs);
}

/**
 * `jobs` jobs on a `periodMs` interval for `periods` intervals; job i first due at
 * first + offset(i). Lateness = start − currentJob().scheduledRunTime.
 */
async function horariumPeriodic(
  jobs: number,
  periods: number,
  periodMs: number,
  offset: (i: number) => number,
): Promise<LatenessResult> {
  const scheduler = new AsyncScheduler();
  await scheduler.start();
  const log = new LatenessLog(jobs, periods, periodMs);
  const first = dueAfter(Date.now() + 500);
  const job = async (): Promise<void> => {
    const start = wallNow();
    const scheduled = currentJob()?.scheduledRunTime.getTime() ?? Number.NaN;
    log.record(Math.floor((scheduled - first) / periodMs), start - scheduled, start);
  };
  for (let i = 0; i < jobs; i++) {
    const startDate = new Date(first + offset(i));
    await scheduler.addJob(job, 'interval', { milliseconds: periodMs, startDate });
  }
  const note = Date.now() > first ? 'adding overran the first due instant' : null;
  await waitUntil(() => log.count >= log.expected, first + periods * periodMs + 2000);
  await scheduler.shutdown({ wait: false });
  return log.summary(note);
}

function horariumLateness(): Promise<LatenessResult> {
  return horariumPeriodic(RATE_JOBS, RATE_SECONDS, 1000, () => 0);
}

function horariumSpread(): Promise<LatenessResult> {
  return horariumPeriodic(RATE_JOBS, RATE_SECONDS, 1000, (i) => spreadOffset(i, RATE_JOBS, 1000));
}

function horariumLight(): Promise<LatenessResult> {
  return horariumPeriodic(LIGHT_JOBS, LIGHT_PERIODS, LIGHT_PERIOD_MS, () => 0);
}

// ---------------------------------------------------------------------------------------------
// node-schedule (one global invocation list; every job is a Job in `schedule.scheduledJobs`)

/** Adds up to `count` jobs, `add(i)` each, stopping after ADD_BUDGET_MS; returns how many and how long. */
function addWithBudget(
  count: number,
  add: (i: number) => void,
): { added: number; addMs: number; cpuMs: number } {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  let added = 0;
  while (added < count) {
    add(added);
    added++;
    if ((added & 63) === 0 && performance.now() - t0 > ADD_BUDGET_MS) break;
  }
  return { added, addMs: performance.now() - t0, cpuMs: cpuNow() - cpu0 };
}

function budgetNote(added: number, requested: number, addMs: number): string | null {
  if (added >= requested) return null;
  return `stopped adding after ${(addMs / 1000).toFixed(1)} s at ${added.toLocaleString('en-US')} of ${requested.toLocaleString('en-US')} jobs`;
}

async function nodeScheduleAdd(withIds: boolean): Promise<AddResult> {
  const heapBefore = heapUsed();
  const { added, addMs, cpuMs } = addWithBudget(ADD_JOBS, (i) => {
    if (withIds) schedule.scheduleJob(`job-${i}`, '*/5 * * * *', noop);
    else schedule.scheduleJob('*/5 * * * *', noop);
  });
  const heapAfter = heapUsed();
  const note = budgetNote(added, ADD_JOBS, addMs);
  await schedule.gracefulShutdown();
  return { kind: 'add', requested: ADD_JOBS, added, addMs, cpuMs, heapBefore, heapAfter, note };
}

async function nodeScheduleBurst(): Promise<BurstResult> {
  const counter = new RunCounter(BURST_JOBS);
  const due = dueAfter(Date.now() + ADD_BUDGET_MS);
  const at = new Date(due);
  const { added, addMs } = addWithBudget(BURST_JOBS, (i) => {
    schedule.scheduleJob(at, async () => {
      counter.hit(i);
    });
  });
  counter.expected = added;
  const result = await burstResult(
    counter,
    added,
    addMs,
    due,
    budgetNote(added, BURST_JOBS, addMs),
  );
  await schedule.gracefulShutdown();
  return result;
}

async function nodeScheduleLateness(): Promise<LatenessResult> {
  const log = new LatenessLog(RATE_JOBS, RATE_SECONDS);
  const first = dueAfter(Date.now() + ADD_BUDGET_MS);
  const start = new Date(first);
  const job = (fireDate: Date): void => {
    const now = wallNow();
    const scheduled = fireDate.getTime();
    log.record(Math.round((scheduled - first) / 1000), now - scheduled, now);
  };
  const { added, addMs } = addWithBudget(RATE_JOBS, () => {
    schedule.scheduleJob({ start, rule: '* * * * * *' }, job);
  });
  const notes: string[] = [];
  const budget = budgetNote(added, RATE_JOBS, addMs);
  if (budget !== null) notes.push(budget);
  await waitUntil(() => log.count >= log.expected, first + RATE_SECONDS * 1000 + 2000);
  await schedule.gracefulShutdown();
  const summary = log.summary(notes.length > 0 ? notes.join('; ') : null);
  return { ...summary, jobs: added };
}

// ---------------------------------------------------------------------------------------------
// toad-scheduler (one setInterval per job)

async function toadAdd(withIds: boolean): Promise<AddResult> {
  const scheduler = new ToadScheduler();
  const heapBefore = heapUsed();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  for (let i = 0; i < ADD_JOBS; i++) {
    const task = new AsyncTask(`task-${i}`, noop);
    const job = withIds
      ? new SimpleIntervalJob({ minutes: 5 }, task, { id: `job-${i}` })
      : new SimpleIntervalJob({ minutes: 5 }, task);
    scheduler.addSimpleIntervalJob(job);
  }
  const addMs = performance.now() - t0;
  const cpuMs = cpuNow() - cpu0;
  const heapAfter = heapUsed();
  scheduler.stop();
  return {
    kind: 'add',
    requested: ADD_JOBS,
    added: ADD_JOBS,
    addMs,
    cpuMs,
    heapBefore,
    heapAfter,
    note: null,
  };
}

/**
 * Node stamps a timer with the event loop's cached clock, which does not move while JavaScript runs,
 * so every interval created in one synchronous block expires at the same instant. The block starts
 * in a fresh timer callback, where that clock is within a millisecond of `performance.now()`.
 */
function inFreshTick<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(fn()), 1));
}

async function toadBurst(): Promise<BurstResult> {
  const scheduler = new ToadScheduler();
  const counter = new RunCounter(BURST_JOBS);
  const { due, addMs } = await inFreshTick(() => {
    const t0 = performance.now();
    const wall0 = performance.timeOrigin + t0;
    // Interval = time to the due instant, so the first runs of all jobs fall on it.
    const delay = Math.ceil(dueAfter(wall0 + 1000) - wall0);
    for (let i = 0; i < BURST_JOBS; i++) {
      const task = new AsyncTask(`task-${i}`, async () => {
        counter.hit(i);
      });
      scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: delay }, task));
    }
    return { due: wall0 + delay, addMs: performance.now() - t0 };
  });
  const note = Date.now() > due ? 'adding overran the due instant' : null;
  const result = await burstResult(counter, BURST_JOBS, addMs, due, note);
  scheduler.stop();
  return result;
}

/**
 * `jobs` SimpleIntervalJobs of `periodMs`; the jobs with offset o are created in one synchronous
 * block in a timer o ms into a whole second, so their nominal fire times are that block's instant
 * + k × period (setInterval's drift counts as lateness).
 */
async function toadPeriodic(
  jobs: number,
  periods: number,
  periodMs: number,
  offset: (i: number) => number,
): Promise<LatenessResult> {
  const scheduler = new ToadScheduler();
  const log = new LatenessLog(jobs, periods, periodMs);
  const byOffset = new Map<number, number[]>();
  for (let i = 0; i < jobs; i++) {
    const o = offset(i);
    const group = byOffset.get(o);
    if (group === undefined) byOffset.set(o, [i]);
    else group.push(i);
  }
  // Start on a whole second so that the nominal fire times are whole seconds (+ offsets), as for the others.
  await sleep(dueAfter(Date.now()) - 1000 - Date.now());
  const base = wallNow();
  const first = base + periodMs;
  const created: Promise<void>[] = [];
  for (const [o, group] of byOffset) {
    created.push(
      new Promise((resolve) =>
        setTimeout(
          () => {
            const origin = wallNow();
            const firstDue = origin + periodMs;
            for (const i of group) {
              // setInterval never skips a call: a job's k-th call is its k-th interval of the window.
              let k = 0;
              const job = async (): Promise<void> => {
                const now = wallNow();
                log.record(k, now - (firstDue + k * periodMs), now);
                k++;
              };
              scheduler.addSimpleIntervalJob(
                new SimpleIntervalJob({ milliseconds: periodMs }, new AsyncTask(`t${i}`, job)),
              );
            }
            resolve();
          },
          Math.max(0, base + o - wallNow()),
        ),
      ),
    );
  }
  await Promise.all(created);
  await waitUntil(() => log.count >= log.expected, first + periods * periodMs + 2000);
  scheduler.stop();
  return log.summary(
    'nominal fire times: creation instant + k × interval (setInterval drift counts)',
  );
}

function toadLateness(): Promise<LatenessResult> {
  return toadPeriodic(RATE_JOBS, RATE_SECONDS, 1000, () => 0);
}

function toadSpread(): Promise<LatenessResult> {
  return toadPeriodic(RATE_JOBS, RATE_SECONDS, 1000, (i) => spreadOffset(i, RATE_JOBS, 1000));
}

function toadLight(): Promise<LatenessResult> {
  return toadPeriodic(LIGHT_JOBS, LIGHT_PERIODS, LIGHT_PERIOD_MS, () => 0);
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// bare: the least work a scheduler with a per-run context can do (reference for the lateness case)

/**
 * One timer per whole second; its callback starts every run of that second:
 * each an async function called inside AsyncLocalStorage.run (how a run can
 * know which run it is), with a completion handler attached. No store, no
 * events, no bookkeeping: what remains is the cost of starting the runs.
 */
async function bareLateness(): Promise<LatenessResult> {
  return barePeriodic(RATE_JOBS, RATE_SECONDS, 1000, () => 0);
}

/**
 * The same start loop for any schedule: one timer at a time, to the next due time; its
 * callback starts every run due by then.
 */
async function barePeriodic(
  jobs: number,
  periods: number,
  periodMs: number,
  offset: (i: number) => number,
): Promise<LatenessResult> {
  const log = new LatenessLog(jobs, periods, periodMs);
  const context = new AsyncLocalStorage<{ scheduled: number }>();
  const first = dueAfter(Date.now());
  const times = new Float64Array(jobs * periods);
  for (let k = 0, n = 0; k < periods; k++) {
    for (let i = 0; i < jobs; i++) times[n++] = first + k * periodMs + offset(i);
  }
  times.sort();
  const job = async (): Promise<void> => {
    const now = wallNow();
    const scheduled = context.getStore()?.scheduled ?? Number.NaN;
    log.record(Math.floor((scheduled - first) / periodMs), now - scheduled, now);
  };
  let completed = 0;
  const onDone = (): void => {
    completed++;
  };
  let next = 0;
  while (next < times.length) {
    const wait = times[next]! - Date.now();
    if (wait > 0) await sleep(wait);
    const now = Date.now();
    while (next < times.length && times[next]! <= now) {
      context.run({ scheduled: times[next++]! }, job).then(onDone, onDone);
    }
  }
  await waitUntil(() => completed >= log.expected, first + periods * periodMs + 2000);
  return log.summary(null);
}

const CASES: Record<ImplName, Partial<Record<CaseName, () => Promise<WorkerResult>>>> = {
  horarium: {
    add: () => horariumAdd(false),
    'add-ids': () => horariumAdd(true),
    burst: horariumBurst,
    lateness: horariumLateness,
    spread: horariumSpread,
    light: horariumLight,
  },
  'node-schedule': {
    add: () => nodeScheduleAdd(false),
    'add-ids': () => nodeScheduleAdd(true),
    burst: nodeScheduleBurst,
    lateness: nodeScheduleLateness,
  },
  toad: {
    add: () => toadAdd(false),
    'add-ids': () => toadAdd(true),
    burst: toadBurst,
    lateness: toadLateness,
    spread: toadSpread,
    light: toadLight,
  },
  bare: {
    lateness: bareLateness,
    spread: () =>
      barePeriodic(RATE_JOBS, RATE_SECONDS, 1000, (i) => spreadOffset(i, RATE_JOBS, 1000)),
    light: () => barePeriodic(LIGHT_JOBS, LIGHT_PERIODS, LIGHT_PERIOD_MS, () => 0),
  },
};

function isImpl(value: string | undefined): value is ImplName {
  return (IMPL_NAMES as readonly (string | undefined)[]).includes(value);
}

function isCase(value: string | undefined): value is CaseName {
  return (CASE_NAMES as readonly (string | undefined)[]).includes(value);
}

async function main(): Promise<void> {
  const [impl, name, option] = process.argv.slice(2);
  if (option !== undefined && option !== 'block') {
    console.error(`unknown option ${option}; the only one is \`block\``);
    process.exit(2);
  }
  if (!isImpl(impl) || !isCase(name)) {
    console.error(
      `usage: node --expose-gc --import tsx bench/scheduler-worker.ts <${IMPL_NAMES.join('|')}> <${CASE_NAMES.join('|')}> [block]`,
    );
    process.exit(2);
  }
  const measure = CASES[impl][name];
  if (measure === undefined) {
    console.error(`${impl} has no ${name} case`);
    process.exit(2);
  }
  const result = await measure();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Peers may leave timers behind (node-schedule's long timeouts); the result is out, so leave.
  process.exit(0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
