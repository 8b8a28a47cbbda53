/**
 * The SQL job store's lease worker connection (`LeaseConnection` in
 * `../../ledger.ts`): the scheduler imports this module in a worker thread
 * and calls {@link openLeaseRenewer}, which opens a database connection of
 * its own (one connection: a SQLite file, or a pool of one) and renews the
 * node's run leases through it, so that a job blocking the main thread's
 * event loop does not cost its lease.
 */
import type { Kysely } from 'kysely';
import type { LeaseRenewer } from '../../ledger.ts';
import {
  loadDialect,
  parseSqlUrl,
  type SqlDurability,
  type SqliteDriverName,
} from '../dialects.ts';
import { tableNames } from '../table-names.ts';
import { LEDGER_DIALECTS } from './ledger-dialect.ts';
import { compileLedgerStatements } from './ledger-statements.ts';
import { renewLeases } from './renew.ts';

/** The URL of this module, which a `LeaseConnection` names. */
export const LEASE_RENEWER_MODULE: string = import.meta.url;

/** What the worker is given (structured-cloneable): how to open the store's database. */
export interface LeaseRenewerOptions {
  readonly url: string;
  readonly tableName: string;
  readonly durability: SqlDurability;
  readonly sqliteDriver: SqliteDriverName;
  /** ms */
  readonly busyTimeout: number;
  /** ms */
  readonly connectTimeout: number;
}

/**
 * Opens a connection of its own to the store's database and returns what
 * renews a node's leases through it. The table is not migrated here: the
 * store did that when it started.
 */
export async function openLeaseRenewer(options: LeaseRenewerOptions): Promise<LeaseRenewer> {
  const target = parseSqlUrl(options.url);
  const dialect = await loadDialect(target.dialect);
  const session = await dialect.open(target, {
    durability: options.durability,
    busyTimeout: options.busyTimeout,
    sqliteDriver: options.sqliteDriver,
    poolSize: 1,
    connectTimeout: options.connectTimeout,
    // Errors of an idle connection surface at the next renewal.
    onPoolError: () => {},
    onSessionSetupError: () => {},
  });
  const ledgerDialect = LEDGER_DIALECTS[target.dialect];
  const statements = compileLedgerStatements(
    session.db as unknown as Kysely<unknown>,
    tableNames(options.tableName),
    ledgerDialect,
  );
  const context = { backend: session.runner, statements, dialect: ledgerDialect };
  return {
    renewFireLeases: (owner, leaseMs) => renewLeases(context, owner, leaseMs),
    close: () => session.db.destroy(),
  };
}
