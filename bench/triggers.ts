// Next-fire-time throughput of Horarium's CronTrigger against croner and cron-parser, measured in
// the same process. Every implementation walks the same chains: starting from START it computes the
// first fire time strictly after the previous one, CHAIN_LENGTH times, then starts over. Building
// the trigger / parsing the expression happens once per case, outside the timed region.

import os from 'node:os';
import { CronExpressionParser } from 'cron-parser';
import { Cron } from 'croner';
import { CronTrigger } from '../src/index.ts';
import { printTable } from './table.ts';

const EXPRESSIONS: readonly string[] = [
  '*/5 * * * *',
  '0 9 * * 1-5',
  '30 2 * * *',
  '0 0 1,15 * *',
  '15 */2 * * 0,6',
  '0 0 L * *',
];
const ZONES: readonly string[] = ['UTC', 'America/New_York'];

/** Every chain starts here (exclusive: the first result is the first fire time after it). */
const START = Date.UTC(2025, 0, 1, 0, 0, 0);
/** Extra starting points for the agreement check, around the 2025 New York DST transitions. */
const CHECK_STARTS: readonly number[] = [
  START,
  Date.UTC(2025, 2, 8, 12, 0, 0), // the day before spring-forward (2025-03-09 02:00 EST)
  Date.UTC(2025, 2, 9, 6, 30, 0), // 01:30 EST, half an hour before the gap
  Date.UTC(2025, 10, 1, 12, 0, 0), // the day before fall-back (2025-11-02 02:00 EDT)
  Date.UTC(2025, 10, 2, 5, 30, 0), // 01:30 EDT, inside the first pass through the fold
];
const CHECK_COUNT = 8;

/** Chain length before restarting from START; keeps every chain within a realistic date range. */
const CHAIN_LENGTH = 200;
/** Timed samples per case; the reported figure is their median. */
const SAMPLES = 5;

const TARGET_CRONER_RATIO_NY = 30;
const TARGET_UTC_OPS = 1_000_000;

/** One implementation prepared for one (expression, zone) case. */
interface Runner {
  /** Walk `steps` successive fire times from `startMs`; returns the last one (epoch ms). */
  chain(startMs: number, steps: number): number;
  /** The first `count` fire times after `startMs` (epoch ms). */
  list(startMs: number, count: number): number[];
}

interface Impl {
  readonly name: string;
  /** Computations per timed case (split over SAMPLES samples), a multiple of CHAIN_LENGTH * SAMPLES. */
  readonly ops: number;
  prepare(expression: string, zone: string): Runner;
}

function fail(impl: string, expression: string, zone: string, startMs: number): never {
  throw new Error(
    `${impl} found no fire time for '${expression}' in ${zone} after ${new Date(startMs).toISOString()}`,
  );
}

const horarium: Impl = {
  name: 'Horarium',
  ops: 200_000,
  prepare(expression, zone) {
    const trigger = CronTrigger.fromCrontab(expression, { timezone: zone });
    const step = (t: Date): Date =>
      trigger.getNextFireTime(t, t) ?? fail('Horarium', expression, zone, t.getTime());
    return {
      chain(startMs, steps) {
        let t = new Date(startMs);
        for (let i = 0; i < steps; i++) t = step(t);
        return t.getTime();
      },
      list(startMs, count) {
        const out: number[] = [];
        let t = new Date(startMs);
        for (let i = 0; i < count; i++) {
          t = step(t);
          out.push(t.getTime());
        }
        return out;
      },
    };
  },
};

const croner: Impl = {
  name: 'croner',
  ops: 10_000,
  prepare(expression, zone) {
    // No callback: the job only computes run times and never schedules a timer. In UTC croner gets
    // its fast fixed-offset path ({ timezone: 'UTC' } goes through Intl and is several times slower).
    const job = new Cron(expression, zone === 'UTC' ? { utcOffset: 0 } : { timezone: zone });
    const step = (t: Date): Date => job.nextRun(t) ?? fail('croner', expression, zone, t.getTime());
    return {
      chain(startMs, steps) {
        let t = new Date(startMs);
        for (let i = 0; i < steps; i++) t = step(t);
        return t.getTime();
      },
      list(startMs, count) {
        const out: number[] = [];
        let t = new Date(startMs);
        for (let i = 0; i < count; i++) {
          t = step(t);
          out.push(t.getTime());
        }
        return out;
      },
    };
  },
};

