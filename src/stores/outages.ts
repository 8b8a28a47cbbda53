/**
 * The store outage log: each scheduler sharing a store writes there, once the
 * store answers again, a summary of the span during which its operations on
 * the store failed (from the first failure to the first success after it, the
 * number of failures, the last operation and error). `explain` reads it to
 * answer "the store could not be reached then" for a fire time that left no
 * record, for any node, after any restart.
 *
 * A node whose store fails again soon after an outage it recorded extends that
 * record (same id) instead of adding one, so a flapping store leaves one row
 * per episode, not one per retry. Records older than {@link OUTAGE_KEEP_MS}
 * are removed as new ones are written.
 *
 * Rows read back are untrusted: a row that does not read as an outage is
 * skipped, never passed on.
 */

/** One node's failed operations on the store, from the first failure to the first success after it. */
export interface StoreOutage {
  /** Unique per outage record; a later write with the same id extends the record. */
  readonly id: string;
  /** The node that could not reach the store. */
  readonly node: string;
  /** The first failure (epoch ms, the store's clock as the node corrects it by its skew). */
  readonly from: number;
  /** The first success after the last failure (epoch ms, likewise). */
  readonly to: number;
  /** The last operation that failed (`claimDueJobs`, `commitClaims`, ...). */
  readonly operation: string;
  /** How many operations failed. */
  readonly failures: number;
  /** The last error's name and message, trimmed. */
  readonly message: string;
}

/** Which outages to read: those overlapping `from`..`to`, the latest first. */
export interface OutageQuery {
  readonly from: number;
  readonly to: number;
  readonly limit: number;
}

export interface OutageLog {
  /** Writes an outage, or extends the record with the same id. */
  recordOutage(outage: StoreOutage): Promise<void>;
  /** Outages overlapping the query's span, latest start first. */
  getOutages(query: OutageQuery): Promise<StoreOutage[]>;
}

/** How long outage records are kept (ms): as long as the ledger keeps the fires they explain by default. */
export const OUTAGE_KEEP_MS: number = 30 * 86_400_000;

/** The longest message kept, in characters. */
export const MAX_OUTAGE_MESSAGE = 500;

/** The longest operation name and node id kept, in characters. */
const MAX_NAME = 191;

/** The outage as a store writes it: lengths bounded, times whole. */
export function storableOutage(outage: StoreOutage): StoreOutage {
  return {
    id: outage.id.slice(0, 64),
    node: outage.node.slice(0, MAX_NAME),
    from: Math.round(outage.from),
    to: Math.round(Math.max(outage.from, outage.to)),
    operation: outage.operation.slice(0, 64),
    failures: Math.max(1, Math.round(outage.failures)),
    message: outage.message.slice(0, MAX_OUTAGE_MESSAGE),
  };
}

/** An outage read back from a store, or undefined when the row does not read as one. */
export function readOutage(row: Readonly<Record<string, unknown>>): StoreOutage | undefined {
  const { id, node, operation, message } = row;
  const from = Number(row.from);
  const to = Number(row.to);
  const failures = Number(row.failures);
  if (typeof id !== 'string' || typeof node !== 'string' || typeof operation !== 'string')
    return undefined;
  if (typeof message !== 'string') return undefined;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return undefined;
  if (!Number.isInteger(failures) || failures < 1) return undefined;
  return { id, node, from, to, operation, failures, message };
}

/** Outages overlapping the query, latest start first, at most its limit (for stores that filter in JS). */
export function overlapping(outages: Iterable<StoreOutage>, query: OutageQuery): StoreOutage[] {
  const found: StoreOutage[] = [];
  for (const outage of outages)
    if (outage.from <= query.to && outage.to >= query.from) found.push(outage);
  found.sort((a, b) => b.from - a.from || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return found.slice(0, Math.max(0, Math.floor(query.limit)));
}
