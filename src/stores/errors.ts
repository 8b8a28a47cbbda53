import { HorariumError } from '../errors.ts';

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
