/**
 * The ledger's batch writes on PostgreSQL: one statement per batch, each
 * column passed as an array (`unnest`), so that one prepared statement serves
 * every batch size and a batch costs one round trip, not one per job:
 *
 * - a commit's jobs: one `update … from unnest` and one `delete … using
 *   unnest` (in one statement, with the store's clock), each guarded by the
 *   fence and claim owner and returning the ids it matched;
 * - its fires: `insert … select from unnest … on conflict do nothing returning fire_id`;
 * - fire updates: `update … from unnest … returning fire_id`, on its own (one
 *   statement is atomic by itself).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { BATCH_CHARS, chunks } from '../batches.ts';
import { Template } from '../queries.ts';
import { numberOrNull } from './ledger-rows.ts';
import { arg, FIRE_COLUMNS, LIVE } from './ledger-statements.ts';
import {
  fireChars,
  type JobWrite,
  type LedgerWrites,
  RECOVER_PATTERN,
  updateChars,
  type WriteContext,
} from './ledger-writes.ts';

/** Rows one array statement carries at most (and about BATCH_CHARS characters of text). */
const UNNEST_ROWS = 5_000;

/** The PostgreSQL type of each fire column, in FIRE_COLUMNS order. */
const FIRE_COLUMN_TYPES: Readonly<Record<(typeof FIRE_COLUMNS)[number], string>> = {
  fire_id: 'text',
  job_id: 'text',
  scheduled_time: 'bigint',
  state: 'text',
  node: 'text',
  fence: 'bigint',
  batch_id: 'text',
  lease_until: 'bigint',
  claimed_at: 'bigint',
  started_at: 'bigint',
  finished_at: 'bigint',
  recovering: 'smallint',
  attempt: 'integer',
  error_name: 'text',
  error_message: 'text',
  detail: 'text',
  job_state: 'text',
  history: 'text',
};

/** `cast(argument i as type[])`: an array argument. */
function arrayArg(i: number, type: string): RawBuilder<unknown> {
  return sql`cast(${arg(i)} as ${sql.raw(type)}[])`;
}

interface PostgresStatements {
  /** (now or null, owner, ids[], fences[], next_run_times[], job_states[] with null to remove) → id, claimed_state, now */
  writeJobs: Template;
  /** One array per FIRE_COLUMNS column → fire_id of the rows inserted */
  insertFires: Template;
  /** (owner, fire_ids[], states[], started_ats[], finished_ats[], error_names[], error_messages[], lease_untils[]) → fire_id */
  updateFires: Template;
}

function compile(db: Kysely<unknown>, context: WriteContext): PostgresStatements {
  const T = sql.table(context.names.jobs);
  const F = sql.table(context.names.fires);
  const clock = sql.raw(context.dialect.clock ?? 'null');
  const columns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
  const fireArrays = sql.join(
    FIRE_COLUMNS.map((column, i) => arrayArg(i, FIRE_COLUMN_TYPES[column])),
  );
  return {
    writeJobs: new Template(
      sql`with c as (select coalesce(cast(${arg(0)} as bigint), ${clock}) as now),
        v as (select * from unnest(${arrayArg(2, 'text')}, ${arrayArg(3, 'bigint')},
          ${arrayArg(4, 'bigint')}, ${arrayArg(5, 'text')}) as v(id, fence, next_run_time, job_state)),
        w as (update ${T} as j set next_run_time = v.next_run_time, job_state = v.job_state,
            lease_owner = null, lease_until = null
          from v where v.job_state is not null and j.id = v.id and j.fence = v.fence
            and j.lease_owner = ${arg(1)}
          returning j.id, cast(null as text) as claimed_state),
        r as (delete from ${T} as j using v
          where v.job_state is null and j.id = v.id and j.fence = v.fence and j.lease_owner = ${arg(1)}
          returning j.id, case when j.job_state like ${sql.lit(RECOVER_PATTERN)} then j.job_state end
            as claimed_state)
        select x.id, x.claimed_state, c.now from (select * from w union all select * from r) as x
          cross join c`.compile(db),
    ),
    insertFires: new Template(
      sql`insert into ${F} (${columns}) select * from unnest(${fireArrays})
        on conflict (job_id, scheduled_time) do nothing returning fire_id`.compile(db),
    ),
    updateFires: new Template(
      sql`update ${F} as f set state = v.state, started_at = coalesce(v.started_at, f.started_at),
          finished_at = v.finished_at, error_name = v.error_name, error_message = v.error_message,
          lease_until = coalesce(v.lease_until, f.lease_until)
        from unnest(${arrayArg(1, 'text')}, ${arrayArg(2, 'text')}, ${arrayArg(3, 'bigint')},
          ${arrayArg(4, 'bigint')}, ${arrayArg(5, 'text')}, ${arrayArg(6, 'text')},
          ${arrayArg(7, 'bigint')})
          as v(fire_id, state, started_at, finished_at, error_name, error_message, lease_until)
        where f.fire_id = v.fire_id and f.node = ${arg(0)} and f.state in ${LIVE}
        returning f.fire_id`.compile(db),
    ),
  };
}

export function postgresWrites(context: WriteContext): LedgerWrites {
  const statements = compile(context.backend.db as unknown as Kysely<unknown>, context);
  return {
    async writeJobs(run, owner, jobs, now) {
      const written = new Map<string, unknown>();
      let clock: number | null = null;
      const sizeOf = (job: JobWrite) => job.row?.job_state.length ?? 0;
      for (const chunk of chunks(jobs, UNNEST_ROWS, BATCH_CHARS, sizeOf)) {
        const { rows } = await run<{ id: string; claimed_state: unknown; now: unknown }>(
          statements.writeJobs.bind([
            now ?? null,
            owner,
            chunk.map((job) => job.jobId),
            chunk.map((job) => job.fence),
            chunk.map((job) => job.row?.next_run_time ?? null),
            chunk.map((job) => job.row?.job_state ?? null),
          ]),
        );
        for (const row of rows) {
          written.set(row.id, row.claimed_state ?? null);
          clock ??= numberOrNull(row.now);
        }
      }
      return { now: clock, written };
    },

    async insertFires(run, fires) {
      const inserted = new Set<string>();
      for (const chunk of chunks(fires, UNNEST_ROWS, BATCH_CHARS, fireChars)) {
        const arrays = FIRE_COLUMNS.map((_, i) => chunk.map((fire) => fire[i] ?? null));
        const { rows } = await run<{ fire_id: unknown }>(statements.insertFires.bind(arrays));
        for (const row of rows) inserted.add(String(row.fire_id));
      }
      return inserted;
    },

    updateFires(owner, writes) {
      const batches = [...chunks(writes, UNNEST_ROWS, BATCH_CHARS, updateChars)];
      const work = async (run: typeof context.backend.run) => {
        const changed = new Set<string>();
        for (const batch of batches) {
          const { rows } = await run<{ fire_id: unknown }>(
            statements.updateFires.bind([
              owner,
              batch.map((write) => write.fireId),
              batch.map((write) => write.state),
              batch.map((write) => write.startedAt),
              batch.map((write) => write.finishedAt),
              batch.map((write) => write.errorName),
              batch.map((write) => write.errorMessage),
              batch.map((write) => write.leaseUntil),
            ]),
          );
          for (const row of rows) changed.add(String(row.fire_id));
        }
        return changed;
      };
      // One statement is atomic by itself: no transaction, and one round trip.
      if (batches.length === 1) return context.retry(() => work(context.backend.run));
      return context.transaction(work);
    },
  };
}
