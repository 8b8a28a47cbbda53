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
