/**
 * Renewing a node's run leases: the one ledger operation that the lease
 * worker (`lease-renewer.ts`) runs on a connection of its own, shared here
 * with the store's ledger.
 */
import type { SqlBackend } from '../sql-backend.ts';
import type { LedgerDialect } from './ledger-dialect.ts';
import type { LedgerStatements } from './ledger-statements.ts';
import { storeNow } from './store-clock.ts';

export interface RenewContext {
  readonly backend: Pick<SqlBackend, 'run' | 'transaction'>;
  readonly statements: Pick<LedgerStatements, 'clock' | 'renew' | 'renewReturning' | 'renewed'>;
  readonly dialect: LedgerDialect;
}

/**
 * Renews the run leases of `owner`'s live fires whose lease has not expired
 * (at `lease_until` it still holds); returns their ids.
 */
export async function renewLeases(
  context: RenewContext,
  owner: string,
  leaseMs: number,
  given?: number,
): Promise<string[]> {
  const { backend, statements, dialect } = context;
  if (dialect.updateReturning) {
    const now = await storeNow(backend.run, statements, given);
    const { rows } = await backend.run<{ fire_id: unknown }>(
      statements.renewReturning.bind([now + leaseMs, owner, now]),
    );
    return rows.map((row) => String(row.fire_id));
  }
  // No `update … returning`: the fires renewed are those of the owner holding the new lease.
  return backend.transaction(async (run) => {
    const now = await storeNow(run, statements, given);
    const until = now + leaseMs;
    await run(statements.renew.bind([until, owner, now]));
    const { rows } = await run<{ fire_id: unknown }>(statements.renewed.bind([owner, until]));
    return rows.map((row) => String(row.fire_id));
  });
}
