/**
 * The rows of the SQL job store's table as the store reads and writes them:
 * which ids a row can hold, the row of a job, and the job document a row
 * holds, with its next run time taken from the `next_run_time` column.
 */
import { DeserializationError, InvalidJobOptionError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { serializeJob } from '../../jobs/serialization.ts';
import { isStorableId } from '../common.ts';
import { type JobSizeLimit, JobTooLargeError } from '../errors.ts';
import { MAX_ID_LENGTH } from './table-names.ts';

/** A row as read: its columns hold whatever the database returns (a hand-edited row may hold anything). */
export interface JobRow {
  id: string;
  next_run_time: unknown;
  job_state: unknown;
}

/** A row as written. */
export interface InsertRow {
  id: string;
  /** Epoch milliseconds; null when the job is paused. */
  next_run_time: number | null;
  /** `serializeJob(job)`. */
  job_state: string;
}

/** Why the SQL store cannot hold an id, and what to do about it. */
export interface IdProblem {
  /** Completes "the id …". */
  problem: string;
  /** A sentence. */
  fix: string;
}

/** Why the SQL store cannot hold this id, or null when it can. */
export function idProblem(id: string): IdProblem | null {
  if (typeof id !== 'string') return { problem: 'is not a string', fix: 'Use a string id.' };
  if (id.includes('\u0000'))
    return {
      problem:
        'contains a NUL character, which the SQL job store refuses on every database so that a job table can move between them (PostgreSQL text cannot hold it)',
      fix: 'Remove the NUL character from the id.',
    };
  if (!isStorableId(id))
    return {
      problem: 'contains an unpaired UTF-16 surrogate, which is not valid Unicode text',
      fix: 'Remove it: it is half of a character (an emoji, say) that was cut in two.',
    };
  if (id.length > MAX_ID_LENGTH) {
    let length = 0;
    for (const _ of id) length++;
    if (length > MAX_ID_LENGTH)
      return {
        problem: `is ${length} characters long; the SQL job store holds ids of at most ${MAX_ID_LENGTH} characters`,
        fix: 'Use a shorter id (a hash of a long one, say).',
      };
  }
  return null;
}

function describeId(id: string): string {
  const preview = id.length > 60 ? `${id.slice(0, 60)}…` : id;
  return JSON.stringify(preview);
}

/**
 * The row of a job for the SQL job store on `database` (named in messages).
 * @throws InvalidJobOptionError, SerializationError
 */
export function rowOf(job: Job, database: string): InsertRow {
  const problem = idProblem(job.id);
  if (problem !== null) {
    throw new InvalidJobOptionError(
      'id',
      `Job id ${describeId(job.id)} cannot be stored in the SQL job store on ${database}: it ${problem.problem}. ${problem.fix}`,
    );
  }
  // NaN when paused: a Job never holds an invalid Date.
  const time = job.nextRunTimeMs;
  return {
    id: job.id,
    next_run_time: Number.isNaN(time) ? null : time,
    job_state: serializeJob(job),
  };
}

/** @throws JobTooLargeError when the row's id and job state take more bytes than `limit` allows */
export function checkRowSize(row: InsertRow, limit: JobSizeLimit): void {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8: most rows need no count.
  if ((row.id.length + row.job_state.length) * 3 <= limit.bytes) return;
  const bytes = Buffer.byteLength(row.id) + Buffer.byteLength(row.job_state);
  if (bytes > limit.bytes) throw new JobTooLargeError(row.id, bytes, limit);
}

/**
 * The job document stored in `row`, its next run time taken from the
 * `next_run_time` column. @throws DeserializationError naming the job
 */
export function documentOf(row: JobRow): unknown {
  const fail = (reason: string, cause?: unknown): never => {
    throw new DeserializationError(
      `job '${row.id}' cannot be restored: ${reason}`,
      { jobId: row.id },
      cause === undefined ? undefined : { cause },
    );
  };
  if (typeof row.job_state !== 'string') {
    return fail(`its job_state column holds ${describeValue(row.job_state)}, not JSON text`);
  }
  let document: unknown;
  try {
    document = JSON.parse(row.job_state);
  } catch (error) {
    return fail(
      `its job_state column is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return document; // restoreJob names what is wrong with it
  }
  const stored = document as Record<string, unknown>;
  if (stored.id !== row.id) {
    fail(`its job_state holds the state of job ${JSON.stringify(stored.id)}`);
  }
  let time: Date | null;
  try {
    time = toDate(row.next_run_time);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), error);
  }
  return { ...stored, nextRunTime: time === null ? null : time.toISOString() };
}

function describeValue(value: unknown): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `a ${value.length}-byte blob`;
  return `a ${typeof value}`;
}

/** A `next_run_time` value as a Date. @throws RangeError when it is not an epoch-milliseconds integer */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  let ms = Number.NaN;
  if (typeof value === 'number' || typeof value === 'bigint') ms = Number(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) ms = Number(value);
  const date = new Date(ms);
  if (!Number.isSafeInteger(ms) || Number.isNaN(date.getTime())) {
    throw new RangeError(
      `its next_run_time column holds ${JSON.stringify(String(value))}, not epoch milliseconds`,
    );
  }
  return date;
}

/** Do two `next_run_time` values, as read, hold the same time? */
export function sameTime(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && String(a) === String(b));
}

/** `date` in epoch ms. @throws RangeError naming the argument when it is not a valid Date */
export function epochMs(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid Date`);
  return ms;
}
