/**
 * One batch of a retention purge on MongoDB (`PurgeOptions` in
 * `../ledger.ts`): the final fires of jobs that keep less history (the
 * partial index `horarium_fire_retention`), then the pass's next fires
 * oldest first (index `horarium_fire_history`, walked upward from the pass's
 * place) up to the older cut-off, each removed when past its own cut-off and
 * not among the newest `keepPerJob` of its job (the job's `keepPerJob`-th
 * newest scheduled time, read once per job of the batch through the slot
 * index). Removals are one `deleteMany` on the ids chosen, which only ever
 * removes final fires.
 */
import type { Collection, Filter } from 'mongodb';
import {
  type FirePosition,
  type FireState,
  PURGE_START,
  type PurgeOptions,
  type PurgeResult,
} from '../ledger.ts';
import { LIVE, type MongoFireDocument } from './mongo-fires.ts';

/** Live fires, and those waiting for their retry or their turn: a purge keeps them. */
const KEPT: FireState[] = [...LIVE.$in, 'retried', 'queued'];

type Candidate = Pick<
  MongoFireDocument,
  '_id' | 'job_id' | 'scheduled_time' | 'state' | 'finished_at'
>;

export async function purgeMongoFires(
  fires: Collection<MongoFireDocument>,
  options: PurgeOptions,
): Promise<PurgeResult> {
  const limit = Math.floor(options.limit);
  const after = options.after ?? PURGE_START;
  if (!(limit >= 1)) return { removed: 0, next: after };
  // Live fires, and those waiting for their retry or their turn, are kept.
  const final = { $nin: KEPT };
  const removeIds = async (ids: string[]): Promise<number> =>
    ids.length === 0
      ? 0
      : (await fires.deleteMany({ _id: { $in: ids }, state: final })).deletedCount;

  const policy = await fires
    .find(
      {
        $or: [
          { history: 'off', state: final },
          { history: 'failures', state: 'succeeded' },
        ],
      },
      { projection: { _id: 1 } },
    )
    .limit(limit)
    .toArray();
  let removed = await removeIds(policy.map((document) => document._id));
  const budget = limit - policy.length;
  if (budget <= 0) return { removed, next: after };

  const { succeededBefore, otherBefore } = options;
  const keep = Math.max(0, Math.floor(options.keepPerJob));
  const filter: Filter<MongoFireDocument> = {
    scheduled_time: { $lt: Math.max(succeededBefore, otherBefore), $gte: after.scheduledTime },
    $or: [{ scheduled_time: { $gt: after.scheduledTime } }, { _id: { $gt: after.fireId } }],
  };
  const candidates = (await fires
    .find(filter, {
      projection: { _id: 1, job_id: 1, scheduled_time: 1, state: 1, finished_at: 1 },
    })
    .sort({ scheduled_time: 1, _id: 1 })
    .limit(budget)
    .toArray()) as Candidate[];
  // The scheduled time of each job's keep-th newest fire: older fires are beyond the kept ones.
  const keptFrom = new Map<string, number>();
  const beyondKept = async (fire: Candidate): Promise<boolean> => {
    if (keep === 0) return true;
    let from = keptFrom.get(fire.job_id);
    if (from === undefined) {
      const newest = await fires
        .find({ job_id: fire.job_id }, { projection: { scheduled_time: 1 } })
        .sort({ scheduled_time: -1 })
        .limit(keep)
        .toArray();
      from = newest.length < keep ? Number.NEGATIVE_INFINITY : (newest.at(-1)?.scheduled_time ?? 0);
      keptFrom.set(fire.job_id, from);
    }
    return fire.scheduled_time < from;
  };
  const expired: string[] = [];
  for (const fire of candidates) {
    if (typeof fire.scheduled_time !== 'number' || KEPT.includes(fire.state)) continue;
    const before = fire.state === 'succeeded' ? succeededBefore : otherBefore;
    const ended = typeof fire.finished_at === 'number' ? fire.finished_at : fire.scheduled_time;
    if (fire.scheduled_time < before && ended < before && (await beyondKept(fire)))
      expired.push(fire._id);
  }
  removed += await removeIds(expired);
  const last = candidates.at(-1);
  const next: FirePosition | null =
    candidates.length < budget || last === undefined
      ? null
      : { scheduledTime: last.scheduled_time, fireId: last._id };
  return { removed, next };
}
