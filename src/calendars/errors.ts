import { HorariumError } from '../errors.ts';
import { MaxIterationsError } from '../triggers/errors.ts';

/** A calendar argument that is missing, out of range or of the wrong type. */
export class InvalidCalendarError extends HorariumError {
  override name = 'InvalidCalendarError';
  /** The argument at fault, e.g. `'excludeDays'` or `'from'`. */
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options);
    this.field = field;
  }
}

/** A stored calendar (`toJSON()` output) that cannot be restored: unknown type, newer version, bad field. */
export class CalendarRestoreError extends HorariumError {
  override name = 'CalendarRestoreError';
  /** The field at fault, as a path such as `'calendars[1].dates[3]'`. */
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`Cannot restore calendar: ${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * A job's calendar excludes every fire time its trigger has (or every one
 * within the search bound): the scheduler pauses the job with it.
 */
export class CalendarExcludesAllError extends MaxIterationsError {
  override name = 'CalendarExcludesAllError';
  /** The calendar's name, as added to the scheduler. */
  readonly calendar: string;
  constructor(iterations: number, trigger: string, calendar: string, detail: string) {
    super(iterations, trigger);
    this.calendar = calendar;
    this.message = `calendar "${calendar}" excludes every fire time of ${trigger} (${detail}); change the calendar or the trigger, then resume the job`;
  }
}
