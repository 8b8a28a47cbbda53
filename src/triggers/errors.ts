import { HorariumError } from '../errors.ts';

/** A trigger argument that is out of range, of the wrong type, or inconsistent with another. */
export class InvalidTriggerError extends HorariumError {
  override name = 'InvalidTriggerError';
  /** The argument at fault, e.g. `'endDate'` or `'minutes'`. */
  readonly argument: string;
  constructor(argument: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.argument = argument;
  }
}

/**
 * A cron field expression that cannot be parsed or is out of range, or a
 * crontab line that is malformed as a whole (`field` is then `'expression'`).
 */
export class CronSyntaxError extends InvalidTriggerError {
  override name = 'CronSyntaxError';
  /** The cron field, e.g. `'dayOfWeek'`, or `'expression'` for the whole crontab line. */
  readonly field: string;
  /** The text that failed. */
  readonly expression: string;
  /** What is wrong with it, and what to write instead (the message after the quoted text). */
  readonly reason: string;
  constructor(field: string, expression: string, reason: string) {
    const what = field === 'expression' ? 'cron expression' : `${field} expression`;
    super(field, `Invalid ${what} ${JSON.stringify(expression)}: ${reason}`);
    this.field = field;
    this.expression = expression;
    this.reason = reason;
  }
}

/** An `AndTrigger` found no common fire time within its iteration limit. */
export class MaxIterationsError extends HorariumError {
  override name = 'MaxIterationsError';
  readonly iterations: number;
  constructor(iterations: number, trigger: string) {
    super(`${trigger} found no common fire time after ${iterations} iterations`);
    this.iterations = iterations;
  }
}

/** A serialized trigger that cannot be restored (unknown type, newer version, bad state). */
export class TriggerRestoreError extends HorariumError {
  override name = 'TriggerRestoreError';
}
