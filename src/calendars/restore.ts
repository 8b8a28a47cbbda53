/**
 * Restoring a calendar from its `toJSON()` state, as a store read it back.
 * Stored data is untrusted: only the built-in calendar types are known, every
 * field is checked by the calendar's own constructor, sizes are bounded, and
 * nothing in the data names code to run.
 */
import { AnnualCalendar } from './annual.ts';
import type { ExclusionCalendar } from './calendar.ts';
import { CronCalendar } from './cron.ts';
import { DailyCalendar } from './daily.ts';
import { describe } from './days.ts';
import { CalendarRestoreError, InvalidCalendarError } from './errors.ts';
import { HolidayCalendar } from './holiday.ts';
import { MonthlyCalendar } from './monthly.ts';
import { UnionCalendar } from './union.ts';
import { WeeklyCalendar } from './weekly.ts';

/** Nesting of unions accepted at most. */
const MAX_DEPTH = 8;
/** Entries of one list accepted at most (holiday dates: 270 years of every day). */
const MAX_ENTRIES = 100_000;
const TYPES = ['holiday', 'weekly', 'monthly', 'annual', 'daily', 'cron', 'union'];

/**
 * A calendar from its `toJSON()` state.
 * @throws CalendarRestoreError naming the field at fault
 */
export function calendarFromJSON(state: unknown): ExclusionCalendar {
  return restore(state, '', 0);
}

function restore(state: unknown, path: string, depth: number): ExclusionCalendar {
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new CalendarRestoreError(
      path || 'calendar',
      `expected an object, got ${describe(state)}`,
    );
  const record = state as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !TYPES.includes(type)) {
    throw new CalendarRestoreError(
      at('type'),
      `unknown calendar type ${describe(type)} (known: ${TYPES.join(', ')})`,
    );
  }
  if (record.version !== 1) {
    throw new CalendarRestoreError(
      at('version'),
      `version ${describe(record.version)} of a ${type} calendar is not known to this Horarium (it reads version 1): upgrade Horarium`,
    );
  }
  const { type: _type, version: _version, ...options } = record;
  if (type !== 'union' && typeof options.timezone !== 'string')
    throw new CalendarRestoreError(
      at('timezone'),
      `expected the IANA zone the calendar was saved with, got ${describe(options.timezone)}`,
    );
  for (const [key, value] of Object.entries(options)) {
    if (Array.isArray(value) && value.length > MAX_ENTRIES)
      throw new CalendarRestoreError(
        at(key),
        `${value.length} entries, more than the ${MAX_ENTRIES} accepted`,
      );
  }
  try {
    switch (type) {
      case 'holiday':
        return new HolidayCalendar(options as never);
      case 'weekly':
        return new WeeklyCalendar(options as never);
      case 'monthly':
        return new MonthlyCalendar(options as never);
      case 'annual':
        return new AnnualCalendar(options as never);
      case 'daily':
        return new DailyCalendar(options as never);
      case 'cron': {
        const { expression, ...rest } = options;
        if (typeof expression !== 'string' || expression.length > 1000)
          throw new InvalidCalendarError(
            'expression',
            `expected a cron expression string, got ${describe(expression)}`,
          );
        return new CronCalendar(expression, rest);
      }
      default: {
        const { calendars, ...rest } = options;
        if (Object.keys(rest).length > 0)
          throw new InvalidCalendarError(
            Object.keys(rest)[0] as string,
            'a union calendar has only `calendars`',
          );
        if (depth >= MAX_DEPTH)
          throw new InvalidCalendarError('calendars', `unions nested more than ${MAX_DEPTH} deep`);
        if (!Array.isArray(calendars) || calendars.length === 0)
          throw new InvalidCalendarError(
            'calendars',
            `expected a non-empty array of calendars, got ${describe(calendars)}`,
          );
        return new UnionCalendar(
          calendars.map((c, i) => restore(c, at(`calendars[${i}]`), depth + 1)),
        );
      }
    }
  } catch (error) {
    if (error instanceof InvalidCalendarError)
      throw new CalendarRestoreError(at(error.field), error.message.slice(error.field.length + 2), {
        cause: error,
      });
    throw error;
  }
}
