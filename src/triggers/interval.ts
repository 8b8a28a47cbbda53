/** `IntervalTrigger`: fires every fixed amount of absolute time. */
import {
  MAX_INSTANT_MS,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_SECOND,
} from '../time/civil.ts';
import type { DateInput } from '../time/parse.ts';
import type { Zone } from '../time/zone.ts';
import {
  applyJitterMs,
  ceilToMillisecond,
  checkDateOrder,
  checkTriggerOptions,
  isoOrNull,
  optionalDate,
  parseJitter,
  requireTimeArgument,
  resolveZone,
} from './common.ts';
import { formatDuration } from './duration.ts';
import { InvalidTriggerError } from './errors.ts';
import { registerTrigger } from './registry.ts';
import type { RandomSource, Trigger, TriggerJSON } from './trigger.ts';

/**
 * The interval is the sum of the units given; each may be fractional as long as
 * it comes to a whole number of milliseconds (`seconds: 0.5` = `milliseconds: 500`).
 */
export interface IntervalTriggerOptions {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  /** A whole number. */
  milliseconds?: number;
  /** First grid point, to the millisecond. Omitted: `now + interval` at the first call. */
  startDate?: DateInput | null;
  /** Last possible fire time (inclusive). */
  endDate?: DateInput | null;
  /** Zone for naive date strings and for printing. */
  timezone?: string;
  /** The most a run is delayed at random, in seconds (fractions allowed; delays are whole milliseconds). */
  jitter?: number | null;
  random?: RandomSource;
}

const UNITS = [
  ['weeks', 7 * MS_PER_DAY],
  ['days', MS_PER_DAY],
  ['hours', MS_PER_HOUR],
  ['minutes', MS_PER_MINUTE],
  ['seconds', MS_PER_SECOND],
  ['milliseconds', 1],
] as const;

const OPTION_NAMES: readonly string[] = [
  ...UNITS.map(([u]) => u),
  'startDate',
  'endDate',
  'timezone',
  'jitter',
  'random',
];

/**
 * A unit's share of the interval in milliseconds, to within floating-point
 * error (`1.1 * 1000` is 1100.0000000000002); more than that is a sub-millisecond
 * part no fire time can hold.
 */
function wholeMilliseconds(unit: string, value: number, size: number): number {
  const ms = value * size;
  const whole = Math.round(ms);
  if (Math.abs(ms - whole) > Math.max(1e-6, Math.abs(ms) * 1e-13)) {
    throw new InvalidTriggerError(
      unit,
      `${unit}: ${value} comes to ${Number(ms.toPrecision(12))} ms; an interval must be a whole number of milliseconds, at least 1 ms`,
    );
  }
  return whole;
}

/**
 * Fires at `startDate + k·interval`, to the millisecond (jitter delays a run
 * without moving the grid). Arithmetic is on absolute time, so a
 * 24-hour interval moves by an hour of wall-clock time across a DST switch
 * (use `CalendarIntervalTrigger` to keep the wall-clock time).
 *
 * @example
 * ```ts
 * new IntervalTrigger({ minutes: 5 });
 * ```
 */
export class IntervalTrigger implements Trigger {
  /** The options the constructor takes (the `'interval'` alias's arguments). */
  static readonly optionNames: readonly string[] = OPTION_NAMES;
  /** The interval in milliseconds (a whole number, at least 1). */
  readonly interval: number;
  // A million jobs hold a million triggers: only what cannot be derived is a field.
  readonly #zone: Zone;
  readonly #end: number | undefined;
  readonly #jitterMs: number;
  readonly #random: RandomSource;
  #start: number | undefined;

