// Next-fire-time throughput of a cron trigger seen through an exclusion calendar: hourly 9–17 in
// Europe/Berlin, with a union of 1,000 holidays and weekends. Measured in the same run beside the
// bare cron trigger, a walk over the trigger's fire times checking each against the calendar (how
// Quartz searches), and a naive minute-by-minute walk. Building triggers and calendars is not timed.

import os from 'node:os';
import { CalendarTrigger } from '../src/calendars/calendar-trigger.ts';
import { CronTrigger, HolidayCalendar, unionCalendar, WeeklyCalendar } from '../src/index.ts';
import { printTable } from './table.ts';

const ZONE = 'Europe/Berlin';
const CRONTAB = '0 9-17 * * *';
const HOLIDAYS = 1000;
/** Holidays are drawn from these years; chains start at the beginning of each but the last. */
const FIRST_YEAR = 2025;
const YEARS = 20;
const CHAIN_LENGTH = 200;
const SAMPLES = 5;
const TARGET_OPS = 100_000;
const MINUTE = 60_000;

/** A deterministic generator (mulberry32), so that every run excludes the same days. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function holidayDates(): string[] {
  const next = random(18);
  const first = Date.UTC(FIRST_YEAR, 0, 1);
  const span = Date.UTC(FIRST_YEAR + YEARS, 0, 1) - first;
  const dates = new Set<string>();
  while (dates.size < HOLIDAYS) {
    const day = first + Math.floor((next() * span) / 86_400_000) * 86_400_000;
    dates.add(new Date(day).toISOString().slice(0, 10));
  }
  return [...dates];
}

const STARTS: readonly number[] = Array.from({ length: YEARS - 1 }, (_, i) =>
  Date.UTC(FIRST_YEAR + i, 0, 1),
);

interface Impl {
  readonly name: string;
  /** Computations per sample. */
  readonly ops: number;
  /** The first fire time strictly after `previous` (epoch ms). */
  next(previous: number): number;
}

function fail(name: string, after: number): never {
  throw new Error(`${name} found no fire time after ${new Date(after).toISOString()}`);
}

function impls(): Impl[] {
  const cron = CronTrigger.fromCrontab(CRONTAB, { timezone: ZONE });
  const calendar = unionCalendar([
    new HolidayCalendar({ dates: holidayDates(), timezone: ZONE }),
    new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone: ZONE }),
  ]);
  const withCalendar = new CalendarTrigger(cron, calendar, 'business-hours');
  const bareNext = (previous: number): number => {
    const t = new Date(previous);
    return cron.getNextFireTime(t, t)?.getTime() ?? fail('cron', previous);
  };
  return [
    {
      name: 'CalendarTrigger',
      ops: 40_000,
      next(previous) {
        const t = new Date(previous);
        withCalendar.takeExcluded(); // what the scheduler does after each search
        return withCalendar.getNextFireTime(t, t)?.getTime() ?? fail('CalendarTrigger', previous);
      },
    },
    { name: 'bare cron (no calendar)', ops: 200_000, next: bareNext },
    {
      name: 'fire-time walk',
      ops: 10_000,
      next(previous) {
        let t = bareNext(previous);
        while (!calendar.isTimeIncluded(new Date(t))) t = bareNext(t);
        return t;
      },
    },
    {
      name: 'naive minute walk',
      ops: 400,
      next(previous) {
        // Every whole minute after `previous`: is it included, and is it a fire time of the cron?
        for (let t = previous - (previous % MINUTE) + MINUTE; ; t += MINUTE) {
          const at = new Date(t);
          if (calendar.isTimeIncluded(at) && cron.getNextFireTime(null, at)?.getTime() === t) {
            return t;
          }
        }
      },
    },
  ];
}

let sink = 0;

function chain(impl: Impl, start: number, steps: number): void {
  let t = start;
  for (let i = 0; i < steps; i++) t = impl.next(t);
  sink += t % 7;
}

/** One timed sample of `impl.ops` computations, chains spread over the years: ops/s. */
function sample(impl: Impl): number {
  const steps = Math.min(CHAIN_LENGTH, impl.ops);
  const chains = Math.max(1, Math.round(impl.ops / steps));
  const t0 = process.hrtime.bigint();
  for (let c = 0; c < chains; c++) chain(impl, STARTS[c % STARTS.length]!, steps);
  const ns = Number(process.hrtime.bigint() - t0);
  return (chains * steps * 1e9) / Math.max(1, ns);
}

/**
 * Median ops/s per implementation. Samples alternate between the implementations, round by
 * round, so that a change in the machine's load hits all of them alike.
 */
function measure(list: readonly Impl[]): number[] {
  for (const impl of list) sample(impl); // warm-up
  const samples = list.map((): number[] => []);
  for (let round = 0; round < SAMPLES; round++) {
    for (const [i, impl] of list.entries()) samples[i]!.push(sample(impl));
  }
  return samples.map((rates) => rates.sort((a, b) => a - b)[rates.length >> 1]!);
}

/** The first fire times of every implementation from every start must agree. */
function checkAgreement(list: readonly Impl[]): void {
  const [reference, ...others] = list.filter((impl) => !impl.name.startsWith('bare'));
  for (const start of STARTS) {
    let expected = start;
    const actual = others.map(() => start);
    for (let i = 0; i < 20; i++) {
      expected = reference!.next(expected);
      others.forEach((impl, k) => {
        actual[k] = impl.next(actual[k]!);
        if (actual[k] !== expected) {
          throw new Error(
            `${impl.name} disagrees with ${reference!.name} from ${new Date(start).toISOString()}: ` +
              `${new Date(actual[k]!).toISOString()} vs ${new Date(expected).toISOString()}`,
          );
        }
      });
    }
  }
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function ratio(value: number): string {
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

export async function run(): Promise<void> {
  const cpus = os.cpus();
  console.log('Horarium calendar benchmark: next-fire-time computations per second');
  console.log(
    `node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ` +
      `load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
  console.log(
    `cron '${CRONTAB}' in ${ZONE}; calendar: union of ${HOLIDAYS} holidays (${FIRST_YEAR}–${FIRST_YEAR + YEARS - 1}) ` +
      `and sat/sun; chains of ${CHAIN_LENGTH} from Jan 1 of ${STARTS.length} years; median of ${SAMPLES} samples`,
  );
  const list = impls();
  checkAgreement(list);
  console.log(
    'agreement: CalendarTrigger, fire-time walk and minute walk give the same fire times',
  );
  const rates = measure(list);
  const mine = rates[0]!;
  printTable(
    ['implementation', 'ops/s', 'CalendarTrigger ÷'],
    list.map((impl, i) => [
      impl.name,
      fmt.format(rates[i]!),
      i === 0 ? '' : ratio(mine / rates[i]!),
    ]),
  );
  console.log(
    `\n${mine >= TARGET_OPS ? 'PASS' : 'FAIL'}  cron + calendar >= ${fmt.format(TARGET_OPS)} ops/s: ${fmt.format(mine)} ops/s`,
  );
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
}
