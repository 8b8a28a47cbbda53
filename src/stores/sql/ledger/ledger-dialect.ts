/**
 * What the cluster ledger does differently on each database: where its
 * clock comes from, how a select locks the rows it reads, how a fire's insert
 * loses to an existing (job, scheduled time), and which failures of a
 * transaction are worth running it again.
 */
import type { SqlDialectName } from '../dialects.ts';

export interface LedgerDialect {
  readonly name: SqlDialectName;
  /**
   * The store's clock as a SQL expression of epoch milliseconds, or null for
   * the local clock: SQLite is shared by processes of one host only, which
   * read one clock.
   */
  readonly clock: string | null;
  /**
   * Appended to a select that takes rows for itself: the rows it reads stay
   * locked until the transaction ends, and rows another transaction holds are
   * passed over. Empty on SQLite, whose write transaction holds the whole database.
   */
  readonly skipLocked: string;
  /** Appended to a select that must see a row as no other transaction can change it meanwhile. */
  readonly forUpdate: string;
  /**
   * Does an insert end with `on conflict (…) do nothing`? MySQL has no such
   * clause (INSERT IGNORE would hide every other error too): there a
   * duplicate (job, scheduled time) fails the statement alone, and the
   * ledger tells it from other errors by the key it names.
   */
  readonly onConflictDoNothing: boolean;
  /** Does `update … returning` exist? */
  readonly updateReturning: boolean;
  /** Did this error come from the unique key `index` (MySQL's duplicate fire)? */
  isDuplicateKey(error: unknown, index: string): boolean;
  /** Did the database turn the transaction away for a passing reason (a deadlock), so that it may run again from the start? */
  isTransient(error: unknown): boolean;
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

export const LEDGER_DIALECTS: Readonly<Record<SqlDialectName, LedgerDialect>> = {
  postgres: {
    name: 'postgres',
    clock: 'cast(floor(extract(epoch from clock_timestamp()) * 1000) as bigint)',
    skipLocked: 'for update skip locked',
    forUpdate: 'for update',
    onConflictDoNothing: true,
    updateReturning: true,
    isDuplicateKey: () => false,
    // serialization_failure, deadlock_detected
    isTransient: (error) => codeOf(error) === '40001' || codeOf(error) === '40P01',
  },
  mysql: {
    name: 'mysql',
    // UTC_TIMESTAMP is the server's clock in UTC: no session time zone (and its DST gaps) in between.
    clock:
      "cast(timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)) div 1000 as signed)",
    skipLocked: 'for update skip locked',
    forUpdate: 'for update',
    onConflictDoNothing: false,
    updateReturning: false,
    isDuplicateKey(error, index) {
      if ((error as { errno?: unknown } | null)?.errno !== 1062) return false; // ER_DUP_ENTRY
      const message = String((error as { message?: unknown }).message ?? '');
      // MySQL 8 names the key `table.key`, MariaDB `key`.
      return message.endsWith(`'${index}'`) || message.endsWith(`.${index}'`);
    },
    // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
    isTransient: (error) => {
      const errno = (error as { errno?: unknown } | null)?.errno;
      return errno === 1213 || errno === 1205;
    },
  },
  sqlite: {
    name: 'sqlite',
    clock: null,
    skipLocked: '',
    forUpdate: '',
    onConflictDoNothing: true,
    updateReturning: true,
    isDuplicateKey: () => false,
    // The store's SQLite runner waits for other connections' locks itself.
    isTransient: () => false,
  },
};
