/**
 * Store operations as `horarium:store` and `horarium:claim` trace them. The
 * managed store routes its operations here; the cluster pass calls the two
 * ledger wrappers in place of the ledger's own `claimDueJobs` and
 * `commitClaims`. Without a subscriber each is the plain call.
 */
import type {
  Claim,
  ClaimOptions,
  ClusterLedger,
  CommitOptions,
  CommitResult,
  JobCommit,
} from '../../stores/ledger.ts';
import {
  type ClaimContext,
  claimChannel,
  type PublishingScheduler,
  type StoreOperationContext,
  storeChannel,
} from '../../tracing/channels.ts';

/** A store as the contexts name it. */
export interface TracedStore {
  readonly alias: string;
  readonly scheduler: PublishingScheduler | null;
}

/** Runs one operation of `store`, traced on `horarium:store` while someone subscribes. */
export function traceStoreCall<T>(
  store: TracedStore,
  operation: string,
  call: () => Promise<T>,
  jobId: string | null = null,
  count = 1,
): Promise<T> {
  if (!storeChannel.hasSubscribers) return call();
  const context: StoreOperationContext = {
    scheduler: store.scheduler,
    jobstore: store.alias,
    operation,
    jobId,
    count,
  };
  return storeChannel.tracePromise(call, context);
}

/** `ledger.claimDueJobs`, traced on `horarium:claim`. */
export function claimTraced(
  store: TracedStore,
  ledger: ClusterLedger,
  options: ClaimOptions,
): Promise<Claim> {
  if (!claimChannel.hasSubscribers) return ledger.claimDueJobs(options);
  const context: ClaimContext = {
    scheduler: store.scheduler,
    jobstore: store.alias,
    operation: 'claim',
    limit: options.limit,
  };
  return claimChannel.tracePromise(async () => {
    const claim = await ledger.claimDueJobs(options);
    context.jobs = claim.jobs.length;
    return claim;
  }, context);
}

/** `ledger.commitClaims`, traced on `horarium:claim`. */
export function commitTraced(
  store: TracedStore,
  ledger: ClusterLedger,
  owner: string,
  commits: readonly JobCommit[],
  options: CommitOptions,
): Promise<CommitResult> {
  if (!claimChannel.hasSubscribers) return ledger.commitClaims(owner, commits, options);
  const context: ClaimContext = {
    scheduler: store.scheduler,
    jobstore: store.alias,
    operation: 'commit',
    limit: commits.length,
  };
  return claimChannel.tracePromise(async () => {
    const result = await ledger.commitClaims(owner, commits, options);
    context.jobs = commits.length;
    context.lostJobs = result.lost.length;
    context.wonFires = result.won.length;
    return result;
  }, context);
}
