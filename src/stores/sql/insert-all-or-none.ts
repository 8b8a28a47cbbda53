/**
 * `addJobs` on the database servers (PostgreSQL, MySQL/MariaDB): multi-row
 * inserts in one transaction, all or none, and the name of the first id that
 * conflicts when they fail.
 */
import type { Kysely } from 'kysely';
import { ConflictingIdError } from '../errors.ts';
import { firstRepeat, insertBatches, rowsStatement } from './batches.ts';
import type { JobsDatabase, SizedStatements } from './queries.ts';
import type { InsertRow } from './rows.ts';
import type { SqlBackend } from './sql-backend.ts';
import type { RunStatement } from './statement-runner.ts';

/** Conflict lookups pass this many ids per statement at most. */
const LOOKUP_IDS = 500;

/**
 * Runs `work` with `backend`: in one transaction when it runs several
 * statements (`statements` > 1), else as one statement, which is atomic by itself.
 */
export function inOneTransaction<T>(
  backend: Pick<SqlBackend, 'run' | 'transaction'>,
  statements: number,
  work: (run: RunStatement) => Promise<T>,
): Promise<T> {
  if (statements <= 1) return work(backend.run);
  return backend.transaction(work);
}

/** The ids among `ids` that are in `table`. */
async function existingIds(
  backend: Pick<SqlBackend, 'runOnce'>,
  db: Kysely<JobsDatabase>,
  table: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const existing = new Set<string>();
  for (let i = 0; i < ids.length; i += LOOKUP_IDS) {
    const { rows } = await backend.runOnce<{ id: string }>(
      db
        .selectFrom(table)
        .select('id')
        .where('id', 'in', ids.slice(i, i + LOOKUP_IDS))
        .compile(),
    );
    for (const row of rows) existing.add(row.id);
  }
  return existing;
}

/**
 * {@link SqlBackend.insertRows} with multi-row inserts of at most `maxRows`
 * rows (and about `maxChars` characters of job state). A repeated id is found before the database is touched; an id in the
 * table makes an insert fail, and is then looked up to be named.
 */
export async function insertAllOrNone(
  backend: Pick<SqlBackend, 'run' | 'runOnce' | 'transaction' | 'isUniqueViolation'>,
  db: Kysely<JobsDatabase>,
  table: string,
  insert: SizedStatements,
  rows: readonly InsertRow[],
  maxRows: number,
  maxChars?: number,
): Promise<void> {
  const repeat = firstRepeat(rows);
  // The rows before the first repeated id; one of them in the table is an
  // earlier conflict than the repeat.
  const distinct = rows.slice(0, repeat);
  const firstExisting = async (): Promise<InsertRow | undefined> => {
    const existing = await existingIds(
      backend,
      db,
      table,
      distinct.map((row) => row.id),
    );
    return distinct.find((row) => existing.has(row.id));
  };
  if (repeat < rows.length) {
    // Nothing is written: name the first id of the table before the repeat, else the repeat.
    throw new ConflictingIdError(((await firstExisting()) ?? rows[repeat]!).id);
  }
  const statements = [...insertBatches(distinct, maxRows, maxChars)].map((batch) =>
    rowsStatement(insert, batch),
  );
  try {
    await inOneTransaction(backend, statements.length, async (run) => {
      for (const statement of statements) await run(statement);
    });
  } catch (error) {
    if (!backend.isUniqueViolation(error)) throw error;
    // Another process may have removed it since; the first id of the batch stands in then.
    throw new ConflictingIdError(((await firstExisting()) ?? distinct[0]!).id);
  }
}
