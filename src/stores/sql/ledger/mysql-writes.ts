/**
 * The ledger's batch writes on MySQL/MariaDB, which have no `unnest` and no
 * `update … returning`: a batch's rows are locked first (`select … for
 * update`), which tells which ones the writes may change, then written with
 * multi-row statements in the padded sizes of `../queries.ts`:
 *
 * - a commit's jobs: the lock reads each job's fence and claim owner (and the
 *   store's clock); the jobs that still match are rewritten with one upsert
 *   (of rows locked and present, so it adds none) and removed with one delete;
 * - its fires: one multi-row insert. MySQL has no `on conflict do nothing`
 *   (`insert ignore` would hide every other error too): a batch that hits a
 *   taken (job, scheduled time) fails as a whole, InnoDB undoes that
 *   statement alone, and the batch is inserted again one fire at a time;
 * - fire updates: the lock keeps the fires `owner` holds live; one update
 *   joined with the batch's values writes them.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { chunks, insertSizedBatches, paddedBatchChars, paddedBatches } from '../batches.ts';
import { MAX_INSERT_ROWS, MAX_PADDED_ROWS, SizedStatements } from '../queries.ts';
import type { RunStatement } from '../statement-runner.ts';
import type { MergedFireUpdate } from './fire-updates.ts';
import { numberOrNull } from './ledger-rows.ts';
import { arg, FIRE_COLUMNS, LIVE } from './ledger-statements.ts';
import {
  type FireValues,
  fireChars,
  type JobWrite,
  type LedgerWrites,
  RECOVER_PATTERN,
  updateChars,
  type WriteContext,
} from './ledger-writes.ts';

interface MysqlStatements {
  /** (now or null, ids…) → now, id, fence, lease_owner, claimed_state; rows locked */
  lockJobs: SizedStatements;
  /** (id, next_run_time, job_state)… of rows locked and present: rewrites them, releasing their claims */
  writeJobs: SizedStatements;
  /** (ids…) */
  removeJobs: SizedStatements;
  /** FIRE_COLUMNS values, one fire after another */
  insertFires: SizedStatements;
  /** (owner, fire ids…) → fire_id of the fires the owner holds live; rows locked */
  lockFires: SizedStatements;
  /** (owner, then fire_id, state, started_at, finished_at, error_name, error_message, lease_until per fire) */
  updateFires: SizedStatements;
}

/** `count` rows of `width` arguments each, from argument `first` on: `(?, ?), (?, ?)`. */
function valueRows(count: number, width: number, first: number): RawBuilder<unknown> {
  return sql.join(
    Array.from(
      { length: count },
      (_, row) =>
        sql`(${sql.join(Array.from({ length: width }, (_, i) => arg(first + row * width + i)))})`,
    ),
  );
}

/** `count` arguments from `first` on: `?, ?, ?`. */
function argList(count: number, first: number): RawBuilder<unknown> {
  return sql.join(Array.from({ length: count }, (_, i) => arg(first + i)));
}

const UPDATE_COLUMNS = [
  'fire_id',
  'state',
  'started_at',
  'finished_at',
  'error_name',
  'error_message',
  'lease_until',
] as const;

function compile(db: Kysely<unknown>, context: WriteContext): MysqlStatements {
  const T = sql.table(context.names.jobs);
  const F = sql.table(context.names.fires);
  const clock = sql.raw(context.dialect.clock ?? 'null');
  const sized = (build: (n: number) => RawBuilder<unknown>) =>
    new SizedStatements((n) => build(n).compile(db));
  const fireColumns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
  /** The values of `n` fire updates as a derived table, from argument 1 on. */
  const updateValues = (n: number) =>
    sql.join(
      Array.from({ length: n }, (_, row) => {
        const values = UPDATE_COLUMNS.map((column, i) =>
          row === 0
            ? sql`${arg(1 + i)} as ${sql.ref(column)}`
            : arg(1 + row * UPDATE_COLUMNS.length + i),
        );
        return sql`select ${sql.join(values)}`;
      }),
      sql` union all `,
    );
  return {
    lockJobs: sized(
      (
        n,
      ) => sql`select coalesce(cast(${arg(0)} as signed), ${clock}) as now, id, fence, lease_owner,
          case when job_state like ${sql.lit(RECOVER_PATTERN)} then job_state end as claimed_state
        from ${T} where id in (${argList(n, 1)}) for update`,
    ),
    writeJobs: sized(
      (n) => sql`insert into ${T} (id, next_run_time, job_state) values ${valueRows(n, 3, 0)}
        on duplicate key update next_run_time = values(next_run_time),
          job_state = values(job_state), lease_owner = null, lease_until = null`,
    ),
    removeJobs: sized((n) => sql`delete from ${T} where id in (${argList(n, 0)})`),
    insertFires: sized(
      (n) => sql`insert into ${F} (${fireColumns}) values ${valueRows(n, FIRE_COLUMNS.length, 0)}`,
    ),
    lockFires: sized(
      (n) => sql`select fire_id from ${F}
        where fire_id in (${argList(n, 1)}) and node = ${arg(0)} and state in ${LIVE} for update`,
    ),
    updateFires: sized(
      // A fire repeated by padding joins twice with the same values: a multi-table
      // update changes each row once.
      (n) => sql`update ${F} as f join (${updateValues(n)}) as v on f.fire_id = v.fire_id
        set f.state = v.state, f.started_at = coalesce(v.started_at, f.started_at),
          f.finished_at = v.finished_at, f.error_name = v.error_name, f.error_message = v.error_message,
          f.lease_until = coalesce(v.lease_until, f.lease_until)
        where f.node = ${arg(0)} and f.state in ${LIVE}`,
    ),
  };
}

