/**
 * The history of a job's definition, kept by the store beside the job: each
 * change (added, modified, paused, resumed, removed) with the trigger and the
 * options in force after it, so that a past fire time can be recomputed with
 * the trigger that was in force then ("why didn't it fire at 02:30?").
 */
import type { TriggerJSON } from '../triggers/trigger.ts';

export type JobChangeKind = 'added' | 'modified' | 'paused' | 'resumed' | 'removed';

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
