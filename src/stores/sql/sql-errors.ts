/** The errors particular to the SQL job store. */
import { HorariumError } from '../../errors.ts';
import { StoreSetupError } from '../errors.ts';

/**
 * Thrown when the SQL store cannot open its database: bad URL, missing
 * driver, unsupported Kysely dialect, unusable schema. A subclass of
 * {@link StoreSetupError}, which every store throws for the same kind of
 * failure; the class stays so that code catching it keeps working.
 */
export class SqlStoreSetupError extends StoreSetupError {
  override name = 'SqlStoreSetupError';
}

/**
 * A SQLite database stayed locked by another connection (usually another
 * process) for longer than the store's `busyTimeout`; the operation was not
 * done. The store keeps working once the lock is released.
 */
export class SqliteLockTimeoutError extends HorariumError {
  override name = 'SqliteLockTimeoutError';
  /** The database file. */
  readonly path: string;
  /** How long the operation waited, in milliseconds. */
  readonly waitedMs: number;

  constructor(path: string, waitedMs: number, options?: ErrorOptions) {
    super(
      `SQLite database ${JSON.stringify(path)} is locked: another process (or connection) has held its write lock for ${(waitedMs / 1000).toFixed(1)} s, longer than the store's busyTimeout, so the operation was not done. Retry later, raise busyTimeout, or end the long transaction that holds the lock`,
      options,
    );
    this.path = path;
    this.waitedMs = waitedMs;
  }
}
