/**
 * The exclusion calendar contract, and the search every calendar of wall-clock
 * rules shares: from an instant to the first included instant, one stretch of
 * constant UTC offset at a time, so that a calendar only ever reasons about
 * wall-clock fields (local days, local times of day) and DST is handled once.
 */
import { firstUnknownKey, unknownOptionProblem } from '../config/suggest.ts';
import { MAX_INSTANT_MS } from '../time/civil.ts';
import { UnknownTimeZoneError } from '../time/errors.ts';
import { getZone, localZoneName, type Zone } from '../time/zone.ts';
import { InvalidCalendarError } from './errors.ts';

/** The JSON state of a calendar: `type` selects how it is restored. */
export interface CalendarJSON {
  readonly type: string;
  readonly version: number;
  readonly [key: string]: unknown;
}

/**
 * An exclusion calendar: a set of instants a job must not fire at. A job with
 * `calendar: name` skips every fire time its calendar excludes and fires at
 * the next included one its trigger has.
 */
export interface ExclusionCalendar {
  /** Is this instant allowed (not excluded)? */
  isTimeIncluded(t: Date): boolean;
  /**
   * The first included instant at or after `t`, or null when there is none
   * (the calendar excludes everything from `t` on, or nothing is included
   * within its search bound: about a thousand years).
   */
  nextIncludedTime(t: Date): Date | null;
  /** Why an instant is excluded (e.g. `'2026-12-25'`, `'sat'`), or null when it is included. */
  exclusionReason(t: Date): string | null;
  /** Serializable state, restorable with `calendarFromJSON`. */
  toJSON(): CalendarJSON;
  /** A short description, e.g. `holiday[2026-12-25, 2026-12-26; tz=Europe/Berlin]`. */
  toString(): string;
}

/** Constant-offset stretches searched at most by one `nextIncludedTime` (two a year in DST zones). */
const MAX_SEGMENTS = 2500;

/** The base of calendars whose rules read the wall clock of one time zone. */
export abstract class WallClockCalendar implements ExclusionCalendar {
  /** The IANA zone the calendar's days and times of day are read in. */
  readonly timezone: string;
  protected readonly zone: Zone;

  protected constructor(timezone: unknown) {
    this.zone = calendarZone(timezone);
    this.timezone = this.zone.name;
  }

  /** Is this wall time (wall milliseconds) excluded? */
  protected abstract excludedWall(wall: number): boolean;
  /** The first wall time ≥ `wall` that is not excluded, or null when none ever is. */
  protected abstract includedWallFrom(wall: number): number | null;
  /** The rule that excludes a wall time (assumed excluded). */
  protected abstract reasonAt(wall: number): string;
  abstract toJSON(): CalendarJSON;
  abstract toString(): string;

  isTimeIncluded(t: Date): boolean {
    return !this.excludedWall(this.zone.wallAt(instantArgument(t)));
  }

  exclusionReason(t: Date): string | null {
    const wall = this.zone.wallAt(instantArgument(t));
    return this.excludedWall(wall) ? this.reasonAt(wall) : null;
  }

  nextIncludedTime(t: Date): Date | null {
    const found = this.nextIncludedMs(instantArgument(t));
    return found === null ? null : new Date(found);
  }

  /** {@link nextIncludedTime} in epoch milliseconds. */
  nextIncludedMs(from: number): number | null {
    const zone = this.zone;
    let t = from;
    // Within one stretch of constant offset, wall time is instant + offset: the answer there
    // is the calendar's next included wall time, if it falls before the stretch ends. A wall
    // time in a DST gap falls past the end, and the search goes on from the transition.
    for (let i = 0; i < MAX_SEGMENTS && t <= MAX_INSTANT_MS; i++) {
      const offset = zone.offsetAt(t);
      const wall = this.includedWallFrom(t + offset);
      if (wall === null) return null;
      const instant = wall - offset;
      const end = zone.offsetChangeAfter(t);
      if (instant < end) return instant <= MAX_INSTANT_MS ? instant : null;
      t = end;
    }
    return null;
  }
}

export function instantArgument(t: unknown): number {
  if (!(t instanceof Date) || Number.isNaN(t.getTime())) {
    throw new InvalidCalendarError('t', `expected a valid Date, got ${String(t)}`);
  }
  return t.getTime();
}

/** The zone of a calendar: an IANA name, or the host's zone when not given. */
export function calendarZone(timezone: unknown): Zone {
  if (timezone === undefined || timezone === null) return getZone(localZoneName());
  if (typeof timezone !== 'string') {
    throw new InvalidCalendarError(
      'timezone',
      `expected an IANA zone name such as 'Europe/Berlin', got ${typeof timezone}`,
    );
  }
  try {
    return getZone(timezone);
  } catch (error) {
    if (error instanceof UnknownTimeZoneError)
      throw new InvalidCalendarError('timezone', error.message, { cause: error });
    throw error;
  }
}

/** Refuses an option a calendar does not take, suggesting the one meant. */
export function checkCalendarOptions(
  owner: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidCalendarError(
      'options',
      `${owner} takes an options object { ${known.join(', ')} }`,
    );
  }
  const record = options as Record<string, unknown>;
  const name = firstUnknownKey(record, known);
  if (name !== undefined) {
    throw new InvalidCalendarError(
      name,
      unknownOptionProblem(name, known, `Unknown ${owner} option ${JSON.stringify(name)}`),
    );
  }
  return record;
}

/** Lists at most a few items of a long list, for `toString()`. */
export function shortList(items: readonly string[], limit = 5): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')}, … (${items.length} in all)`;
}
