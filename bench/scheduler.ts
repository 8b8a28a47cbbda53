// Scheduler throughput, memory and firing lateness of Horarium beside node-schedule and
// toad-scheduler, measured in the same run on the same workloads. Every measurement runs in a
// fresh child process (bench/scheduler-worker.ts), one after the other, so that heaps, timer
// queues and JIT state of different implementations never interfere.
//
// 1. add: 1,000,000 jobs every 5 minutes into a memory store (generated ids, then explicit ids):
//    adds per second and heap bytes per job (heapUsed after gc(), before and after adding).
// 2. burst: 100,000 no-op jobs due at the same whole second: time from that instant to the start
//    of the last run.
// 3. lateness: 10,000 jobs on a 1-second interval for 10 seconds (10,000 runs per second, all due
//    at each whole second): start − scheduled time of every run. A reference row, "bare start
//    loop", starts the same runs with no scheduler at all: the floor for this workload.

import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ADD_BUDGET_MS,
  ADD_JOBS,
  type AddResult,
  BURST_CAP_MS,
  BURST_JOBS,
  type BurstResult,
  type CaseName,
  type ImplName,
  type LatenessResult,
  LIGHT_JOBS,
  LIGHT_PERIOD_MS,
  LIGHT_PERIODS,
  RATE_JOBS,
  RATE_SECONDS,
  type WorkerResult,
} from './scheduler-worker.ts';
import { printTable } from './table.ts';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const WORKER = path.join('bench', 'scheduler-worker.ts');
/** A worker taking longer than this is killed and its case reported as failed. */
const WORKER_TIMEOUT_MS = 180_000;

const TARGET_ADDS_PER_SECOND = 500_000;
const TARGET_HEAP_BYTES_PER_JOB = 500;
const TARGET_BURST_MS = 1_000;
const TARGET_LATENESS_P99_MS = 5;
/** CPU per run at 10,000 runs/s, at most this many times toad-scheduler's. */
const TARGET_CPU_RATIO = 1.5;

interface Impl {
  readonly key: ImplName;
  readonly name: string;
}

const HORARIUM: Impl = { key: 'horarium', name: 'Horarium' };
const PEERS: readonly Impl[] = [
  { key: 'node-schedule', name: 'node-schedule' },
  { key: 'toad', name: 'toad-scheduler' },
];
const IMPLS: readonly Impl[] = [HORARIUM, ...PEERS];
/** Lateness case only: no scheduler, just the runs started by one timer per second. */
const BARE: Impl = { key: 'bare', name: 'bare start loop' };
/** The peers and, where a case has it, the reference. */
const ALL_IMPLS: readonly Impl[] = [...IMPLS, BARE];

/** What each implementation does in each case, printed under the tables. */
const WORKLOADS: Readonly<
  Record<
    'add' | 'burst' | 'lateness' | 'spread' | 'light',
    Readonly<Partial<Record<ImplName, string>>>
  >
> = {
  add: {
    horarium:
      "started AsyncScheduler, sequential `await addJob(noop, 'interval', { minutes: 5 })` (explicit: `id: 'job-<i>'`)",
    'node-schedule': "scheduleJob('*/5 * * * *', noop) (explicit: scheduleJob('job-<i>', ...))",
    toad: 'addSimpleIntervalJob(new SimpleIntervalJob({ minutes: 5 }, new AsyncTask(...))) (explicit: { id })',
  },
  burst: {
    horarium: "addJob(fn, 'date', { runDate }) while started; the function counts its run",
    'node-schedule': 'scheduleJob(runDate, fn)',
    toad: 'SimpleIntervalJob({ milliseconds: runDate − now }) created in one synchronous block (one timer expiry)',
  },
  lateness: {
    horarium:
      "addJob(fn, 'interval', { seconds: 1, startDate }); lateness = start − currentJob().scheduledRunTime",
    'node-schedule': "scheduleJob({ start, rule: '* * * * * *' }, fn); lateness = start − fireDate",
    toad: 'SimpleIntervalJob({ seconds: 1 }) created in one synchronous block at a whole second; lateness vs creation + k s',
    bare: "no scheduler (reference): a timer at each whole second starts that second's 10,000 runs, each an async function in AsyncLocalStorage.run with a completion handler; the least a scheduler with a per-run context can do",
  },
  spread: {
    horarium:
      "addJob(fn, 'interval', { milliseconds: 1000, startDate: second + floor(i × 1000 / 10,000) ms }); lateness = start − currentJob().scheduledRunTime",
    toad: 'SimpleIntervalJob({ milliseconds: 1000 }) created, per offset, in a timer that many ms into a whole second; lateness vs creation + k s',
    bare: 'no scheduler (reference): one timer at a time to the next due time, starting every run due by then as above',
  },
  light: {
    horarium:
      "addJob(fn, 'interval', { milliseconds: 200, startDate }) × 50, all due at the same instants; lateness = start − currentJob().scheduledRunTime",
    toad: 'SimpleIntervalJob({ milliseconds: 200 }) × 50 created in one synchronous block; lateness vs creation + k × 200 ms',
    bare: 'no scheduler (reference): a timer every 200 ms starting the 50 runs as above',
  },
};

