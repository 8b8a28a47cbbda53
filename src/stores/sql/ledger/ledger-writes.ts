/**
 * How each database writes the ledger's batches — a commit's jobs and fires,
 * and the fires' updates — in as few statements as it allows: PostgreSQL one
 * statement per batch with each column as an array (`postgres-writes.ts`),
 * MySQL/MariaDB a lock of the batch's rows and multi-row statements
 * (`mysql-writes.ts`), SQLite prepared statements on its one connection
 * (`sqlite-writes.ts`). `sql-ledger.ts` decides what is written; these decide
 * how, and must give the answer that the same writes made one row at a time
 * would give.
 */
import type { InsertRow } from '../rows.ts';
import type { SqlBackend } from '../sql-backend.ts';
import type { RunStatement } from '../statement-runner.ts';
import type { TableNames } from '../table-names.ts';
import type { MergedFireUpdate } from './fire-updates.ts';
import type { LedgerDialect } from './ledger-dialect.ts';
import type { LedgerStatements } from './ledger-statements.ts';

/** A claimed job as a commit leaves it. */
export interface JobWrite {
  readonly jobId: string;
  /** The fence it was claimed with. */
  readonly fence: number;
  /** Its new row, or null to remove it. */
  readonly row: InsertRow | null;
}

export interface JobsWritten {
  /** The store's clock during the writes (or the `now` given); null when no job was written. */
  readonly now: number | null;
  /**
   * The jobs written or removed (their fence and claim owner matched), each
   * with the state a removed job had when it mentions `recover` (see
   * `RECOVER_PATTERN`), else null.
   */
  readonly written: ReadonlyMap<string, unknown>;
}

/** The values of a new fire's row, in FIRE_COLUMNS order. */
export type FireValues = readonly unknown[];

export interface LedgerWrites {
  /**
   * In the caller's transaction: writes, or removes, each job whose fence and
   * claim owner still match, releasing its claim. The job ids are distinct.
   */
  writeJobs(
    run: RunStatement,
    owner: string,
    jobs: readonly JobWrite[],
    now: number | undefined,
  ): Promise<JobsWritten>;
  /**
   * In the caller's transaction: inserts the fires whose (job, scheduled time)
   * is free, the first of the batch winning a slot it names twice; returns
   * the ids of the fires inserted.
   */
  insertFires(run: RunStatement, fires: readonly FireValues[]): Promise<Set<string>>;
  /**
   * Applies each write to its fire where `owner` holds the fire in a live
   * state, all or none; returns the ids of the fires changed. One write per fire.
   */
  updateFires(owner: string, writes: readonly MergedFireUpdate[]): Promise<Set<string>>;
}

/** What the writes of one store run on. */
export interface WriteContext {
  readonly backend: SqlBackend;
  readonly names: TableNames;
  readonly dialect: LedgerDialect;
  readonly statements: LedgerStatements;
  /** Runs `attempt` (a statement, or a whole transaction) again when the database turns it away for a passing reason (a deadlock). */
  retry<T>(attempt: () => Promise<T>): Promise<T>;
  /** A transaction, run again from the start when the database turns it away for a passing reason. */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T>;
}

/**
 * A removed job's state travels back only when it contains this (SQL `like`):
 * any state that asks for recovery does (`wantsRecovery` in `ledger-rows.ts`).
 */
export const RECOVER_PATTERN = '%"recover"%';

/** The characters of text a fire adds to a statement: its ids, and its detail and kept job state. */
export function fireChars(fire: FireValues): number {
  let chars = 0;
  for (const value of fire) if (typeof value === 'string') chars += value.length;
  return chars;
}

/** The characters of text a fire update adds to a statement. */
export function updateChars(write: MergedFireUpdate): number {
  return write.fireId.length + (write.errorName?.length ?? 0) + (write.errorMessage?.length ?? 0);
}