const cronParser: Impl = {
  name: 'cron-parser',
  ops: 2_000,
  prepare(expression, zone) {
    // The iterator keeps its own position; reset() moves it back to the start of a chain.
    // Only the last CronDate of a chain is converted, which favours cron-parser slightly.
    const iterator = CronExpressionParser.parse(expression, {
      currentDate: new Date(START),
      tz: zone,
    });
    return {
      chain(startMs, steps) {
        iterator.reset(new Date(startMs));
        let last = iterator.next();
        for (let i = 1; i < steps; i++) last = iterator.next();
        return last.getTime();
      },
      list(startMs, count) {
        iterator.reset(new Date(startMs));
        const out: number[] = [];
        for (let i = 0; i < count; i++) out.push(iterator.next().getTime());
        return out;
      },
    };
  },
};

const IMPLS: readonly Impl[] = [horarium, croner, cronParser];

/** Keeps chain results observable so no work can be optimized away. */
let sink = 0;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Which clock turns a sample into ops/s: 'wall' (default) or 'cpu' (user + system time of this
 * process, BENCH_CLOCK=cpu), which is steadier on a machine shared with other work but also
 * counts V8's helper threads (concurrent GC and compilation).
 */
const CLOCK: 'wall' | 'cpu' = process.env.BENCH_CLOCK === 'cpu' ? 'cpu' : 'wall';

/** Wall-clock and CPU time spent in timed samples, to report how much of a CPU we actually got. */
const timed = { wallNs: 0, cpuNs: 0 };

/** Median ops/s over SAMPLES timed samples of `ops / SAMPLES` computations each, after a warm-up. */
function measure(runner: Runner, ops: number): number {
  const chainsPerSample = Math.max(1, Math.round(ops / SAMPLES / CHAIN_LENGTH));
  const run = (): void => {
    for (let c = 0; c < chainsPerSample; c++) sink += runner.chain(START, CHAIN_LENGTH) % 7;
  };
  run(); // warm-up: one sample's worth
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    run();
    const wallNs = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    const cpuNs = (cpu.user + cpu.system) * 1000;
    timed.wallNs += wallNs;
    timed.cpuNs += cpuNs;
    rates.push(
      (chainsPerSample * CHAIN_LENGTH * 1e9) / Math.max(1, CLOCK === 'cpu' ? cpuNs : wallNs),
    );
  }
  return median(rates);
}

// ---------------------------------------------------------------------------------------------
// Output helpers

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtOps(value: number): string {
  return intFormat.format(value);
}

function fmtRatio(value: number): string {
  return value >= 100
    ? `${value.toFixed(0)}×`
    : value >= 10
      ? `${value.toFixed(1)}×`
      : `${value.toFixed(2)}×`;
}

function localFormatter(zone: string): (ms: number) => string {
  const f = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'shortOffset',
  });
  return (ms) => f.format(ms);
}

// ---------------------------------------------------------------------------------------------

/** Compares the first fire times of every implementation; returns the number of disagreements. */
function checkAgreement(zone: string, runners: ReadonlyMap<string, readonly Runner[]>): number {
  const fmt = localFormatter(zone);
  const strict = zone === 'UTC';
  const starts = strict ? [START] : CHECK_STARTS;
  let disagreements = 0;
  for (const [i, expression] of EXPRESSIONS.entries()) {
    for (const start of starts) {
      const lists = IMPLS.map((impl) => runners.get(impl.name)![i]!.list(start, CHECK_COUNT));
      const reference = lists[0]!;
      for (let k = 1; k < IMPLS.length; k++) {
        const other = lists[k]!;
        const at = reference.findIndex((ms, j) => ms !== other[j]);
        if (at < 0) continue;
        disagreements++;
        const label = strict ? 'WARNING' : 'note (DST)';
        console.log(
          `${label}: '${expression}' in ${zone} from ${new Date(start).toISOString()}: ` +
            `fire #${at + 1} is ${fmt(reference[at]!)} in ${IMPLS[0]!.name}, ` +
            `${fmt(other[at]!)} in ${IMPLS[k]!.name}`,
        );
      }
    }
  }
  return disagreements;
}

interface ZoneResult {
  /** ops/s per implementation name, per expression (EXPRESSIONS order). */
  readonly rates: ReadonlyMap<string, readonly number[]>;
}

/** Mix throughput if every expression gets the same number of computations (total-time mean). */
function mixTotal(rates: readonly number[]): number {
  return rates.length / rates.reduce((sum, r) => sum + 1 / r, 0);
}

