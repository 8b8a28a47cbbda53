/**
 * Validating the options of `addJob` and the changes of `modifyJob`. Every
 * check throws an `InvalidJobOptionError` naming the option and the value.
 */
import { MAX_INSTANT_MS } from '../time/civil.ts';
import { describeInput } from '../time/errors.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { InvalidJobOptionError } from './errors.ts';
import type { JobFunction } from './job.ts';
import { JOB_SETTING_NAMES } from './job-fields.ts';

/** The options of `addJob` that configure the job (all others are trigger arguments). */
export const JOB_OPTION_KEYS: ReadonlySet<string> = new Set([
  'id',
  'args',
  'nextRunTime',
  'jobstore',
  'replaceExisting',
  ...JOB_SETTING_NAMES,
]);

/** Keys `modifyJob` accepts. */
export const CHANGE_KEYS: ReadonlySet<string> = new Set([
  'id',
  'func',
  'args',
  'trigger',
  'nextRunTime',
  ...JOB_SETTING_NAMES,
]);

export function checkString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidJobOptionError(
      option,
      `${option} must be a non-empty string, got ${describe(value)}`,
    );
  }
  return value;
}

export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new InvalidJobOptionError(
      option,
      `${option} must be true or false, got ${describe(value)}`,
    );
  return value;
}

export function checkArgs(value: unknown): unknown[] {
  if (!Array.isArray(value))
    throw new InvalidJobOptionError('args', `args must be an array, got ${describe(value)}`);
  return value;
}

export function checkTrigger(value: unknown): Trigger {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Trigger).getNextFireTime !== 'function'
  ) {
    throw new InvalidJobOptionError('trigger', `trigger must be a Trigger, got ${describe(value)}`);
  }
  return value as Trigger;
}

/**
 * A `nextRunTime`: a Date, epoch milliseconds, or an ISO 8601 string with `Z`
 * or an offset (a naive string would be ambiguous); null pauses the job.
 */
export function checkNextRunTime(value: unknown): Date | null {
  if (value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new InvalidJobOptionError('nextRunTime', 'nextRunTime is an invalid Date');
    return new Date(value.getTime());
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (Math.abs(value) > MAX_INSTANT_MS)
      throw new InvalidJobOptionError(
        'nextRunTime',
        `nextRunTime ${value} lies outside the range of a Date (±8.64e15 epoch milliseconds)`,
      );
    return new Date(value);
  }
  if (typeof value === 'string') {
    if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
      throw new InvalidJobOptionError(
        'nextRunTime',
        `nextRunTime ${JSON.stringify(value)} has no time zone: give 'Z' or an offset such as '+02:00', or pass a Date`,
      );
    }
    const t = Date.parse(value);
    if (Number.isNaN(t))
      throw new InvalidJobOptionError(
        'nextRunTime',
        `nextRunTime ${JSON.stringify(value)} is not an ISO 8601 date`,
      );
    return new Date(t);
  }
  throw new InvalidJobOptionError(
    'nextRunTime',
    `nextRunTime must be a Date, epoch milliseconds, an ISO string or null, got ${describe(value)}`,
  );
}

/**
 * JavaScript functions accept extra arguments, so only missing required ones
 * are an error. Required means declared before the first default value or rest
 * parameter (`Function.length`); a TypeScript optional parameter compiles to a
 * plain one, so it counts too — give it a default value to leave it out.
 */
/** @param job how to name the job in the error (a function, so that no string is built when the arity is fine) */
export function checkArity(func: JobFunction, args: readonly unknown[], job: () => string): void {
  if (args.length < func.length) {
    throw new InvalidJobOptionError(
      'args',
      `${job()} takes ${func.length} required argument${func.length === 1 ? '' : 's'}, but args has ${args.length} ` +
        '(parameters without a default value count as required)',
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (Array.isArray(value)) return 'an array';
  return describeInput(value);
}
