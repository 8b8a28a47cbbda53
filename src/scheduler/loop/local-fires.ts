/**
 * The fires of a store that keeps its history in the process (the memory
 * store's ring, `../../stores/fire-ring.ts`): a pass records the fires it
 * plans, the executor reports each start and outcome (`fireChanged`), and
 * `scheduler.getFires` and `explain` read them as they read a shared store's
 * ledger. No other scheduler shares such a store: there are no claims, and
 * the fencing token is 0.
 */
import { randomBytes } from 'node:crypto';
import type { RunFire } from '../../executors/executor.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import type { DuePlan } from './plan-job.ts';

/** Ids unique in the process and cheap to make: a random prefix per scheduler, then a counter. */
export class LocalFireIds {
  readonly #prefix = `${randomBytes(6).toString('hex')}-`;
  #count = 0;

  next(): string {
    this.#count += 1;
    return this.#prefix + this.#count.toString(36);
  }
}

/**
 * Records a plan's fires in the ring: a `coalesced` row for the missed times
 * a coalescing job folds into one run, and one `claimed` row per run, which
 * the executor moves on. Returns the runs' fires, to submit with them.
 */
export function recordPlannedFires(
  ring: FireRing,
  ids: LocalFireIds,
  node: string,
  plan: DuePlan,
  now: number,
): RunFire[] {
  const { job, runTimes } = plan;
  const first = runTimes[0];
  if (first === undefined) return [];
  if (job.coalesce && !plan.continuation && first.getTime() !== job.nextRunTimeMs)
    ring.add({
      fireId: ids.next(),
      jobId: job.id,
      scheduledTime: job.nextRunTimeMs,
      state: 'coalesced',
      node,
      batchId: null,
      at: now,
      detail: `folded into the run at ${first.toISOString()}`,
    });
  const batchId = ids.next();
  const fires: RunFire[] = [];
  for (const time of runTimes) {
    const fireId = ids.next();
    ring.add({
      fireId,
      jobId: job.id,
      scheduledTime: time.getTime(),
      state: 'claimed',
      node,
      batchId,
      at: now,
    });
    fires.push({ fireId, fencingToken: 0, recovering: false });
  }
  return fires;
}
