/**
 * The ledger's batch writes on SQLite: a statement costs no round trip on its
 * one in-process connection, so a commit's jobs are written one prepared
 * statement each (a removal returns the state it removed, instead of reading
 * it first), fire updates likewise, and fires go in multi-row inserts
 * (`on conflict do nothing returning fire_id`), which save a call into the
 * driver per fire.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { insertSizedBatches } from '../batches.ts';
import { SizedStatements, Template } from '../queries.ts';
import { arg, FIRE_COLUMNS } from './ledger-statements.ts';
import { type LedgerWrites, RECOVER_PATTERN, type WriteContext } from './ledger-writes.ts';

/**
 * Fires per multi-row insert at most: 17 arguments each stay within 999,
 * the least limit an SQLite build may have; more rows save no more.
 */
const FIRE_ROWS = 32;

interface SqliteStatements {
  /** (id, fence, owner) → claimed_state */
  removeJob: Template;
  /** FIRE_COLUMNS values, one fire after another → fire_id of the rows inserted */
  insertFires: SizedStatements;
}

function compile(db: Kysely<unknown>, context: WriteContext): SqliteStatements {
  const T = sql.table(context.names.jobs);
  const F = sql.table(context.names.fires);
  const columns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
  const width = FIRE_COLUMNS.length;
  const rows = (n: number): RawBuilder<unknown> =>
    sql.join(
      Array.from(
        { length: n },
        (_, row) => sql`(${sql.join(FIRE_COLUMNS.map((_, i) => arg(row * width + i)))})`,
      ),
    );
  return {
    removeJob: new Template(
      sql`delete from ${T} where id = ${arg(0)} and fence = ${arg(1)} and lease_owner = ${arg(2)}
        returning case when job_state like ${sql.lit(RECOVER_PATTERN)} then job_state end
          as claimed_state`.compile(db),
    ),
    insertFires: new SizedStatements((n) =>
      sql`insert into ${F} (${columns}) values ${rows(n)}
        on conflict (job_id, scheduled_time) do nothing returning fire_id`.compile(db),
    ),
  };
}

export function sqliteWrites(context: WriteContext): LedgerWrites {
  const statements = compile(context.backend.db as unknown as Kysely<unknown>, context);
  const { commitJob, updateFire } = context.statements;
  return {
    async writeJobs(run, owner, jobs, now) {
      const written = new Map<string, unknown>();
      for (const { jobId, fence, row } of jobs) {
        if (row === null) {
          const { rows } = await run<{ claimed_state: unknown }>(
            statements.removeJob.bind([jobId, fence, owner]),
          );
          if (rows.length > 0) written.set(jobId, rows[0]?.claimed_state ?? null);
          continue;
        }
        const result = await run(
          commitJob.bind([jobId, fence, row.next_run_time, row.job_state, owner]),
        );
        if (result.numAffectedRows) written.set(jobId, null);
      }
      // SQLite is shared by the processes of one host only: the host's clock is the store's.
      return { now: now ?? Date.now(), written };
    },

    async insertFires(run, fires) {
      const inserted = new Set<string>();
      for (const batch of insertSizedBatches(fires, FIRE_ROWS)) {
        const { rows } = await run<{ fire_id: unknown }>(
          statements.insertFires.rows(batch.length).bind(batch.flat()),
        );
        for (const row of rows) inserted.add(String(row.fire_id));
      }
      return inserted;
    },

    updateFires(owner, writes) {
      return context.transaction(async (run) => {
        const changed = new Set<string>();
        for (const write of writes) {
          const result = await run(
            updateFire.bind([
              write.state,
              write.startedAt,
              write.finishedAt,
              write.errorName,
              write.errorMessage,
              write.fireId,
              owner,
            ]),
          );
          if (result.numAffectedRows) changed.add(write.fireId);
        }
        return changed;
      });
    },
  };
}
