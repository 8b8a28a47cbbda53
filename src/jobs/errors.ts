import { HorariumError } from '../errors.ts';

/** A job option that is missing, of the wrong type or out of range. */
export class InvalidJobOptionError extends HorariumError {
  override name = 'InvalidJobOptionError';
  /** The option at fault, e.g. `'maxInstances'`. */
  readonly option: string;
  constructor(option: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.option = option;
  }
}

/** A textual job reference (`'module:export'` or a task name) that cannot be resolved to a function. */
export class JobReferenceError extends HorariumError {
  override name = 'JobReferenceError';
  readonly reference: string;
  constructor(reference: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reference = reference;
  }
}

/** What the serialization errors carry besides their message. */
export interface SerializationErrorDetails {
  /** Where in the value the problem is, e.g. `'args[1].options.callback'`; null when it concerns the whole job. */
  path?: string | null;
  /** The job concerned, when the error arose while storing or restoring a job. */
  jobId?: string | null;
}

/**
 * A value or a job that cannot be serialized for a persistent store: a function,
 * a symbol, a class instance, a cycle, a job without a textual function
 * reference, … The message names the offending value's type and its path.
 */
export class SerializationError extends HorariumError {
  override name = 'SerializationError';
  readonly path: string | null;
  readonly jobId: string | null;
  constructor(message: string, details: SerializationErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.path = details.path ?? null;
    this.jobId = details.jobId ?? null;
  }
}

/**
 * Serialized data that cannot be restored: malformed or hand-edited JSON, an
 * unknown type tag, a field of the wrong type, a newer format version.
 */
export class DeserializationError extends HorariumError {
  override name = 'DeserializationError';
  readonly path: string | null;
  readonly jobId: string | null;
  constructor(message: string, details: SerializationErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.path = details.path ?? null;
    this.jobId = details.jobId ?? null;
  }
}