// ---------------------------------------------------------------------------------------------
// Running workers

type Outcome<R> = { ok: true; result: R } | { ok: false; error: string };

function runWorker(
  impl: ImplName,
  name: CaseName,
  extra: readonly string[] = [],
): Promise<Outcome<WorkerResult>> {
  return new Promise((resolve) => {
    const args = ['--expose-gc', '--import', 'tsx', WORKER, impl, name, ...extra];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('RESULT '));
      if (code === 0 && line !== undefined) {
        resolve({ ok: true, result: JSON.parse(line.slice('RESULT '.length)) as WorkerResult });
        return;
      }
      const why = signal === null ? `exit code ${String(code)}` : `killed by ${signal}`;
      const detail = stderr.trim().split('\n').slice(-3).join(' | ');
      resolve({ ok: false, error: `${why}${detail === '' ? '' : `: ${detail}`}` });
    });
  });
}

async function runCase<K extends WorkerResult['kind']>(
  impl: ImplName,
  name: CaseName,
  kind: K,
  extra: readonly string[] = [],
): Promise<Outcome<Extract<WorkerResult, { kind: K }>>> {
  const outcome = await runWorker(impl, name, extra);
  if (!outcome.ok) return outcome;
  if (outcome.result.kind !== kind) {
    return { ok: false, error: `expected a ${kind} result, got ${outcome.result.kind}` };
  }
  return { ok: true, result: outcome.result as Extract<WorkerResult, { kind: K }> };
}

// ---------------------------------------------------------------------------------------------
// Output helpers (same table style as bench/triggers.ts)

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtInt(value: number): string {
  return intFormat.format(value);
}

function fmtMs(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '—';
  return value >= 100 ? fmtInt(value) : value.toFixed(1);
}

function fmtRatio(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '—';
  return value >= 100
    ? `${value.toFixed(0)}×`
    : value >= 10
      ? `${value.toFixed(1)}×`
      : `${value.toFixed(2)}×`;
}

