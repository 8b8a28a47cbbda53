/** `unionCalendar`: the exclusions of several calendars together (Quartz's chained base calendars, made explicit). */
import { MAX_INSTANT_MS } from '../time/civil.ts';
import { type CalendarJSON, type ExclusionCalendar, instantArgument } from './calendar.ts';
import { InvalidCalendarError } from './errors.ts';

/**
 * Rounds of asking each calendar in turn: one round moves past at least one
 * excluded stretch (a day, a range of the day), so this is years of alternating
 * exclusions, and a union that excludes everything answers null after it.
 */
const MAX_ROUNDS = 10_000;

/**
 * A calendar that excludes what any of its calendars excludes; each keeps
 * its own time zone.
 */
export class UnionCalendar implements ExclusionCalendar {
  readonly calendars: readonly ExclusionCalendar[];

  constructor(calendars: readonly ExclusionCalendar[]) {
    if (!Array.isArray(calendars) || calendars.length === 0) {
      throw new InvalidCalendarError(
        'calendars',
        'unionCalendar needs a non-empty array of calendars',
      );
    }
    calendars.forEach((c, i) => {
      if (
        typeof c !== 'object' ||
        c === null ||
        typeof (c as ExclusionCalendar).nextIncludedTime !== 'function' ||
        typeof (c as ExclusionCalendar).isTimeIncluded !== 'function'
      ) {
        throw new InvalidCalendarError(
          `calendars[${i}]`,
          `not a calendar (${String(c)}): pass calendars such as new WeeklyCalendar({ … })`,
        );
      }
    });
    this.calendars = Object.freeze([...calendars]);
  }

  isTimeIncluded(t: Date): boolean {
    instantArgument(t);
    for (const calendar of this.calendars) if (!calendar.isTimeIncluded(t)) return false;
    return true;
  }

  exclusionReason(t: Date): string | null {
    instantArgument(t);
    for (const calendar of this.calendars) {
      const reason = calendar.exclusionReason(t);
      if (reason !== null) return reason;
    }
    return null;
  }

  nextIncludedTime(t: Date): Date | null {
    let current = instantArgument(t);
    const calendars = this.calendars;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let moved = false;
      for (const calendar of calendars) {
        const next = calendar.nextIncludedTime(new Date(current));
        if (next === null) return null;
        const ms = next.getTime();
        if (ms > current) {
          current = ms;
          moved = true;
        }
      }
      if (!moved) return new Date(current);
      if (current > MAX_INSTANT_MS) return null;
    }
    return null;
  }

  toJSON(): CalendarJSON {
    return { type: 'union', version: 1, calendars: this.calendars.map((c) => c.toJSON()) };
  }

  toString(): string {
    return `union[${this.calendars.map(String).join(' | ')}]`;
  }
}

/**
 * A calendar that excludes what any of `calendars` excludes.
 *
 * @example
 * ```ts
 * unionCalendar([
 *   new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone: 'Europe/Berlin' }),
 *   new HolidayCalendar({ dates: ['2026-12-25'], timezone: 'Europe/Berlin' }),
 * ]);
 * ```
 */
export function unionCalendar(calendars: readonly ExclusionCalendar[]): UnionCalendar {
  return new UnionCalendar(calendars);
}
