/**
 * Pieces every trigger shares: zone resolution, date arguments, jitter and the
 * end-date clamp.
 */
import { MS_PER_SECOND } from '../time/civil.ts';
import { InvalidDateError } from '../time/errors.ts';
import { formatIso, isoInstant } from '../time/format.ts';
import { type DateInput, parseDateInput } from '../time/parse.ts';
import { getZone, localZoneName, type Zone } from '../time/zone.ts';
import { InvalidTriggerError } from './errors.ts';
import type { RandomSource } from './trigger.ts';

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
  return jitter * MS_PER_SECOND;
}

export const ceilToSecond = (t: number): number => Math.ceil(t / MS_PER_SECOND) * MS_PER_SECOND;
export const floorToSecond = (t: number): number => Math.floor(t / MS_PER_SECOND) * MS_PER_SECOND;

/**
 * Adds a uniform random delay in [0, jitter] (whole seconds, never before
 * `time`) and keeps the result at or before `endDate`.
 */
export function applyJitter(
  time: number,
  jitterMs: number,
  endDate: number | undefined,
  random: RandomSource,
): number {
  if (jitterMs <= 0) return time;
  let jittered = floorToSecond(time + random() * jitterMs);
  if (endDate !== undefined && jittered > endDate)
    jittered = Math.max(time, floorToSecond(endDate));
  return jittered;
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
