/**
 * The history of a job's definition, kept by the store beside the job: each
 * change (added, modified, paused, resumed, removed) with the trigger and the
 * options in force after it, so that a past fire time can be recomputed with
 * the trigger that was in force then ("why didn't it fire at 02:30?").
 *
 * Every built-in store offers it as `store.jobChanges` ({@link JobChangeLog});
 * the scheduler records a change after each write of the job API that
 * succeeded, and the main loop's removals of jobs whose trigger has ended.
 */
import { HorariumError } from '../errors.ts';
import type { Job } from '../jobs/job.ts';
import type { Trigger, TriggerJSON } from '../triggers/trigger.ts';

export type JobChangeKind = 'added' | 'modified' | 'paused' | 'resumed' | 'removed';

/** Every kind of change, for checking what a caller gave or a store read back. */
export const JOB_CHANGE_KINDS: ReadonlySet<string> = new Set<JobChangeKind>([
  'added',
  'modified',
  'paused',
  'resumed',
  'removed',
]);

/** One recorded change of a job. */
export interface JobChange {
  readonly jobId: string;
  /** Counts the job's changes from 1: a later change has a higher version. */
  readonly version: number;
  readonly kind: JobChangeKind;
  /** When the change was made (epoch ms, the store's clock where it has one). */
  readonly at: number;
  /** The trigger in force after the change; null once removed. */
  readonly trigger: TriggerJSON | null;
  /** Seconds a run may start late; null: any lateness. */
  readonly misfireGraceTime: number | null;
  readonly coalesce: boolean;
  readonly maxInstances: number;
  /** The scheduler that made the change, or null (the CLI, another tool). */
  readonly node: string | null;
}

/** A change to record: a {@link JobChange} before the store gave it its version and time. */
export type NewJobChange = Omit<JobChange, 'version' | 'at'>;

export interface JobChangeQuery {
  /** At most this many changes: the newest ones (default and most: 1,000). */
  readonly limit?: number;
}

/** The most changes one read returns. */
export const MAX_JOB_CHANGES_READ = 1000;

/**
 * The job change log of a store. Versions are assigned by the store, from 1
 * and strictly increasing per job id, even while several schedulers record
 * at once; the time is the store's clock where it has one.
 *
 * A job whose history the store no longer keeps (a removed job, after the
 * store's bound) starts again from version 1 when an id is used again.
 */
export interface JobChangeLog {
  /**
   * Records changes, in order (a job's changes in `changes` get increasing
   * versions in that order).
   * @throws InvalidJobChangeError for a change the log cannot hold (nothing is recorded then).
   */
  recordJobChanges(changes: readonly NewJobChange[]): Promise<void>;
  /** The job's recorded changes, oldest first (the newest `limit` of them). */
  getJobChanges(jobId: string, query?: JobChangeQuery): Promise<JobChange[]>;
  /**
   * Synchronous `recordJobChanges` of one change, for logs held in the
   * process (the memory store). Optional; the scheduler uses it when present.
   * @throws InvalidJobChangeError
   */
  recordJobChangeSync?(change: NewJobChange): void;
}

/** A job change a log cannot hold: an unknown kind, a trigger that is not JSON, an id the store cannot keep. */
export class InvalidJobChangeError extends HorariumError {
  override name = 'InvalidJobChangeError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`Invalid job change: ${field} ${message}`);
    this.field = field;
  }
}

/** The limit of a read, checked: a whole number from 1 to MAX_JOB_CHANGES_READ. */
export function changeLimit(query: JobChangeQuery | undefined): number {
  const limit = query?.limit ?? MAX_JOB_CHANGES_READ;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)
    throw new InvalidJobChangeError(
      'limit',
      `must be a whole number of at least 1, got ${String(limit)}`,
    );
  return Math.min(limit, MAX_JOB_CHANGES_READ);
}

