/**
 * One batch of a retention purge on SQL (`PurgeOptions` in `../../ledger.ts`),
 * in two steps, each an index range read of at most `limit` rows and a
 * delete of the ids it chose (ids, not a subquery: MySQL refuses a delete
 * whose subquery reads the table it deletes from):
 *
 * 1. the final fires of jobs that keep less history (index `(history, state)`);
 * 2. the pass's next fires oldest first (index `(scheduled_time)`), from the
 *    pass's place on, up to the older of the two cut-offs; each is removed
 *    when it is past its cut-off and not among the newest `keepPerJob` of its
 *    job — the `keepPerJob`-th newest scheduled time of the job is one seek
 *    of the unique `(job_id, scheduled_time)` index.
 *
 * The pass moves on by the fires looked at, not those removed: fires kept
 * for their rank are read once per pass, never again and again in one.
 */
import { sql } from 'kysely';
import {
  type FirePosition,
  PURGE_START,
  type PurgeOptions,
  type PurgeResult,
} from '../../ledger.ts';
import { chunks } from '../batches.ts';
import type { SqlBackend } from '../sql-backend.ts';
import type { TableNames } from '../table-names.ts';
import { numberOrNull } from './ledger-rows.ts';

/** Fires a purge never removes: live ones, and those waiting for their retry or their turn. */
const KEPT = sql.raw("('claimed', 'running', 'retried', 'queued')");

/** Ids deleted per statement. */
const DELETE_CHUNK = 500;

interface CandidateRow {
  fire_id: unknown;
  scheduled_time: unknown;
  expired: unknown;
}

export async function purgeSqlFires(
  backend: SqlBackend,
  names: TableNames,
  options: PurgeOptions,
): Promise<PurgeResult> {
  const limit = Math.floor(options.limit);
  const after = options.after ?? PURGE_START;
  if (!(limit >= 1)) return { removed: 0, next: after };
  const F = sql.table(names.fires);
  const run = <R>(query: ReturnType<typeof sql>) => backend.runOnce<R>(query.compile(backend.db));
  const removeIds = async (ids: readonly string[]): Promise<number> => {
    let removed = 0;
    for (const chunk of chunks(ids, DELETE_CHUNK)) {
      const list = sql.join(chunk.map((id) => sql`${id}`));
      const result = await run(
        sql`delete from ${F} where fire_id in (${list}) and state not in ${KEPT}`,
      );
      removed += Number(result.numAffectedRows ?? 0);
    }
    return removed;
  };

  const policy = await run<{ fire_id: unknown }>(
    sql`select fire_id from ${F}
      where (history = 'off' and state not in ${KEPT})
        or (history = 'failures' and state = 'succeeded')
      limit ${sql.lit(limit)}`,
  );
  let removed = await removeIds(policy.rows.map((row) => String(row.fire_id)));
  const budget = limit - policy.rows.length;
  if (budget <= 0) return { removed, next: after };

  const { succeededBefore, otherBefore } = options;
  const keep = Math.max(0, Math.floor(options.keepPerJob));
  // Typed: PostgreSQL reads an untyped parameter in a `case` as text.
  const integer = sql.raw(backend.dialect === 'mysql' ? 'signed' : 'bigint');
  const time = (ms: number) => sql`cast(${ms} as ${integer})`;
  const cutOff = sql`(case when c.state = 'succeeded' then ${time(succeededBefore)} else ${time(otherBefore)} end)`;
  const beyondKept =
    keep === 0
      ? sql`1 = 1`
      : sql`c.scheduled_time < (select k.scheduled_time from ${F} k where k.job_id = c.job_id
          order by k.scheduled_time desc limit 1 offset ${sql.lit(keep - 1)})`;
  const { rows } = await run<CandidateRow>(
    sql`select c.fire_id, c.scheduled_time,
        case when c.state not in ${KEPT}
          and c.scheduled_time < ${cutOff}
          and coalesce(c.finished_at, c.scheduled_time) < ${cutOff}
          and ${beyondKept} then 1 else 0 end as expired
      from (select fire_id, job_id, scheduled_time, state, finished_at from ${F}
        where scheduled_time < ${time(Math.max(succeededBefore, otherBefore))}
          and scheduled_time >= ${time(after.scheduledTime)}
          and (scheduled_time > ${time(after.scheduledTime)} or fire_id > ${after.fireId})
        order by scheduled_time, fire_id limit ${sql.lit(budget)}) c
      order by c.scheduled_time, c.fire_id`,
  );
  removed += await removeIds(
    rows.filter((row) => Number(row.expired) === 1).map((row) => String(row.fire_id)),
  );
  const last = rows.at(-1);
  const next: FirePosition | null =
    rows.length < budget || last === undefined
      ? null
      : { scheduledTime: numberOrNull(last.scheduled_time) ?? 0, fireId: String(last.fire_id) };
  return { removed, next };
}