function fmtShare(cpuMs: number | null, wallMs: number | null): string {
  if (cpuMs === null || wallMs === null || wallMs <= 0) return '—';
  return `${Math.round((100 * cpuMs) / wallMs)}%`;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

function printNotes(notes: readonly string[]): void {
  for (const note of notes) console.log(`note: ${note}`);
}

function printWorkloads(kind: keyof typeof WORKLOADS): void {
  for (const impl of ALL_IMPLS) {
    const workload = WORKLOADS[kind][impl.key];
    if (workload !== undefined) console.log(`  ${impl.name}: ${workload}`);
  }
}

/** Low CPU shares mean that other processes competed for the CPU during the measurement. */
const lowShares: string[] = [];

function watchShare(label: string, cpuMs: number | null, wallMs: number | null): void {
  if (cpuMs === null || wallMs === null || wallMs < 200) return;
  if (cpuMs / wallMs < 0.9) lowShares.push(`${label} ${fmtShare(cpuMs, wallMs)}`);
}

// ---------------------------------------------------------------------------------------------
// 1. adding jobs

interface AddRow {
  readonly impl: Impl;
  readonly variant: 'generated' | 'explicit';
  readonly outcome: Outcome<AddResult>;
}

function addsPerSecond(r: AddResult): number {
  return (r.added * 1000) / r.addMs;
}

function heapPerJob(r: AddResult): number {
  return (r.heapAfter - r.heapBefore) / r.added;
}

async function scenarioAdd(): Promise<AddRow[]> {
  console.log(
    `\n--- 1. adding ${fmtInt(ADD_JOBS)} interval jobs (every 5 minutes) to a memory store ---`,
  );
  const rows: AddRow[] = [];
  for (const variant of ['generated', 'explicit'] as const) {
    for (const impl of IMPLS) {
      const outcome = await runCase(impl.key, variant === 'generated' ? 'add' : 'add-ids', 'add');
      rows.push({ impl, variant, outcome });
    }
  }
  const notes: string[] = [];
  const table = rows.map(({ impl, variant, outcome }) => {
    if (!outcome.ok) {
      notes.push(`${impl.name} (${variant} ids) failed: ${outcome.error}`);
      return [impl.name, variant, 'failed', '', '', '', ''];
    }
    const r = outcome.result;
    if (r.note !== null) notes.push(`${impl.name} (${variant} ids): ${r.note}`);
    watchShare(`${impl.name} add (${variant} ids)`, r.cpuMs, r.addMs);
    return [
      impl.name,
      variant,
      fmtInt(r.added),
      (r.addMs / 1000).toFixed(2),
      fmtInt(addsPerSecond(r)),
      fmtShare(r.cpuMs, r.addMs),
      fmtInt(heapPerJob(r)),
    ];
  });
  printTable(
    ['implementation', 'ids', 'jobs added', 'time s', 'adds/s', 'CPU', 'heap B/job'],
    table,
  );

  console.log();
  const ratioRows: string[][] = [];
  for (const peer of PEERS) {
    const cells: string[] = [`Horarium ÷ ${peer.name}`];
    for (const variant of ['generated', 'explicit'] as const) {
      const h = rows.find((r) => r.impl === HORARIUM && r.variant === variant)?.outcome;
      const p = rows.find((r) => r.impl === peer && r.variant === variant)?.outcome;
      const ok = h?.ok === true && p?.ok === true;
      cells.push(ok ? fmtRatio(addsPerSecond(h.result) / addsPerSecond(p.result)) : '—');
      cells.push(ok ? fmtRatio(heapPerJob(h.result) / heapPerJob(p.result)) : '—');
    }
    ratioRows.push(cells);
  }
  printTable(
    [
      'ratio',
      'adds/s (generated)',
      'heap/job (generated)',
      'adds/s (explicit)',
      'heap/job (explicit)',
    ],
    ratioRows,
  );
  console.log('(adds/s: higher is better; heap/job: lower is better)');
  printWorkloads('add');
  printNotes(notes);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 2. a burst of jobs due at the same instant

function burstRate(r: BurstResult): number | null {
  if (r.lastMs === null || r.lastMs <= 0) return null;
  return (r.ran * 1000) / r.lastMs;
}

async function scenarioBurst(): Promise<Map<Impl, Outcome<BurstResult>>> {
  console.log(`\n--- 2. ${fmtInt(BURST_JOBS)} no-op async jobs due at the same instant ---`);
  const results = new Map<Impl, Outcome<BurstResult>>();
  for (const impl of IMPLS) results.set(impl, await runCase(impl.key, 'burst', 'burst'));
  const notes: string[] = [];
  const h = results.get(HORARIUM);
  const hRate = h?.ok === true ? burstRate(h.result) : null;
  const table = IMPLS.map((impl) => {
    const outcome = results.get(impl)!;
    if (!outcome.ok) {
      notes.push(`${impl.name} failed: ${outcome.error}`);
      return [impl.name, 'failed'];
    }
    const r = outcome.result;
    if (r.note !== null) notes.push(`${impl.name}: ${r.note}`);
    if (r.capped) {
      notes.push(
        `${impl.name}: stopped waiting ${BURST_CAP_MS / 1000} s after the due instant with ` +
          `${fmtInt(r.ran)} of ${fmtInt(r.added)} runs done; the rate is the partial rate`,
      );
    }
    const rate = burstRate(r);
    const wall = r.firstMs !== null && r.lastMs !== null ? r.lastMs - r.firstMs : null;
    return [
      impl.name,
      fmtInt(r.added),
      (r.addMs / 1000).toFixed(2),
      fmtInt(r.ran),
      fmtMs(r.firstMs),
      r.capped ? `> ${fmtInt(BURST_CAP_MS)}` : fmtMs(r.lastMs),
      rate === null ? '—' : fmtInt(rate),
      fmtShare(r.cpuMs, wall),
      r.cpuMs === null || r.ran === 0 ? '—' : fmtMs((1000 * r.cpuMs) / r.ran),
      impl === HORARIUM || rate === null || hRate === null ? '' : fmtRatio(hRate / rate),
    ];
  });
  printTable(
    [
      'implementation',
      'jobs',
      'add s',
      'runs',
      'first ms',
      'last ms',
      'runs/s',
      'CPU',
      'CPU µs/run',
      'Horarium ÷ peer',
    ],
    table,
  );
  console.log(
    '(first/last ms: from the due instant to the start of the first/last run; runs/s = runs ÷ last ms; ' +
      'CPU µs/run = CPU time from the first run to the last ÷ runs, which other load on the machine does not ' +
      'inflate; node-schedule is timer-bound, one run per 1-ms timer, hence its low CPU share)',
  );
  printWorkloads('burst');
  printNotes(notes);
  return results;
}

// ---------------------------------------------------------------------------------------------
// 3. firing lateness at a sustained rate

/** The implementations of the lateness-type cases: node-schedule only has the whole-second one. */
function latenessImpls(name: 'lateness' | 'spread' | 'light'): readonly Impl[] {
  return name === 'lateness' ? ALL_IMPLS : ALL_IMPLS.filter((impl) => impl.key !== 'node-schedule');
}

async function scenarioLateness(
  name: 'lateness' | 'spread' | 'light',
  title: string,
): Promise<Map<Impl, Outcome<LatenessResult>>> {
  console.log(`\n--- ${title} ---`);
  const impls = latenessImpls(name);
  const results = new Map<Impl, Outcome<LatenessResult>>();
  for (const impl of impls) results.set(impl, await runCase(impl.key, name, 'lateness'));
  const notes: string[] = [];
  const h = results.get(HORARIUM);
  const hCpu = h?.ok === true ? h.result.cpuMs / h.result.ran : Number.NaN;
  const table = impls.map((impl) => {
    const outcome = results.get(impl)!;
    if (!outcome.ok) {
      notes.push(`${impl.name} failed: ${outcome.error}`);
      return [impl.name, 'failed'];
    }
    const r = outcome.result;
    if (r.note !== null) notes.push(`${impl.name}: ${r.note}`);
    const expected = r.jobs * r.seconds;
    return [
      impl.name,
      fmtInt(r.jobs),
      `${fmtInt(r.ran)} / ${fmtInt(expected)}`,
      fmtMs(r.p50),
      fmtMs(r.p99),
      fmtMs(r.max),
      fmtMs(r.firstP50),
      name === 'spread' ? '—' : fmtMs(r.lastP50),
      fmtMs((1000 * r.cpuMs) / r.ran),
      impl === HORARIUM || h?.ok !== true ? '' : fmtRatio(h.result.p99 / r.p99),
      impl === HORARIUM || h?.ok !== true ? '' : fmtRatio(hCpu / (r.cpuMs / r.ran)),
    ];
  });
  printTable(
    [
      'implementation',
      'jobs',
      'runs in window',
      'p50 ms',
      'p99 ms',
      'max ms',
      'wake ms',
      'all started ms',
      'CPU µs/run',
      'p99 H ÷ peer',
      'CPU H ÷ peer',
    ],
    table,
  );
  console.log(
    '(lateness = start of the run − its scheduled time, over the runs scheduled in the window; ' +
      'wake = median lateness of the first run of each interval; all started = median lateness of the last run ' +
      'of each interval (when all the runs due at that instant have started); ' +
      'CPU µs/run = CPU time over the window ÷ runs; lower is better)',
  );
  printWorkloads(name);
  printNotes(notes);
  return results;
}

/**
 * The longest event-loop block while the runs go on, in separate runs: the delay monitor's 1-ms
 * timer costs several µs of CPU per run at 10,000 runs/s, so the other figures are taken without it.
 */
async function scenarioBlock(): Promise<void> {
  console.log(
    '\n--- 6. longest event-loop block (separate runs with an event-loop delay monitor) ---',
  );
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const name of ['lateness', 'spread', 'light'] as const) {
    for (const impl of latenessImpls(name)) {
      if (impl.key === 'node-schedule') continue;
      const outcome = await runCase(impl.key, name, 'lateness', ['block']);
      if (!outcome.ok) {
        notes.push(`${impl.name} (${name}) failed: ${outcome.error}`);
        rows.push([name, impl.name, 'failed']);
        continue;
      }
      const r = outcome.result;
      rows.push([name, impl.name, fmtMs(r.blockMaxMs), fmtMs(r.p99)]);
    }
  }
  printTable(['case', 'implementation', 'loop block ms', 'p99 ms (with the monitor)'], rows);
  console.log(
    '(cases: lateness = whole-second bursts of 10,000, spread = 10,000 runs/s spread over each second, ' +
      "light = 50 jobs every 200 ms; loop block = the monitor's maximum delay, 1-ms resolution)",
  );
  printNotes(notes);
}

/** Scenarios to run: BENCH_SCHEDULER_CASES=add,burst,lateness,spread,light,block (all by default). */
const SCENARIOS = new Set(
  (process.env.BENCH_SCHEDULER_CASES ?? 'add,burst,lateness,spread,light,block')
    .split(',')
    .map((v) => v.trim()),
);

// ---------------------------------------------------------------------------------------------

function printHeader(): void {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  console.log('Horarium scheduler benchmark: adding jobs, bursts of due jobs, firing lateness');
  console.log(
    `node ${process.version}, ${os.platform()}-${os.arch()}, ${cpus.length} × ${model}, ` +
      `load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  console.log(
    'every measurement in a fresh `node --expose-gc --import tsx bench/scheduler-worker.ts <impl> <case>`; ' +
      'ratios are Horarium ÷ peer; CPU = CPU time of the worker ÷ wall time of the measured phase',
  );
  console.log(
    `node-schedule: adding stops after ${ADD_BUDGET_MS / 1000} s (its invocation list is kept sorted ` +
      'by insertion from the end, O(n) per job when fire times are equal); a burst is cut off ' +
      `${BURST_CAP_MS / 1000} s after its due instant`,
  );
}

export async function run(): Promise<void> {
  printHeader();
  const started = performance.now();
  const add = SCENARIOS.has('add') ? await scenarioAdd() : [];
  const burst = SCENARIOS.has('burst') ? await scenarioBurst() : new Map();
  const lateness = SCENARIOS.has('lateness')
    ? await scenarioLateness(
        'lateness',
        `3. whole-second bursts: ${fmtInt(RATE_JOBS)} jobs on a 1-second interval for ${RATE_SECONDS} s ` +
          `(${fmtInt(RATE_JOBS)} runs/s, all due at each whole second)`,
      )
    : new Map();
  const spread = SCENARIOS.has('spread')
    ? await scenarioLateness(
        'spread',
        `4. spread: ${fmtInt(RATE_JOBS)} jobs on a 1-second interval for ${RATE_SECONDS} s ` +
          `(${fmtInt(RATE_JOBS)} runs/s, due times spread evenly over each second, 10 per ms)`,
      )
    : new Map();
  const light = SCENARIOS.has('light')
    ? await scenarioLateness(
        'light',
        `5. light load: ${LIGHT_JOBS} jobs on a ${LIGHT_PERIOD_MS}-ms interval for ${(LIGHT_PERIODS * LIGHT_PERIOD_MS) / 1000} s`,
      )
    : new Map();
  if (SCENARIOS.has('block')) await scenarioBlock();

  console.log(
    `\nsuite took ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `load average now ${os.loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
  if (lowShares.length > 0) {
    console.log(
      `WARNING: workers got less than 90% of a CPU (${lowShares.join(', ')}): other load on this ` +
        'machine depressed the wall-clock figures and inflated the lateness; re-run when idle',
    );
  }

  console.log('\n--- targets ---');
  for (const variant of add.length === 0 ? [] : (['generated', 'explicit'] as const)) {
    const outcome = add.find((r) => r.impl === HORARIUM && r.variant === variant)?.outcome;
    if (outcome?.ok !== true) {
      console.log(`MISS  add (${variant} ids): no result`);
      continue;
    }
    const rate = addsPerSecond(outcome.result);
    const heap = heapPerJob(outcome.result);
    console.log(
      `${verdict(rate >= TARGET_ADDS_PER_SECOND)}  adds >= ${fmtInt(TARGET_ADDS_PER_SECOND)}/s ` +
        `(${variant} ids): ${fmtInt(rate)}/s`,
    );
    console.log(
      `${verdict(heap <= TARGET_HEAP_BYTES_PER_JOB)}  heap <= ${TARGET_HEAP_BYTES_PER_JOB} B/job ` +
        `(${variant} ids): ${fmtInt(heap)} B/job`,
    );
  }
  const b = burst.get(HORARIUM);
  if (burst.size === 0) {
    // The burst scenario was not run.
  } else if (b?.ok === true) {
    const r = b.result;
    const ok =
      !r.capped && r.ran === BURST_JOBS && r.lastMs !== null && r.lastMs <= TARGET_BURST_MS;
    console.log(
      `${verdict(ok)}  all ${fmtInt(BURST_JOBS)} burst jobs run within ${fmtInt(TARGET_BURST_MS)} ms ` +
        `of their due instant: ${fmtInt(r.ran)} runs, last at ${r.capped ? `> ${fmtInt(BURST_CAP_MS)}` : fmtMs(r.lastMs)} ms`,
    );
  } else {
    console.log('MISS  burst: no result');
  }
  const latenessTarget = (
    label: string,
    results: Map<Impl, Outcome<LatenessResult>>,
  ): LatenessResult | undefined => {
    if (results.size === 0) return undefined;
    const l = results.get(HORARIUM);
    if (l?.ok !== true) {
      console.log(`MISS  ${label}: no result`);
      return undefined;
    }
    const r = l.result;
    const expected = r.jobs * r.seconds;
    const ok = r.ran === expected && r.p99 <= TARGET_LATENESS_P99_MS;
    const bare = results.get(BARE);
    const floor =
      bare?.ok === true
        ? `; bare start loop p99 ${fmtMs(bare.result.p99)} ms (${fmtMs((1000 * bare.result.cpuMs) / bare.result.ran)} µs of CPU per run)`
        : '';
    console.log(
      `${verdict(ok)}  ${label}: lateness p99 <= ${TARGET_LATENESS_P99_MS} ms: ` +
        `p99 ${fmtMs(r.p99)} ms (${fmtInt(r.ran)} of ${fmtInt(expected)} runs)${floor}`,
    );
    return r;
  };
  latenessTarget(`spread, ${fmtInt(RATE_JOBS)} runs/s`, spread);
  latenessTarget(`light load, ${LIGHT_JOBS} jobs every ${LIGHT_PERIOD_MS} ms`, light);
  const whole = latenessTarget(`whole-second bursts of ${fmtInt(RATE_JOBS)}`, lateness);
  const toad = lateness.get(PEERS[1]!);
  const bare = lateness.get(BARE);
  if (whole !== undefined && toad?.ok === true) {
    const t = toad.result;
    console.log(
      `${verdict(whole.lastP50 <= t.lastP50)}  whole-second burst of ${fmtInt(RATE_JOBS)}: all started ` +
        `${fmtMs(whole.lastP50)} ms after the due instant, no later than toad-scheduler (${fmtMs(t.lastP50)} ms)` +
        (bare?.ok === true ? `; bare start loop ${fmtMs(bare.result.lastP50)} ms` : ''),
    );
    const ratio = whole.cpuMs / whole.ran / (t.cpuMs / t.ran);
    console.log(
      `${verdict(ratio <= TARGET_CPU_RATIO)}  CPU per run at ${fmtInt(RATE_JOBS)} runs/s <= ${TARGET_CPU_RATIO}× ` +
        `toad-scheduler's: ${fmtRatio(ratio)} (${fmtMs((1000 * whole.cpuMs) / whole.ran)} vs ${fmtMs((1000 * t.cpuMs) / t.ran)} µs)`,
    );
  }
}
