/**
 * The fires of a store that keeps its history in the process (the memory
 * store's ring, `../../stores/fire-ring.ts`): a pass records the fires it
 * plans, the executor reports each start and outcome (`fireChanged`), and
 * `scheduler.getFires` and `explain` read them as they read a shared store's
 * ledger. No other scheduler shares such a store: there are no claims, and
 * the fencing token is 0.
 */
import type { RunFire } from '../../executors/executor.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import { excludedDetail } from '../calendar-registry.ts';
import { foldedDetail } from '../history/folded.ts';
import type { CatchUpReport } from './catch-up.ts';
import type { DuePlan } from './plan-job.ts';

/** Records the fire times a plan's calendar excluded: one `excluded` row for the pass, with the count in its detail. */
export function recordExcluded(ring: FireRing, node: string, plan: DuePlan, now: number): void {
  if (plan.excluded === undefined) return;
  ring.add({
    jobId: plan.job.id,
    scheduledTime: plan.excluded.first.getTime(),
    state: 'excluded',
    node,
    batchId: null,
    at: now,
    detail: excludedDetail(plan),
  });
}

/**
 * Records a plan's fires in the ring: a `coalesced` row for the missed times
 * a coalescing job folds into one run, and one `claimed` row per run, which
 * the executor moves on. Returns the runs' fires, to submit with them.
 */
export function recordPlannedFires(
  ring: FireRing,
  node: string,
  plan: DuePlan,
  now: number,
  catchUp: CatchUpReport,
): RunFire[] {
  const { job, runTimes } = plan;
  const first = runTimes[0];
  if (first === undefined) return [];
  if (job.coalesce && !plan.continuation && first.getTime() !== job.nextRunTimeMs) {
    const { count, complete } = catchUp.countFolded(job, first);
    ring.add({
      jobId: job.id,
      scheduledTime: job.nextRunTimeMs,
      state: 'coalesced',
      node,
      batchId: null,
      at: now,
      detail: foldedDetail(count, complete, first),
      history: job.history,
    });
  }
  const fires: RunFire[] = [];
  // One record reused for every run of the batch: the ring copies what it keeps.
  const planned = {
    jobId: job.id,
    scheduledTime: 0,
    state: 'claimed' as const,
    node,
    batchId: null as string | null,
    at: now,
    history: job.history,
  };
  for (const time of runTimes) {
    planned.scheduledTime = time.getTime();
    const fireId = ring.add(planned);
    // The batch is named after its first fire.
    planned.batchId ??= fireId;
    fires.push({ fireId, fencingToken: 0, recovering: false });
  }
  return fires;
}