function geomean(values: readonly number[]): number {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

function runZone(zone: string): ZoneResult {
  const runners = new Map<string, readonly Runner[]>(
    IMPLS.map((impl) => [impl.name, EXPRESSIONS.map((e) => impl.prepare(e, zone))]),
  );

  console.log(`\n--- ${zone} ---`);
  const disagreements = checkAgreement(zone, runners);
  if (disagreements === 0) {
    console.log(
      `agreement: first ${CHECK_COUNT} fire times identical across ${IMPLS.map((i) => i.name).join(', ')}`,
    );
  }

  // Global warm-up so the first measured case is not disadvantaged by a cold JIT.
  for (const impl of IMPLS) {
    for (const runner of runners.get(impl.name)!) runner.chain(START, CHAIN_LENGTH);
  }

  const rates = new Map<string, number[]>(IMPLS.map((impl) => [impl.name, []]));
  for (const [i] of EXPRESSIONS.entries()) {
    for (const impl of IMPLS) {
      rates.get(impl.name)!.push(measure(runners.get(impl.name)![i]!, impl.ops));
    }
  }

  const [h, ...peers] = IMPLS;
  const hRates = rates.get(h!.name)!;
  const header = [
    'expression',
    ...IMPLS.map((impl) => `${impl.name} ops/s`),
    ...peers.map((p) => `÷ ${p.name}`),
  ];
  const rows: string[][] = EXPRESSIONS.map((expression, i) => [
    expression,
    ...IMPLS.map((impl) => fmtOps(rates.get(impl.name)![i]!)),
    ...peers.map((p) => fmtRatio(hRates[i]! / rates.get(p.name)![i]!)),
  ]);
  for (const [label, agg] of [
    ['mix (total time)', mixTotal],
    ['mix (geomean)', geomean],
  ] as const) {
    rows.push([
      label,
      ...IMPLS.map((impl) => fmtOps(agg(rates.get(impl.name)!))),
      ...peers.map((p) => fmtRatio(agg(hRates) / agg(rates.get(p.name)!))),
    ]);
  }
  printTable(header, rows);
  return { rates };
}

function printHeader(): void {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  console.log(
    'Horarium trigger benchmark: next-fire-time computations per second (higher is better)',
  );
  console.log(
    `node ${process.version} (tz ${process.versions.tz ?? '?'}, icu ${process.versions.icu ?? '?'}), ` +
      `${os.platform()}-${os.arch()}, ${cpus.length} × ${model}, ` +
      `load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
  console.log(
    `chains of ${CHAIN_LENGTH} successive fire times from ${new Date(START).toISOString()}; ` +
      `median of ${SAMPLES} samples after warm-up; ` +
      IMPLS.map((i) => `${i.name} ${fmtOps(i.ops)}`).join(', ') +
      ' computations per case; ratios are Horarium ÷ peer ops/s',
  );
  console.log(
    CLOCK === 'cpu'
      ? 'clock: CPU time of this process (BENCH_CLOCK=cpu)'
      : 'clock: wall time (BENCH_CLOCK=cpu measures CPU time instead)',
  );
  console.log(
    'croner runs with { utcOffset: 0 } in UTC and { timezone } elsewhere; cron-parser with { tz }',
  );
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

export async function run(): Promise<void> {
  printHeader();
  const results = new Map<string, ZoneResult>();
  for (const zone of ZONES) results.set(zone, runZone(zone));

  const ny = results.get('America/New_York')!.rates;
  const utc = results.get('UTC')!.rates;
  const nyRatio = mixTotal(ny.get(horarium.name)!) / mixTotal(ny.get(croner.name)!);
  const nyMinRatio = Math.min(
    ...ny.get(horarium.name)!.map((r, i) => r / ny.get(croner.name)![i]!),
  );
  const utcOps = mixTotal(utc.get(horarium.name)!);
  const utcMin = Math.min(...utc.get(horarium.name)!);

  const share = timed.cpuNs / timed.wallNs;
  console.log(
    `\nthis process used ${(share * 100).toFixed(0)}% of a CPU while timed` +
      (CLOCK === 'wall' && share < 0.9
        ? ' — WARNING: other load on this machine depressed the wall-clock figures;' +
          ' re-run when idle or with BENCH_CLOCK=cpu'
        : ''),
  );

  console.log('\n--- targets (mix = equal computations per expression, total time) ---');
  console.log(
    `${verdict(nyRatio >= TARGET_CRONER_RATIO_NY)}  America/New_York vs croner >= ${TARGET_CRONER_RATIO_NY}×: ` +
      `mix ${fmtRatio(nyRatio)} (worst expression ${fmtRatio(nyMinRatio)})`,
  );
  console.log(
    `${verdict(utcOps >= TARGET_UTC_OPS)}  UTC >= ${fmtOps(TARGET_UTC_OPS)} ops/s: ` +
      `mix ${fmtOps(utcOps)} ops/s (worst expression ${fmtOps(utcMin)} ops/s)`,
  );
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // never true; keeps `sink` live
}