  constructor(options: IntervalTriggerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidTriggerError('options', 'IntervalTrigger options must be an object');
    }
    checkTriggerOptions('IntervalTrigger', options as Record<string, unknown>, OPTION_NAMES);
    let interval = 0;
    for (const [unit, size] of UNITS) {
      const value = options[unit];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new InvalidTriggerError(
          unit,
          `${unit} must be a non-negative number, got ${String(value)}`,
        );
      }
      interval += wholeMilliseconds(unit, value, size);
    }
    if (interval <= 0) {
      throw new InvalidTriggerError(
        'interval',
        'The interval must be positive, at least 1 ms: give weeks, days, hours, minutes, seconds or milliseconds',
      );
    }
    if (interval > MAX_INSTANT_MS) {
      const unit = UNITS.find(([name, size]) => (options[name] ?? 0) * size > MAX_INSTANT_MS);
      const given = unit === undefined ? 'The interval' : `${unit[0]}: ${options[unit[0]]}`;
      throw new InvalidTriggerError(
        unit?.[0] ?? 'interval',
        `${given} comes to ${interval.toExponential(3)} ms, longer than all the time a Date can hold (8.64e15 ms, about 273,790 years): no fire time could follow the first`,
      );
    }
    this.interval = interval;
    this.#zone = resolveZone(options.timezone);
    const start = optionalDate('startDate', options.startDate, this.#zone);
    this.#start = start === undefined ? undefined : ceilToMillisecond(start);
    const end = optionalDate('endDate', options.endDate, this.#zone);
    // Fire times are whole milliseconds: none lies between an end date and its whole millisecond.
    this.#end = end === undefined ? undefined : Math.floor(end);
    checkDateOrder(start, end, this.#zone);
    this.#jitterMs = parseJitter(options.jitter);
    this.#random = options.random ?? Math.random;
  }

  /** The zone naive dates are read in and times are printed in. */
  get timezone(): string {
    return this.#zone.name;
  }

  /** The last possible fire time, or null. */
  get endDate(): Date | null {
    return this.#end === undefined ? null : new Date(this.#end);
  }

  /** The most a fire time is delayed at random, in seconds, or null. */
  get jitter(): number | null {
    return this.#jitterMs > 0 ? this.#jitterMs / MS_PER_SECOND : null;
  }

  /** The grid's anchor, or null until the first call fixes it at `now + interval`. */
  get startDate(): Date | null {
    return this.#start === undefined ? null : new Date(this.#start);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    if (this.#start === undefined) this.#start = (previous ?? current) + this.interval;
    const start = this.#start;
    let next: number;
    if (previous !== null) {
      // The first grid point strictly after the previous fire time: a jittered or
      // off-grid previous time does not drag the grid along.
      next =
        previous < start
          ? start
          : start + (Math.floor((previous - start) / this.interval) + 1) * this.interval;
    } else if (current <= start) {
      next = start;
    } else {
      next = start + Math.ceil((current - start) / this.interval) * this.interval;
    }
    if (this.#end !== undefined && next > this.#end) return null;
    // No time lies beyond the last instant a Date holds: the trigger has finished.
    if (next > MAX_INSTANT_MS) return null;
    return new Date(applyJitterMs(next, this.#jitterMs, this.#end, this.#random));
  }

  toJSON(): TriggerJSON {
    // The interval in whole units (an interval given as 90 minutes is stored as 1 hour 30 minutes);
    // `milliseconds` appears only for a sub-second part, so whole-second intervals keep their JSON.
    const units: Record<string, number> = {};
    let rest = this.interval;
    for (const [unit, size] of UNITS) {
      const count = Math.floor(rest / size);
      if (count > 0) units[unit] = count;
      rest -= count * size;
    }
    return {
      type: 'interval',
      version: 1,
      ...units,
      startDate: isoOrNull(this.#start),
      endDate: isoOrNull(this.#end),
      timezone: this.timezone,
      jitter: this.jitter,
    };
  }

  toString(): string {
    return `interval[${formatDuration(this.interval)}]`;
  }
}

registerTrigger('interval', (state) => {
  if (state.version !== 1) {
    throw new InvalidTriggerError(
      'version',
      `unsupported interval trigger version ${String(state.version)}`,
    );
  }
  const {
    type: _type,
    version: _version,
    ...options
  } = state as TriggerJSON & IntervalTriggerOptions;
  return new IntervalTrigger(options);
});
