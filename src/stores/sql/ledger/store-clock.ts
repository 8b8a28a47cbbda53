/** The cluster ledger's clock on a SQL database. */
import type { RunStatement } from '../statement-runner.ts';
import { numberOrNull } from './ledger-rows.ts';
import type { LedgerStatements } from './ledger-statements.ts';

/** The store's clock: `given` (tests), the database's, or (SQLite, one host) this host's. */
export async function storeNow(
  run: RunStatement,
  statements: Pick<LedgerStatements, 'clock'>,
  given: number | undefined,
): Promise<number> {
  if (given !== undefined) return given;
  if (statements.clock === null) return Date.now();
  const { rows } = await run<{ now: unknown }>(statements.clock.bind([]));
  const now = numberOrNull(rows[0]?.now);
  if (now === null) throw new Error(`the database's clock read ${String(rows[0]?.now)}`);
  return now;
}
