/**
 * Pieces every trigger shares: zone resolution, date arguments, jitter and the
 * end-date clamp.
 */

import { firstUnknownKey, unknownOptionProblem } from '../config/suggest.ts';
import { MAX_INSTANT_MS, MS_PER_SECOND } from '../time/civil.ts';
import { InvalidDateError } from '../time/errors.ts';
import { formatIso, isoInstant } from '../time/format.ts';
import { type DateInput, parseDateInput } from '../time/parse.ts';
import { getZone, localZoneName, type Zone } from '../time/zone.ts';
import { InvalidTriggerError } from './errors.ts';
import type { RandomSource } from './trigger.ts';

/**
 * Refuses an option a trigger does not take, suggesting the one meant (a typo,
 * or APScheduler's snake_case: `day_of_week` → `dayOfWeek`).
 * @throws InvalidTriggerError naming the option
 */
export function checkTriggerOptions(
  owner: string,
  options: Readonly<Record<string, unknown>>,
  known: readonly string[],
): void {
  const name = firstUnknownKey(options, known);
  if (name === undefined) return;
  throw new InvalidTriggerError(
    name,
    unknownOptionProblem(name, known, `Unknown ${owner} option ${JSON.stringify(name)}`),
  );
}

export function resolveZone(timezone: unknown): Zone {
  if (timezone === undefined || timezone === null) return getZone(localZoneName());
  if (typeof timezone !== 'string') {
    throw new InvalidTriggerError(
      'timezone',
      `timezone must be an IANA zone name, got ${String(timezone)}`,
    );
  }
  return getZone(timezone);
}

/** Parses a date argument; errors keep their class (`InvalidDateError`, `NonexistentTimeError`) and name the argument. */
export function parseDateArgument(argument: string, value: DateInput, zone: Zone): number {
  try {
    return parseDateInput(value, zone);
  } catch (error) {
    if (error instanceof InvalidDateError) throw error.forArgument(argument);
    throw error;
  }
}

export function optionalDate(
  argument: string,
  value: DateInput | null | undefined,
  zone: Zone,
): number | undefined {
  return value === undefined || value === null
    ? undefined
    : parseDateArgument(argument, value, zone);
}

export function checkDateOrder(
  start: number | undefined,
  end: number | undefined,
  zone: Zone,
): void {
  if (start !== undefined && end !== undefined && end < start) {
    throw new InvalidTriggerError(
      'endDate',
      `endDate (${formatIso(end, zone)}) cannot be earlier than startDate (${formatIso(start, zone)})`,
    );
  }
}

/** Validates a `jitter` argument (seconds, ≥ 0) and returns it in milliseconds. */
export function parseJitter(jitter: unknown): number {
  if (jitter === undefined || jitter === null) return 0;
  if (typeof jitter !== 'number' || !Number.isFinite(jitter) || jitter < 0) {
    throw new InvalidTriggerError(
      'jitter',
      `jitter must be a non-negative number of seconds, got ${String(jitter)}`,
    );
  }
  if (jitter * MS_PER_SECOND > MAX_INSTANT_MS) {
    throw new InvalidTriggerError(
      'jitter',
      `jitter must be at most 8.64e12 seconds (the range of a Date), got ${String(jitter)}`,
    );
  }
  return jitter * MS_PER_SECOND;
}

/** Cron and calendar-interval fire times are whole seconds: a sub-second start rounds up (never early). */
export const ceilToSecond = (t: number): number => Math.ceil(t / MS_PER_SECOND) * MS_PER_SECOND;
export const floorToSecond = (t: number): number => Math.floor(t / MS_PER_SECOND) * MS_PER_SECOND;
/**
 * Date and interval fire times are whole milliseconds (what a `Date` holds):
 * a fractional epoch-milliseconds input rounds up, so a run is never early.
 */
export const ceilToMillisecond = (t: number): number => Math.ceil(t);

/**
 * Adds a uniform random delay in [0, jitter] and keeps the result at or before
 * `endDate`, never before `time`, on a whole `step` (ms) when `time` is on one.
 */
function delay(
  time: number,
  jitterMs: number,
  endDate: number | undefined,
  random: RandomSource,
  step: number,
): number {
  if (jitterMs <= 0) return time;
  // Never past the last instant a Date holds, however large the jitter.
  let jittered = Math.min(Math.floor((time + random() * jitterMs) / step) * step, MAX_INSTANT_MS);
  if (endDate !== undefined && jittered > endDate)
    jittered = Math.max(time, Math.floor(endDate / step) * step);
  return jittered;
}

/**
 * Jitter for triggers whose fire times are whole seconds (cron, calendar
 * interval): the delay is a whole number of seconds, so a jitter under one
 * second delays nothing.
 */
export function applyJitter(
  time: number,
  jitterMs: number,
  endDate: number | undefined,
  random: RandomSource,
): number {
  return delay(time, jitterMs, endDate, random, MS_PER_SECOND);
}

/** Jitter for triggers that keep milliseconds (interval, and, or): a delay of whole milliseconds. */
export function applyJitterMs(
  time: number,
  jitterMs: number,
  endDate: number | undefined,
  random: RandomSource,
): number {
  return delay(time, jitterMs, endDate, random, 1);
}

/** The JSON form of an optional instant. */
export const isoOrNull = (t: number | undefined): string | null =>
  t === undefined ? null : isoInstant(t);

export function requireTimeArgument(
  argument: string,
  date: Date | null,
  allowNull: boolean,
): number | null {
  if (date === null) {
    if (allowNull) return null;
    throw new InvalidTriggerError(argument, `${argument} must be a Date`);
  }
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidTriggerError(
      argument,
      `${argument} must be a valid Date, got ${String(date)}`,
    );
  }
  return date.getTime();
}
