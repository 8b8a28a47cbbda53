/**
 * Main side only: Horarium's error classes by name, so that an error thrown in
 * a worker as one of them (a `JobReferenceError` from loading the job, a
 * `JobTimeoutError` rethrown by the job, …) is rebuilt on the main side as an
 * instance of that class, and `instanceof` works on the events' exceptions.
 * Workers do not load this module (it would pull every error module in).
 */

import { ConfigurationError } from '../../config/errors.ts';
import { HorariumError } from '../../errors.ts';
import {
  DeserializationError,
  InvalidJobOptionError,
  JobReferenceError,
  SerializationError,
} from '../../jobs/errors.ts';
import { ConflictingIdError, JobLookupError } from '../../stores/errors.ts';
import {
  AmbiguousTimeError,
  InvalidDateError,
  NonexistentTimeError,
  UnknownTimeZoneError,
} from '../../time/errors.ts';
import {
  CronSyntaxError,
  InvalidTriggerError,
  MaxIterationsError,
  TriggerRestoreError,
} from '../../triggers/errors.ts';
import {
  ExecutorNotRunningError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  MaxInstancesReachedError,
} from '../executor.ts';
import {
  decodeThrown,
  type ErrorClasses,
  type ErrorRecord,
  type FailureRecord,
  UncloneableResultError,
  WorkerCrashedError,
  WorkerStartError,
} from './envelope.ts';

const classes: [string, abstract new (...args: never[]) => Error][] = [
  ['HorariumError', HorariumError],
  ['InvalidJobOptionError', InvalidJobOptionError],
  ['JobReferenceError', JobReferenceError],
  ['SerializationError', SerializationError],
  ['DeserializationError', DeserializationError],
  ['ConfigurationError', ConfigurationError],
  ['ConflictingIdError', ConflictingIdError],
  ['JobLookupError', JobLookupError],
  ['AmbiguousTimeError', AmbiguousTimeError],
  ['InvalidDateError', InvalidDateError],
  ['NonexistentTimeError', NonexistentTimeError],
  ['UnknownTimeZoneError', UnknownTimeZoneError],
  ['CronSyntaxError', CronSyntaxError],
  ['InvalidTriggerError', InvalidTriggerError],
  ['MaxIterationsError', MaxIterationsError],
  ['TriggerRestoreError', TriggerRestoreError],
  ['ExecutorNotRunningError', ExecutorNotRunningError],
  ['JobCancelledError', JobCancelledError],
  ['JobTimeoutError', JobTimeoutError],
  ['LeaseLostError', LeaseLostError],
  ['MaxInstancesReachedError', MaxInstancesReachedError],
  ['UncloneableResultError', UncloneableResultError],
  ['WorkerCrashedError', WorkerCrashedError],
  ['WorkerStartError', WorkerStartError],
];

type ErrorClass = abstract new (...args: never[]) => Error;

const known = new Map<string, ErrorClass>(classes);

/** Horarium's error classes by their `name`. */
export const HORARIUM_ERROR_CLASSES: ErrorClasses = known;

/**
 * Adds error classes of higher layers (the scheduler's) to the table, so that
 * they too arrive from a worker as instances of their class.
 */
export function registerErrorClasses(entries: Iterable<ErrorClass>): void {
  // A class's own name is the `name` its instances carry (`override name = 'SchedulerNotRunningError'`).
  for (const errorClass of entries) known.set(errorClass.name, errorClass);
}

/** {@link decodeThrown} with Horarium's classes: a worker's `JobReferenceError` arrives as one. */
export function rebuildThrown(record: ErrorRecord): unknown {
  return decodeThrown(record, HORARIUM_ERROR_CLASSES);
}

/**
 * The error a failed run reports: what the job threw (rebuilt with Horarium's
 * classes) or an {@link UncloneableResultError}.
 */
export function failureError(failure: FailureRecord, jobId: string, funcRef: string): unknown {
  if (failure.kind === 'uncloneable')
    return new UncloneableResultError(jobId, funcRef, failure.reason);
  return rebuildThrown(failure.error);
}