interface LockedJob {
  now: unknown;
  id: string;
  fence: unknown;
  lease_owner: unknown;
  claimed_state: unknown;
}

export function mysqlWrites(context: WriteContext): LedgerWrites {
  const statements = compile(context.backend.db as unknown as Kysely<unknown>, context);
  const { dialect, names } = context;
  const batchChars = paddedBatchChars(context.backend.jobSizeLimit.bytes);

  /** Inserts one fire; false when its (job, scheduled time) is taken. */
  async function insertOne(run: RunStatement, fire: FireValues): Promise<boolean> {
    try {
      await run(context.statements.insertFire.bind(fire));
      return true;
    } catch (error) {
      if (dialect.isDuplicateKey(error, names.fireSlotIndex)) return false;
      throw error;
    }
  }

  return {
    async writeJobs(run, owner, jobs, now) {
      const written = new Map<string, unknown>();
      let clock: number | null = null;
      const sizeOf = (job: JobWrite) => job.row?.job_state.length ?? 0;
      for (const chunk of chunks(jobs, MAX_PADDED_ROWS, batchChars, sizeOf)) {
        const locked = new Map<string, LockedJob>();
        for (const batch of paddedBatches(
          chunk.map((job) => job.jobId),
          MAX_PADDED_ROWS,
        )) {
          const { rows } = await run<LockedJob>(
            statements.lockJobs.rows(batch.length).bind([now ?? null, ...batch]),
          );
          for (const row of rows) {
            locked.set(row.id, row);
            clock ??= numberOrNull(row.now);
          }
        }
        const rewritten = [];
        const removed = [];
        for (const job of chunk) {
          const row = locked.get(job.jobId);
          if (row === undefined || row.lease_owner !== owner) continue;
          if (numberOrNull(row.fence) !== job.fence) continue;
          written.set(job.jobId, job.row === null ? (row.claimed_state ?? null) : null);
          if (job.row === null) removed.push(job.jobId);
          else rewritten.push(job.row);
        }
        for (const batch of paddedBatches(rewritten, MAX_PADDED_ROWS)) {
          const args = batch.flatMap((row) => [row.id, row.next_run_time, row.job_state]);
          await run(statements.writeJobs.rows(batch.length).bind(args));
        }
        for (const batch of paddedBatches(removed, MAX_PADDED_ROWS))
          await run(statements.removeJobs.rows(batch.length).bind(batch));
      }
      return { now: clock, written };
    },

    async insertFires(run, fires) {
      const inserted = new Set<string>();
      const max = MAX_INSERT_ROWS.mysql;
      for (const chunk of chunks(fires, max, batchChars, fireChars)) {
        for (const batch of insertSizedBatches(chunk, max)) {
          try {
            await run(statements.insertFires.rows(batch.length).bind(batch.flat()));
            for (const fire of batch) inserted.add(String(fire[0]));
          } catch (error) {
            if (!dialect.isDuplicateKey(error, names.fireSlotIndex)) throw error;
            for (const fire of batch) if (await insertOne(run, fire)) inserted.add(String(fire[0]));
          }
        }
      }
      return inserted;
    },

    updateFires(owner, writes) {
      return context.transaction(async (run) => {
        const changed = new Set<string>();
        for (const chunk of chunks(writes, MAX_PADDED_ROWS, batchChars, updateChars)) {
          const held = new Set<string>();
          for (const batch of paddedBatches(
            chunk.map((write) => write.fireId),
            MAX_PADDED_ROWS,
          )) {
            const { rows } = await run<{ fire_id: unknown }>(
              statements.lockFires.rows(batch.length).bind([owner, ...batch]),
            );
            for (const row of rows) held.add(String(row.fire_id));
          }
          const applied = chunk.filter((write) => held.has(write.fireId));
          for (const batch of paddedBatches(applied, MAX_PADDED_ROWS, updateChars)) {
            await run(
              statements.updateFires.rows(batch.length).bind([owner, ...updateArgs(batch)]),
            );
          }
          for (const write of applied) changed.add(write.fireId);
        }
        return changed;
      });
    },
  };
}

function updateArgs(batch: readonly MergedFireUpdate[]): unknown[] {
  return batch.flatMap((write) => [
    write.fireId,
    write.state,
    write.startedAt,
    write.finishedAt,
    write.errorName,
    write.errorMessage,
    write.leaseUntil,
  ]);
}
