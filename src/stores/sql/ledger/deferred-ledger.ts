/**
 * The SQL store's `ledger` before its implementation is loaded: a ledger that
 * hands every call to the one its store loaded at `start()`, so that
 * importing Horarium loads no Kysely (the ledger's statements are built with
 * it) until a SQL store starts.
 */
import type { ClusterLedger } from '../../ledger.ts';

/** A ledger whose calls go to `current()`, which throws while the store is not started. */
export function deferredLedger(current: () => ClusterLedger): ClusterLedger {
  return {
    now: () => current().now(),
    claimDueJobs: (options) => current().claimDueJobs(options),
    commitClaims: (owner, commits, options) => current().commitClaims(owner, commits, options),
    updateFires: (owner, updates) => current().updateFires(owner, updates),
    renewFireLeases: (owner, leaseMs, now) => current().renewFireLeases(owner, leaseMs, now),
    reapExpiredFires: (owner, options) => current().reapExpiredFires(owner, options),
    releaseClaims: (owner) => current().releaseClaims(owner),
    checkIn: (node, now) => current().checkIn(node, now),
    getNodes: () => current().getNodes(),
    getFires: (query) => current().getFires(query),
    purgeFires: (options) => current().purgeFires(options),
    oldestFire: async (jobId) => current().oldestFire?.(jobId),
    leaseConnection: () => current().leaseConnection?.(),
    // The SQL ledger keeps queued and replaced fires (`overlap`).
    overlap: true,
  };
}