/** Is `value` JSON that reads back as itself: plain objects, arrays, strings, finite numbers, booleans, null? */
function isPlainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.every((item) => isPlainJson(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value).every((item) => isPlainJson(item, depth + 1));
}

/**
 * Checks a change and returns its trigger as JSON text (null for none): what
 * every log stores.
 * @throws InvalidJobChangeError naming the field
 */
export function checkJobChange(change: NewJobChange): string | null {
  if (typeof change !== 'object' || change === null)
    throw new InvalidJobChangeError('change', `must be an object, got ${String(change)}`);
  if (typeof change.jobId !== 'string')
    throw new InvalidJobChangeError('jobId', `must be a string, got ${typeof change.jobId}`);
  if (!JOB_CHANGE_KINDS.has(change.kind as string))
    throw new InvalidJobChangeError(
      'kind',
      `must be one of ${[...JOB_CHANGE_KINDS].join(', ')}, got ${JSON.stringify(String(change.kind))}`,
    );
  const { misfireGraceTime, coalesce, maxInstances, node } = change;
  if (
    misfireGraceTime !== null &&
    !(typeof misfireGraceTime === 'number' && Number.isFinite(misfireGraceTime))
  )
    throw new InvalidJobChangeError('misfireGraceTime', 'must be a finite number or null');
  if (typeof coalesce !== 'boolean')
    throw new InvalidJobChangeError('coalesce', 'must be a boolean');
  if (!(typeof maxInstances === 'number' && Number.isFinite(maxInstances)))
    throw new InvalidJobChangeError('maxInstances', 'must be a finite number');
  if (node !== null && typeof node !== 'string')
    throw new InvalidJobChangeError('node', 'must be a string or null');
  const { trigger } = change;
  if (change.kind === 'removed') {
    if (trigger !== null) throw new InvalidJobChangeError('trigger', 'must be null for a removal');
    return null;
  }
  if (
    typeof trigger !== 'object' ||
    trigger === null ||
    Array.isArray(trigger) ||
    typeof trigger.type !== 'string' ||
    !isPlainJson(trigger, 0)
  )
    throw new InvalidJobChangeError(
      'trigger',
      'must be a trigger as JSON (a plain object with a string type, of JSON values only)',
    );
  return JSON.stringify(trigger);
}

/**
 * A change of `job` as the scheduler records it. Its trigger's JSON is made
 * only when a log reads it: the memory store keeps the change as it is and
 * makes the JSON only if the change is ever read.
 */
class ChangeOfJob implements NewJobChange {
  readonly jobId: string;
  readonly kind: JobChangeKind;
  readonly node: string | null;
  readonly misfireGraceTime: number | null;
  readonly coalesce: boolean;
  readonly maxInstances: number;
  #trigger: Trigger | TriggerJSON | null;
  #json: boolean;

  constructor(kind: JobChangeKind, job: Job, node: string | null) {
    this.jobId = job.id;
    this.kind = kind;
    this.node = node;
    this.misfireGraceTime = job.misfireGraceTime;
    this.coalesce = job.coalesce;
    this.maxInstances = job.maxInstances;
    this.#trigger = kind === 'removed' ? null : job.trigger;
    this.#json = kind === 'removed';
  }

  /** The trigger as given (the Trigger until its JSON was asked for). */
  get source(): Trigger | TriggerJSON | null {
    return this.#trigger;
  }

  get trigger(): TriggerJSON | null {
    if (!this.#json) {
      this.#trigger = (this.#trigger as Trigger).toJSON();
      this.#json = true;
    }
    return this.#trigger as TriggerJSON | null;
  }
}

/** The change `kind` of `job` (its trigger and options after the change), made by `node`. */
export function jobChangeOf(kind: JobChangeKind, job: Job, node: string | null): NewJobChange {
  return new ChangeOfJob(kind, job, node);
}

