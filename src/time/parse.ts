/**
 * Reading the date-like values users pass (`startDate`, `runDate`, …) as instants.
 */
import {
  daysInMonth,
  MAX_INSTANT_MS,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  wallFromFields,
} from './civil.ts';
import { InvalidDateError, NonexistentTimeError } from './errors.ts';
import type { Zone } from './zone.ts';

/**
 * A point in time as users may write it: a `Date`, epoch milliseconds, an ISO
 * 8601 string with `Z` or an offset, or a naive `YYYY-MM-DD[ HH:MM[:SS[.fff]]]`
 * string read in the zone of whatever it configures.
 */
export type DateInput = Date | number | string;

const DATE_PATTERN =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Converts a date-like input to epoch milliseconds. Naive strings are read in
 * `zone`; one that names a wall time skipped by a DST switch is an error (it
 * names no instant), one in a repeated hour means its first occurrence.
 *
 * @throws InvalidDateError naming the input when it cannot be read.
 * @throws NonexistentTimeError for a naive time inside a DST gap.
 */
export function parseDateInput(input: DateInput, zone: Zone): number {
  if (input instanceof Date) {
    const t = input.getTime();
    if (Number.isNaN(t)) throw new InvalidDateError(input, 'the Date is invalid');
    return t;
  }
  if (typeof input === 'number') {
    if (!Number.isFinite(input))
      throw new InvalidDateError(input, 'epoch milliseconds must be a finite number');
    if (Math.abs(input) > MAX_INSTANT_MS)
      throw new InvalidDateError(
        input,
        'epoch milliseconds must lie within ±8.64e15, the range of a Date (years -271821 to 275760)',
      );
    return input;
  }
  if (typeof input !== 'string') {
    throw new InvalidDateError(input, 'expected a Date, epoch milliseconds or an ISO 8601 string');
  }
  const match = DATE_PATTERN.exec(input.trim());
  if (match === null) {
    throw new InvalidDateError(
      input,
      "expected 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]' with an optional 'Z' or '±HH:MM'",
    );
  }
  const [, y, mo, d, h, mi, s, frac, offsetText] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millisecond = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  if (month < 1 || month > 12)
    throw new InvalidDateError(input, `month ${month} is not between 1 and 12`);
  if (day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidDateError(
      input,
      `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}`,
    );
  }
  if (hour > 23) throw new InvalidDateError(input, `hour ${hour} is not between 0 and 23`);
  if (minute > 59) throw new InvalidDateError(input, `minute ${minute} is not between 0 and 59`);
  if (second > 59) throw new InvalidDateError(input, `second ${second} is not between 0 and 59`);
  const wall = wallFromFields(year, month, day, hour, minute, second, millisecond);
  if (offsetText !== undefined) return wall - parseOffset(offsetText, input);
  const resolved = zone.resolveWall(wall);
  if (resolved.kind === 'unique') return resolved.instant;
  if (resolved.kind === 'fold') return resolved.earlier;
  throw new NonexistentTimeError(input, zone.name);
}

function parseOffset(text: string, input: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59)
    throw new InvalidDateError(input, `offset ${text} is out of range`);
  return sign * (hours * MS_PER_HOUR + minutes * MS_PER_MINUTE);
}
