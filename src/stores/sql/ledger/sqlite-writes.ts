/**
 * The ledger's batch writes on SQLite: a statement costs no round trip on its
 * one in-process connection, and a prepared single-row statement costs less
 * per row there than a multi-row one (which binds and returns more), so each
 * job, fire and fire update is one statement. A removal returns the state it
 * removed, instead of reading it first.
 */
import { type Kysely, sql } from 'kysely';
import { Template } from '../queries.ts';
import { arg } from './ledger-statements.ts';
import { type LedgerWrites, RECOVER_PATTERN, type WriteContext } from './ledger-writes.ts';

interface SqliteStatements {
  /** (id, fence, owner) → claimed_state */
  removeJob: Template;
}

function compile(db: Kysely<unknown>, context: WriteContext): SqliteStatements {
  const T = sql.table(context.names.jobs);
  return {
    removeJob: new Template(
      sql`delete from ${T} where id = ${arg(0)} and fence = ${arg(1)} and lease_owner = ${arg(2)}
        returning case when job_state like ${sql.lit(RECOVER_PATTERN)} then job_state end
          as claimed_state`.compile(db),
    ),
  };
}

export function sqliteWrites(context: WriteContext): LedgerWrites {
  const statements = compile(context.backend.db as unknown as Kysely<unknown>, context);
  const { commitJob, insertFire, updateFire } = context.statements;
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
      for (const fire of fires) {
        const result = await run(insertFire.bind(fire));
        if (result.numAffectedRows) inserted.add(String(fire[0]));
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
              write.leaseUntil,
            ]),
          );
          if (result.numAffectedRows) changed.add(write.fireId);
        }
        return changed;
      });
    },
  };
}
