/**
 * The job change log (`../job-changes.ts`) of the SQL job store, in
 * `<table>_job_changes` (`migrations.ts`, `0004_job_changes`): one row per
 * change, primary key (job_id, version).
 *
 * A change's version is the job's highest plus one, computed inside the
 * insert (`insert … select coalesce(max(version), 0) + 1 … where job_id =`),
 * and its time is the database's clock (SQLite: this host's). Two schedulers
 * recording a change of one job at once compute the same version: the
 * primary key lets one insert win, and the other's transaction runs again
 * (as it does after a deadlock), so versions stay strictly increasing.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  changeLimit,
  checkJobChange,
  InvalidJobChangeError,
  type JobChange,
  type JobChangeLog,
  type JobChangeQuery,
  type NewJobChange,
  oldestFirst,
  readJobChange,
  readTriggerText,
} from '../job-changes.ts';
import { LEDGER_DIALECTS } from './ledger/ledger-dialect.ts';
import { idProblem } from './rows.ts';
import type { SqlBackend } from './sql-backend.ts';
import type { RunStatement } from './statement-runner.ts';
import type { TableNames } from './table-names.ts';

/**
 * A transaction that lost its versions to another writer runs again, this
 * many times at most: each round of writers racing for one version has a
 * winner, so this bounds the writers of one job at once, not the chance.
 */
const RECORD_ATTEMPTS = 50;

interface ChangeRow {
  version: unknown;
  kind: unknown;
  changed_at: unknown;
  trigger_json: unknown;
  misfire_grace_time: unknown;
  coalesce: unknown;
  max_instances: unknown;
  node: unknown;
}

/** The log of a SQL store; `backend()` is read at each call (the store may restart). */
export class SqlJobChanges implements JobChangeLog {
  readonly #backend: () => SqlBackend;
  readonly #names: TableNames;

  constructor(backend: () => SqlBackend, names: TableNames) {
    this.#backend = backend;
    this.#names = names;
  }

  async recordJobChanges(changes: readonly NewJobChange[]): Promise<void> {
    const checked = changes.map((change) => {
      const trigger = checkJobChange(change);
      const problem = idProblem(change.jobId);
      if (problem !== null) throw new InvalidJobChangeError('jobId', problem.problem);
      if (change.node !== null && idProblem(change.node) !== null)
        throw new InvalidJobChangeError(
          'node',
          (idProblem(change.node) as { problem: string }).problem,
        );
      return { change, trigger };
    });
    if (checked.length === 0) return;
    const backend = this.#backend();
    const dialect = LEDGER_DIALECTS[backend.dialect];
    const C = sql.table(this.#names.jobChanges);
    const clock = dialect.clock === null ? null : sql.raw(dialect.clock);
    const columns = sql`job_id, version, kind, changed_at, trigger_json, misfire_grace_time,
      ${sql.ref('coalesce')}, max_instances, node`;
    const queries = checked.map(({ change, trigger }) => {
      const { jobId } = change;
      const at: RawBuilder<unknown> = clock ?? sql`${Date.now()}`;
      const values = [
        sql`${change.kind}`,
        at,
        sql`${trigger}`,
        sql`${change.misfireGraceTime}`,
        sql`${change.coalesce ? 1 : 0}`,
        sql`${change.maxInstances}`,
        sql`${change.node}`,
      ];
      const next = sql`coalesce(max(version), 0) + 1`;
      // MySQL reads the table it inserts into only in the select of an insert;
      // elsewhere the values take their types from the columns they go to.
      const insert =
        backend.dialect === 'mysql'
          ? sql`insert into ${C} (${columns})
              select ${jobId}, ${next}, ${sql.join(values)} from ${C} where job_id = ${jobId}`
          : sql`insert into ${C} (${columns})
              values (${jobId}, (select ${next} from ${C} where job_id = ${jobId}), ${sql.join(values)})`;
      return insert.compile(backend.db as unknown as Kysely<unknown>);
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await backend.transaction(async (run: RunStatement) => {
          for (const query of queries) await run(query);
        });
        return;
      } catch (error) {
        const passing = backend.isUniqueViolation(error) || dialect.isTransient(error);
        if (attempt >= RECORD_ATTEMPTS || !passing) throw error;
        // Let the writer that won finish before reading the versions again.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * 5 * Math.min(attempt, 10)),
        );
      }
    }
  }

  async getJobChanges(jobId: string, query?: JobChangeQuery): Promise<JobChange[]> {
    const limit = changeLimit(query);
    if (typeof jobId !== 'string' || idProblem(jobId) !== null) return [];
    const backend = this.#backend();
    const C = sql.table(this.#names.jobChanges);
    const compiled = sql`select version, kind, changed_at, trigger_json, misfire_grace_time,
        ${sql.ref('coalesce')}, max_instances, node
      from ${C} where job_id = ${jobId} order by version desc limit ${sql.lit(limit)}`.compile(
      backend.db as unknown as Kysely<unknown>,
    );
    const { rows } = await backend.run<ChangeRow>(compiled);
    return oldestFirst(rows, (row) => changeOfRow(jobId, row));
  }
}

/** A row read back, or undefined when it is not a readable change (skipped). */
function changeOfRow(jobId: string, row: ChangeRow): JobChange | undefined {
  const trigger = readTriggerText(row.trigger_json);
  const grace = row.misfire_grace_time === null ? null : Number(row.misfire_grace_time);
  return readJobChange(jobId, row.version, row.changed_at, {
    kind: row.kind,
    trigger,
    misfireGraceTime: grace,
    coalesce: Number(row.coalesce) === 1,
    maxInstances: Number(row.max_instances),
    node: row.node,
  });
}
