/**
 * A trigger seen through an exclusion calendar: its fire times the calendar
 * excludes are skipped, and the search for the next included one is bounded.
 *
 * From an excluded fire time `t` the search jumps: `j = calendar.nextIncludedTime(t)`,
 * then the trigger's first fire time at or after `j`. Cron, interval and
 * calendar-interval triggers answer that with `getNextFireTime(null, j)`,
 * since their fire times lie on a fixed grid; other triggers are stepped fire
 * time by fire time. Either way at most `maxIterations` excluded fire times
 * are passed over in one call before `CalendarExcludesAllError` (a
 * `MaxIterationsError`) is thrown: never Quartz's endless loops.
 */
import { CalendarIntervalTrigger } from '../triggers/calendar-interval.ts';
import { CronTrigger } from '../triggers/cron/cron-trigger.ts';
import { IntervalTrigger } from '../triggers/interval.ts';
import type { Trigger, TriggerJSON } from '../triggers/trigger.ts';
import type { ExclusionCalendar } from './calendar.ts';
import { CalendarExcludesAllError } from './errors.ts';

/** Excluded fire times passed over at most in one search, as `AndTrigger`'s bound. */
export const MAX_EXCLUDED_ITERATIONS = 10_000;
/** Fire times counted at most inside one excluded stretch; beyond, the count is a lower bound. */
const COUNT_LIMIT = 1000;

/** The fire times a calendar excluded since they were last taken. */
export interface ExcludedFireTimes {
  /** How many (a lower bound when `complete` is false). */
  readonly count: number;
  readonly complete: boolean;
  /** The first and the last excluded fire time. */
  readonly first: Date;
  readonly last: Date;
  /** The rule that excluded the first, e.g. `'holiday 2026-12-25'`. */
  readonly reason: string | null;
}

export class CalendarTrigger implements Trigger {
  readonly trigger: Trigger;
  readonly calendar: ExclusionCalendar;
  /** The calendar's name, for messages and records. */
  readonly calendarName: string;
  readonly maxIterations: number;
  readonly #jumps: boolean;
  #count = 0;
  #complete = true;
  #first = Number.NaN;
  #last = Number.NaN;
  #reason: string | null = null;
  /** Excluded fire times at or before this were counted already (a search that looks back counts nothing twice). */
  #counted = Number.NEGATIVE_INFINITY;

  constructor(
    trigger: Trigger,
    calendar: ExclusionCalendar,
    calendarName: string,
    maxIterations: number = MAX_EXCLUDED_ITERATIONS,
  ) {
    this.trigger = trigger;
    this.calendar = calendar;
    this.calendarName = calendarName;
    this.maxIterations = maxIterations;
    this.#jumps =
      trigger instanceof CronTrigger ||
      trigger instanceof IntervalTrigger ||
      trigger instanceof CalendarIntervalTrigger;
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    return this.includedFrom(this.trigger.getNextFireTime(previousFireTime, now), now);
  }

  /** `candidate` when the calendar includes it, else the trigger's next fire time it includes. */
  includedFrom(candidate: Date | null, now: Date): Date | null {
    let t = candidate;
    for (let i = 0; i < this.maxIterations; i++) {
      if (t === null || this.calendar.isTimeIncluded(t)) return t;
      t = this.#skip(t, now, i);
    }
    throw new CalendarExcludesAllError(
      this.maxIterations,
      String(this.trigger),
      this.calendarName,
      `${this.maxIterations.toLocaleString('en-US')} excluded fire times in a row`,
    );
  }

  /** The excluded fire times met since the last call, or null; the count starts again. */
  takeExcluded(): ExcludedFireTimes | null {
    if (this.#count === 0) return null;
    const taken = {
      count: this.#count,
      complete: this.#complete,
      first: new Date(this.#first),
      last: new Date(this.#last),
      reason: this.#reason,
    };
    this.#count = 0;
    this.#complete = true;
    this.#first = this.#last = Number.NaN;
    this.#reason = null;
    return taken;
  }

  /** Passes over the excluded fire time `t`: the trigger's next fire time after it worth trying. */
  #skip(t: Date, now: Date, iteration: number): Date | null {
    if (!this.#jumps) {
      this.#record(t, t, 1, true);
      return this.trigger.getNextFireTime(t, now);
    }
    const resume = this.calendar.nextIncludedTime(t);
    if (resume === null) {
      throw new CalendarExcludesAllError(
        iteration + 1,
        String(this.trigger),
        this.calendarName,
        `it includes no time after ${t.toISOString()}`,
      );
    }
    const next = this.trigger.getNextFireTime(null, resume);
    this.#countStretch(t, next, now);
    return next !== null && next.getTime() > t.getTime()
      ? next
      : this.trigger.getNextFireTime(t, now);
  }

  /** Counts the fire times from `t` up to `next` (excluded, all of them), up to the limit. */
  #countStretch(t: Date, next: Date | null, now: Date): void {
    const end = next === null ? Number.POSITIVE_INFINITY : next.getTime();
    let count = 1;
    let last = t;
    for (;;) {
      const after = this.trigger.getNextFireTime(last, now);
      if (after === null || after.getTime() >= end) break;
      if (count >= COUNT_LIMIT) {
        this.#record(t, last, count, false);
        return;
      }
      last = after;
      count++;
    }
    this.#record(t, last, count, true);
  }

  #record(first: Date, last: Date, count: number, complete: boolean): void {
    const from = first.getTime();
    if (from <= this.#counted) return;
    this.#counted = last.getTime();
    if (this.#count === 0) {
      this.#first = from;
      this.#reason = this.calendar.exclusionReason(first);
    }
    this.#last = last.getTime();
    this.#count += count;
    if (!complete) this.#complete = false;
  }

  toJSON(): TriggerJSON {
    return this.trigger.toJSON();
  }

  toString(): string {
    return `${String(this.trigger)} excluding calendar "${this.calendarName}"`;
  }
}