/** The removal of a job known by its id only. */
export function removalOf(jobId: string, node: string | null): NewJobChange {
  return {
    jobId,
    kind: 'removed',
    trigger: null,
    misfireGraceTime: null,
    coalesce: false,
    maxInstances: 1,
    node,
  };
}

/** Was this change made by {@link jobChangeOf} (its fields are already known to be sound)? */
export function isChangeOfJob(change: NewJobChange): boolean {
  return change instanceof ChangeOfJob;
}

/**
 * The change's trigger as it was given: the job's Trigger itself for a
 * change made by {@link jobChangeOf} whose JSON was not made yet (a log held
 * in the process keeps it and makes the JSON when read), else the JSON.
 */
export function triggerSourceOf(change: NewJobChange): Trigger | TriggerJSON | null {
  return change instanceof ChangeOfJob ? change.source : change.trigger;
}

/** The JSON of a trigger source ({@link triggerSourceOf}). */
export function triggerJsonOf(source: Trigger | TriggerJSON | null): TriggerJSON | null {
  if (source === null) return null;
  return typeof (source as Partial<Trigger>).getNextFireTime === 'function'
    ? (source as Trigger).toJSON()
    : (source as TriggerJSON);
}

/**
 * The payload a persistent log stores for a change besides its id, version
 * and time: `{ kind, trigger, misfireGraceTime, coalesce, maxInstances, node }`
 * as JSON text.
 */
export function changePayload(change: NewJobChange, triggerJson: string | null): string {
  return `{"kind":${JSON.stringify(change.kind)},"trigger":${triggerJson ?? 'null'},"misfireGraceTime":${JSON.stringify(change.misfireGraceTime)},"coalesce":${change.coalesce},"maxInstances":${JSON.stringify(change.maxInstances)},"node":${JSON.stringify(change.node)}}`;
}

/** A stored change read back, or undefined when what was read is not one (it is skipped). */
export function readJobChange(
  jobId: string,
  version: unknown,
  at: unknown,
  fields: Record<string, unknown>,
): JobChange | undefined {
  const v = Number(version);
  const t = Number(at);
  const { kind, trigger, misfireGraceTime, coalesce, maxInstances, node } = fields;
  if (!Number.isInteger(v) || v < 1 || !Number.isFinite(t)) return undefined;
  if (typeof kind !== 'string' || !JOB_CHANGE_KINDS.has(kind)) return undefined;
  if (trigger !== null && (typeof trigger !== 'object' || Array.isArray(trigger))) return undefined;
  if (misfireGraceTime !== null && typeof misfireGraceTime !== 'number') return undefined;
  if (typeof coalesce !== 'boolean' || typeof maxInstances !== 'number') return undefined;
  if (node !== null && typeof node !== 'string') return undefined;
  return {
    jobId,
    version: v,
    kind: kind as JobChangeKind,
    at: t,
    trigger: trigger as TriggerJSON | null,
    misfireGraceTime,
    coalesce,
    maxInstances,
    node,
  };
}

/** A trigger stored as JSON text, or null once removed: the trigger, null, or undefined when unreadable. */
export function readTriggerText(text: unknown): unknown {
  if (text === null) return null;
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Records read newest first (so that a limit keeps the newest) as changes oldest first; unreadable ones are skipped. */
export function oldestFirst<R>(
  newestFirst: readonly R[],
  read: (record: R) => JobChange | undefined,
): JobChange[] {
  const changes: JobChange[] = [];
  for (let i = newestFirst.length - 1; i >= 0; i--) {
    const change = read(newestFirst[i] as R);
    if (change !== undefined) changes.push(change);
  }
  return changes;
}

/** {@link readJobChange} of a payload stored as JSON text (see {@link changePayload}). */
export function readJobChangeText(
  jobId: string,
  version: unknown,
  at: unknown,
  payload: unknown,
): JobChange | undefined {
  if (typeof payload !== 'string') return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  return readJobChange(jobId, version, at, fields as Record<string, unknown>);
}
