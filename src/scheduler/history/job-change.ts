/**
 * What a job was at a moment in its past, from the changes its store recorded
 * (`../../stores/job-changes.ts`): whether it existed, which trigger was in
 * force, whether it was paused.
 */
import type { JobChange } from '../../stores/job-changes.ts';

export type { JobChange, JobChangeKind } from '../../stores/job-changes.ts';

/** What a job's changes say about one moment. */
export interface JobStateAt {
  /** The last change at or before the moment; undefined when the job did not exist yet. */
  readonly change: JobChange | undefined;
  /** The last change that set the trigger (added or modified) at or before the moment. */
  readonly definition: JobChange | undefined;
  readonly paused: boolean;
  /** When the pause in force began, and when it ended (undefined while it lasts). */
  readonly pausedAt: number | undefined;
  readonly resumedAt: number | undefined;
  readonly removed: boolean;
}

/**
 * The state of a job at `time` from its changes in ascending order. A pause
 * ends at the first `resumed` after it; `resumedAt` is reported even when it lies after `time`, so that an answer
 * can say how long the pause lasted.
 */
export function jobStateAt(changes: readonly JobChange[], time: number): JobStateAt {
  let change: JobChange | undefined;
  let definition: JobChange | undefined;
  let index = -1;
  for (const [i, candidate] of changes.entries()) {
    if (candidate.at > time) break;
    change = candidate;
    index = i;
    if (candidate.kind === 'added' || candidate.kind === 'modified') definition = candidate;
  }
  let paused = false;
  let pausedAt: number | undefined;
  for (let i = 0; i <= index; i++) {
    const c = changes[i] as JobChange;
    if (c.kind === 'paused') {
      if (!paused) pausedAt = c.at;
      paused = true;
    } else if (c.kind === 'resumed' || c.kind === 'added') {
      paused = false;
      pausedAt = undefined;
    }
  }
  let resumedAt: number | undefined;
  if (paused) resumedAt = changes.slice(index + 1).find((c) => c.kind === 'resumed')?.at;
  return {
    change,
    definition,
    paused,
    pausedAt,
    resumedAt,
    removed: change?.kind === 'removed',
  };
}
