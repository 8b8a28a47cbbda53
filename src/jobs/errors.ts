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

/**
 * Which reference rule a refused job reference breaks:
 * - `url-scheme`: a URL other than `file:` (`data:`, `http:`, `https:`, …);
 * - `builtin`: a Node.js built-in (`node:fs`, or bare `child_process`) not listed in `builtins`;
 * - `outside-roots`: a file (real path, after `..` and symbolic links) outside every allowed root;
 * - `node-modules`: a file inside a `node_modules` directory (packages load by name only);
 * - `package`: a package not listed in `packages`;
 * - `file-url`: a `file:` URL with a host, a query or a fragment, or that names no local path;
 * - `specifier`: a specifier form the rules do not accept (`#imports`).
 */
export type ReferenceRule =
  | 'url-scheme'
  | 'builtin'
  | 'outside-roots'
  | 'node-modules'
  | 'package'
  | 'file-url'
  | 'specifier';

/**
 * A job reference the application's reference rules (`jobReferences`) do not
 * allow. Refused by `addJob` before anything is imported; a stored job with
 * such a reference is kept in its store and reported as not restorable.
 */
export class ReferenceNotAllowedError extends JobReferenceError {
  override name = 'ReferenceNotAllowedError';
  /** The rule the reference breaks. */
  readonly rule: ReferenceRule;
  constructor(reference: string, rule: ReferenceRule, message: string) {
    super(reference, message);
    this.rule = rule;
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
