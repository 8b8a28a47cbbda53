import { HorariumError } from '../errors.ts';

/** An IANA time zone name that the runtime's time zone database does not know. */
export class UnknownTimeZoneError extends HorariumError {
  override name = 'UnknownTimeZoneError';
  readonly timezone: string;
  constructor(timezone: string) {
    super(
      `Unknown time zone ${JSON.stringify(timezone)}: expected an IANA name such as 'Europe/Berlin' or 'UTC'`,
    );
    this.timezone = timezone;
  }
}

/** A date-like input that cannot be read as an instant. */
export class InvalidDateError extends HorariumError {
  override name = 'InvalidDateError';
  readonly input: unknown;
  readonly reason: string;
  /** The argument that held the input (e.g. `'startDate'`), when known. */
  readonly argument: string | undefined;
  constructor(input: unknown, reason: string, argument?: string) {
    super(
      `${argument === undefined ? '' : `${argument}: `}Invalid date ${describeInput(input)}: ${reason}`,
    );
    this.input = input;
    this.reason = reason;
    this.argument = argument;
  }

  /** The same error, naming the argument that held the input. */
  forArgument(argument: string): InvalidDateError {
    return new InvalidDateError(this.input, this.reason, argument);
  }
}

/**
 * A wall-clock time that does not exist in a zone (it falls in the gap of a
 * forward DST switch) where the caller asked for it to be rejected.
 */
export class NonexistentTimeError extends InvalidDateError {
  override name = 'NonexistentTimeError';
  readonly timezone: string;
  constructor(input: unknown, timezone: string, argument?: string) {
    super(
      input,
      `this wall-clock time does not exist in ${timezone} (it falls in a DST gap)`,
      argument,
    );
    this.timezone = timezone;
  }

  override forArgument(argument: string): NonexistentTimeError {
    return new NonexistentTimeError(this.input, this.timezone, argument);
  }
}

/** A wall-clock time that occurs twice in a zone where the caller asked for that to be rejected. */
export class AmbiguousTimeError extends InvalidDateError {
  override name = 'AmbiguousTimeError';
  readonly timezone: string;
  constructor(input: unknown, timezone: string, argument?: string) {
    super(
      input,
      `this wall-clock time occurs twice in ${timezone} (it falls in a DST fold)`,
      argument,
    );
    this.timezone = timezone;
  }

  override forArgument(argument: string): AmbiguousTimeError {
    return new AmbiguousTimeError(this.input, this.timezone, argument);
  }
}

export function describeInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (input instanceof Date)
    return Number.isNaN(input.getTime()) ? 'Invalid Date' : input.toISOString();
  if (typeof input === 'bigint') return `${input}n`;
  if (typeof input === 'object' && input !== null) return Object.prototype.toString.call(input);
  return String(input);
}
