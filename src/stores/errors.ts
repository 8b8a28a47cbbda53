import { HorariumError } from '../errors.ts';
import { SerializationError } from '../jobs/errors.ts';

/**
 * A job store cannot start or be used: its driver is not installed, its
 * server cannot be reached or does not answer in time, its URL, options or
 * schema are unusable, or it was used before `start()`. Each store throws
 * it (the SQL store a subclass, `SqlStoreSetupError`), so that one `catch`
 * handles a store that cannot start, whatever its kind.
 */
export class StoreSetupError extends HorariumError {
  override name = 'StoreSetupError';
}

/**
 * A store's server answered something the store does not understand (a
 * server that is not what the URL promised, or data changed under the store).
 */
export class StoreReplyError extends HorariumError {
  override name = 'StoreReplyError';
}

/** A job with the same id already exists in the store. */
export class ConflictingIdError extends HorariumError {
  override name = 'ConflictingIdError';
  readonly jobId: string;
  constructor(jobId: string) {
    super(`Job identifier (${jobId}) conflicts with an existing job`);
    this.jobId = jobId;
  }
}

/** No job with that id exists. */
export class JobLookupError extends HorariumError {
  override name = 'JobLookupError';
  readonly jobId: string;
  constructor(jobId: string) {
    super(`No job by the id of ${jobId} was found`);
    this.jobId = jobId;
  }
}

/** What limits the size of one stored job, for {@link JobTooLargeError}. */
export interface JobSizeLimit {
  /** The most bytes (UTF-8) a job's id and state may take together. */
  readonly bytes: number;
  /** The limit, for the message: "what the server's max_allowed_packet (16.0 MiB) lets through". */
  readonly name: string;
  /** What to raise, if anything can be raised: "raise max_allowed_packet on the server". */
  readonly raise?: string;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A job too large for its store: refused before it reaches the database, so
 * the database and its connection never see it, and nothing is written.
 */
export class JobTooLargeError extends SerializationError {
  override name = 'JobTooLargeError';
  /** The size of the job's id and state, in bytes (UTF-8). */
  readonly bytes: number;
  /** The most the store takes, in bytes. */
  readonly limit: number;

  constructor(jobId: string, bytes: number, limit: JobSizeLimit) {
    super(
      `Job ${JSON.stringify(jobId)} is too large to store: its state takes ${mebibytes(bytes)} (${bytes} bytes), over the ${limit.bytes} bytes of ${limit.name}. Pass smaller arguments (a file path or a database key instead of the data itself)${limit.raise === undefined ? '' : `, or ${limit.raise}`}`,
      { path: 'args', jobId },
    );
    this.bytes = bytes;
    this.limit = limit.bytes;
  }
}
