/**
 * The cluster ledger: what a persistent job store adds so that any number of
 * schedulers can share it and every fire time of every job runs at most once
 * and is never silently lost.
 *
 * A **fire** is one slot of one job, `(jobId, scheduledTime)`. The store keeps
 * a ledger of fires with a unique key on that pair: a node runs a fire only if
 * its own insert of the fire's row won. Due jobs are **claimed** with a lease
 * and a per-job **fencing token** (incremented on every claim) in one atomic
 * step; the node plans the runs, then **commits** in one transaction — the
 * job's next run time advances only where the fence still matches, and the
 * fire rows are inserted. A node whose claim was taken over (a stale fence)
 * writes nothing and runs nothing; runs are submitted only after the commit.
 *
 * Time: every comparison with "now" (due jobs, leases, reaping) uses the
 * store's own clock, so nodes whose clocks disagree still agree on what is due.
 * Every method that reads the clock takes an optional `now` (epoch ms) used
 * instead: the contract tests inject time this way.
 *
 * Leases: a claim lease reserves a claimed job for its claimer's commit and
 * is free again *after* `lease_until` (at `lease_until` it is still held); a
 * run lease reserves a fire in `claimed` or `running` for the node running it
 * and is renewed while that node lives. The reaper of any node records the
 * fires of dead nodes (expired run leases) as `abandoned`, or takes them over
 * to run them again for jobs with `recover: true`.
 */
import type { Job } from '../jobs/job.ts';
import type { FireHistory } from '../jobs/job-fields.ts';
import type { WakeChannel } from './wake.ts';

/** The states a fire passes through, and those decided when its run is planned. */
export type FireState =
  | 'claimed'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'abandoned'
  | 'missed'
  | 'coalesced'
  | 'skipped_max_instances'
  | 'excluded'
  | 'retried'
  | 'queued';

/**
 * A fire state a node sets on a fire it holds: `running` when its run starts,
 * then how it ended. `missed` and `skipped_max_instances` end a fire that
 * never started: its run time was past the job's misfire grace time when its
 * turn came, or the executor refused the batch. `retried`: the run failed and
 * the fire waits for its next attempt (job option `retry`) until `retryAt`,
 * when any node may take it (`reapExpiredFires`).
 */
export type FireOutcome =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'missed'
  | 'skipped_max_instances'
  | 'retried';

/** Every fire state, for checking what a store read back. */
export const FIRE_STATES: ReadonlySet<string> = new Set<FireState>([
  'claimed',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'abandoned',
  'missed',
  'coalesced',
  'skipped_max_instances',
  'excluded',
  'retried',
  'queued',
]);

/** Is `value` one of the fire states? */
export function isFireState(value: unknown): value is FireState {
  return typeof value === 'string' && FIRE_STATES.has(value);
}

/** The states of a fire whose run lease is live: it holds its node. */
export const LIVE_FIRE_STATES: readonly FireState[] = ['claimed', 'running'];

/** A due job the claim reserved for its claimer. */
export interface ClaimedJob {
  readonly job: Job;
  /** The job's fencing token after this claim. */
  readonly fence: number;
  /**
   * Batches of this job running on any node now (distinct batch ids of its
   * fires in `claimed` or `running` whose run lease is live): what
   * `maxInstances` counts.
   */
  readonly liveBatches: number;
}

export interface Claim {
  /** The store's clock when it claimed (epoch ms): the `now` the claimer plans with. */
  readonly now: number;
  readonly jobs: readonly ClaimedJob[];
}

export interface ClaimOptions {
  /** The node claiming. */
  readonly owner: string;
  /** Claim at most this many jobs. */
  readonly limit: number;
  /** The claim lease, ms. */
  readonly leaseMs: number;
  /** The time to claim at instead of the store's clock (tests). */
  readonly now?: number;
}

/** A fire a commit inserts. */
export interface NewFire {
  readonly fireId: string;
  readonly scheduledTime: number;
  /**
   * `claimed`: a run the committer will start (node = committer, fence = the
   * commit's, run lease = now + runLeaseMs); the others are decided now and
   * final (`finished_at` = now). `queued`: a run refused for `maxInstances`
   * of a job with `overlap: 'queue'`, waiting (due now, like a retry) until
   * an instance of the job ends; any node may take it then.
   */
  readonly state:
    | 'claimed'
    | 'missed'
    | 'coalesced'
    | 'skipped_max_instances'
    | 'excluded'
    | 'queued';
  /** The fires submitted as one batch share it (a batch is one instance for `maxInstances`). */
  readonly batchId: string | null;
  /** Why, for the states decided when planned (e.g. how many times a coalesced row stands for). */
  readonly detail?: string | null;
}

/** What a commit writes for one claimed job. */
export interface JobCommit {
  readonly jobId: string;
  /** The fence the job was claimed with. */
  readonly fence: number;
  /** The job after this pass (its next run time advanced); null removes it. */
  readonly job: Job | null;
  readonly fires: readonly NewFire[];
  /**
   * The job's `history` option, kept with each fire so that a purge knows it
   * without reading the job (which may be gone): `'failures'` and `'off'`
   * fires go at the next purge once they end (see {@link PurgeOptions}).
   * Omitted: `'all'`.
   */
  readonly history?: FireHistory;
  /**
   * The job as claimed, when this commit removes a job whose failed runs are
   * retried (a finished date job) or whose fire it queues: its run and
   * queued fires keep it, so that they run once the job is gone.
   */
  readonly retryJob?: Job;
  /**
   * The job already runs `maxInstances` times (its `overlap` option):
   * `'queue'` — a fire of it queued before this commit's is recorded
   * `skipped_max_instances` (one waits at a time); `'replace'` — its oldest
   * live batch is recorded `cancelled`, so that the node running it finds its
   * lease gone at its next renewal and aborts it.
   */
  readonly overlap?: 'queue' | 'replace';
}

export interface CommitOptions {
  /** The run lease of the `claimed` fires, ms. */
  readonly runLeaseMs: number;
  readonly now?: number;
}

export interface CommitResult {
  /** Jobs whose fence no longer matched: nothing of them was written. */
  readonly lost: readonly string[];
  /** The fire ids this commit inserted (a fire another commit inserted first is not among them). */
  readonly won: readonly string[];
  /** The live fires this commit cancelled for `overlap: 'replace'` (a store without overlap leaves it out). */
  readonly replaced?: readonly string[];
}

/** A state change of a fire the node holds. */
export interface FireUpdate {
  readonly fireId: string;
  readonly state: FireOutcome;
  /** When it happened (epoch ms, the node's clock corrected by its skew). */
  readonly at: number;
  /** For `failed`, `timed_out` and `retried`: the error, trimmed. */
  readonly error?: { readonly name: string; readonly message: string };
  /** For `retried`: when the next attempt is due (store clock, epoch ms); kept as the fire's `leaseUntil`. */
  readonly retryAt?: number;
}

/** A fire as the ledger holds it. */
export interface FireRecord {
  readonly fireId: string;
  readonly jobId: string;
  readonly scheduledTime: number;
  readonly state: FireState;
  readonly node: string | null;
  readonly fence: number;
  readonly batchId: string | null;
  readonly leaseUntil: number | null;
  readonly claimedAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly recovering: boolean;
  readonly attempt: number;
  readonly errorName: string | null;
  readonly errorMessage: string | null;
  readonly detail: string | null;
}

/** A fire the reaper took over to run again (`recover: true`). */
export interface RecoveredFire {
  /** The fire as taken over: its node is now the reaper. */
  readonly fire: FireRecord;
  readonly job: Job;
  /** The node that held the fire and stopped renewing its lease (what events and logs name). */
  readonly previousNode?: string | null;
}

export interface ReapOptions {
  /** Reap at most this many fires. */
  readonly limit: number;
  /** The run lease of a fire taken over to be run again, ms. */
  readonly runLeaseMs: number;
  readonly now?: number;
}

export interface ReapResult {
  /** Fires of dead nodes now recorded `abandoned` (each reported once, by the node that reaped it). */
  readonly abandoned: readonly FireRecord[];
  /** Fires of jobs with `recover: true` that the reaper took over (fence + 1, node = reaper): run them again. */
  readonly recovered: readonly RecoveredFire[];
  /**
   * Retries now due that the reaper took (`retried` → `claimed`, attempt + 1,
   * fence + 1, node = reaper), and queued fires whose turn came (`queued` →
   * `claimed`, same attempt): run them. A store without retries leaves it out.
   */
  readonly retries?: readonly RecoveredFire[];
  /**
   * When to look again for retries (store clock, epoch ms): no retry waiting
   * now is due before it (the next one is due then, or later); null when none waits.
   */
  readonly nextRetryAt?: number | null;
}

/** A scheduler process sharing the store, as its check-ins describe it. */
export interface NodeRecord {
  readonly nodeId: string;
  readonly hostname: string;
  readonly pid: number;
  readonly version: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** The store's clock at the node's last check-in. */
  readonly lastSeen: number;
  /** The node's clock minus the store's, as the node last measured it. */
  readonly clockSkewMs: number;
}

/** A place in the order of fires (newest first: by scheduled time, then fire id, both descending). */
export interface FirePosition {
  readonly scheduledTime: number;
  readonly fireId: string;
}

/** Which fires to read: newest first (by scheduled time, then fire id, both descending). */
export interface FireQuery {
  readonly jobId?: string;
  readonly states?: readonly FireState[];
  /** Only fires scheduled at or after this time (epoch ms). */
  readonly from?: number;
  /** Only fires scheduled at or before this time (epoch ms). */
  readonly to?: number;
  /** Only fires after this place in the order: the last fire of the previous page (keyset paging). */
  readonly after?: FirePosition;
  readonly limit: number;
}

/**
 * One batch of a retention purge. A fire in a live state (`claimed`,
 * `running`) is never removed. A final fire is removed when
 *
 * - its job's `history` was `'off'` when it was committed, or `'failures'`
 *   and it succeeded (whatever its age and rank); or
 * - it is not among the newest `keepPerJob` fires of its job (by scheduled
 *   time, live fires counted) and it ended — its finish time, or its
 *   scheduled time when that is later — before `succeededBefore` (a
 *   succeeded fire) or `otherBefore` (any other final state).
 *
 * A pass over the ledger is a series of calls, each given the `next` of the
 * one before (the first none), until `next` is null: each call looks at a
 * bounded number of fires, so that no call holds the store for long. Purges
 * are idempotent: two nodes purging at once remove nothing they should not.
 */
export interface PurgeOptions {
  /** Succeeded fires that ended before this time (epoch ms) may go. */
  readonly succeededBefore: number;
  /** Other final fires that ended before this time (epoch ms) may go. */
  readonly otherBefore: number;
  /** The newest this many fires of each job stay, whatever their age (0: none is kept for its rank). */
  readonly keepPerJob: number;
  /** Look at (and so remove) at most this many fires in this call. */
  readonly limit: number;
  /** Where the pass goes on: the `next` of the previous call, oldest first; omitted at a pass's start. */
  readonly after?: FirePosition;
}

export interface PurgeResult {
  /** The fires this call removed. */
  readonly removed: number;
  /** Where the pass goes on; null when it is done. */
  readonly next: FirePosition | null;
}

/** The place a purge pass starts from: before every fire. */
export const PURGE_START: FirePosition = { scheduledTime: Number.MIN_SAFE_INTEGER, fireId: '' };

/**
 * How a worker thread opens a connection of its own to the store to renew a
 * node's run leases, so that a job blocking the main thread's event loop does
 * not cost its lease. The scheduler imports `module` in the worker and calls
 * its export `export` with `options` (structured-cloneable): it resolves to a
 * {@link LeaseRenewer}. The module is the store's own code; nothing read from
 * the store chooses it.
 */
export interface LeaseConnection {
  /** The URL of the module to import in the worker (`import.meta.url` of a store module). */
  readonly module: string;
  readonly export: string;
  readonly options: unknown;
}

/** What a {@link LeaseConnection} opens in the worker. */
export interface LeaseRenewer {
  /** As {@link ClusterLedger.renewFireLeases}. */
  renewFireLeases(owner: string, leaseMs: number): Promise<string[]>;
  close(): Promise<void>;
}

/** The ledger methods of a persistent store (see the module comment). */
export interface ClusterLedger {
  /** The store's clock, epoch ms. */
  now(): Promise<number>;
  /**
   * Claims due jobs in one atomic step: jobs whose next run time is ≤ now, not
   * paused, whose claim lease is free (none, or `lease_until < now`), by next
   * run time then id, at most `limit`; each gets `lease_owner = owner`,
   * `lease_until = now + leaseMs` and its fence + 1. A stored job that cannot
   * be restored is reported and skipped.
   */
  claimDueJobs(options: ClaimOptions): Promise<Claim>;
  /**
   * Commits claims in one transaction: for each job whose fence still matches,
   * its new state (or its removal), its claim released, its fires inserted
   * unless a fire with the same (job id, scheduled time) exists. A commit with a
   * stale fence writes nothing.
   */
  commitClaims(
    owner: string,
    commits: readonly JobCommit[],
    options: CommitOptions,
  ): Promise<CommitResult>;
  /**
   * Sets the state of fires `owner` holds (only fires whose node is `owner` and
   * whose state is live); returns the fire ids it could not change.
   */
  updateFires(owner: string, updates: readonly FireUpdate[]): Promise<string[]>;
  /** Renews the run leases of `owner`'s live fires whose lease has not expired; returns their ids. */
  renewFireLeases(owner: string, leaseMs: number, now?: number): Promise<string[]>;
  /**
   * Records fires with expired run leases `abandoned`, or takes over those of
   * `recover: true` jobs; takes the `retried` fires whose retry is due (their
   * `leaseUntil` passed) while their job runs fewer than `maxInstances` times.
   */
  reapExpiredFires(owner: string, options: ReapOptions): Promise<ReapResult>;
  /**
   * True when commits keep `queued` fires and make room for `overlap`
   * (`JobCommit.overlap`); a store without it treats every overlap as 'skip'.
   */
  readonly overlap?: boolean;
  /** Releases the claims `owner` holds (graceful shutdown: peers may claim those jobs at once). */
  releaseClaims(owner: string): Promise<void>;
  /** Records a node's check-in (insert or update). */
  checkIn(node: Omit<NodeRecord, 'lastSeen'>, now?: number): Promise<void>;
  /** The nodes that checked in, most recent first. */
  getNodes(): Promise<NodeRecord[]>;
  /** Fires, newest first. */
  getFires(query: FireQuery): Promise<FireRecord[]>;
  /**
   * The oldest fire the ledger still keeps for the job (older ones were
   * purged), or undefined when it keeps none: what `explain` tells a purged
   * record from one never written with.
   */
  oldestFire?(jobId: string): Promise<FireRecord | undefined>;
  /** Removes one bounded batch of the fires retention lets go (see {@link PurgeOptions}). */
  purgeFires(options: PurgeOptions): Promise<PurgeResult>;
  /**
   * How a worker thread connects to renew leases; undefined when it cannot
   * (the store was given a client instead of connection options): leases are
   * then renewed on the main thread.
   */
  leaseConnection?(): LeaseConnection | undefined;
  /**
   * Wake-ups through the store itself (PostgreSQL LISTEN/NOTIFY, Redis
   * pub/sub) on a connection of their own; undefined where the store has none
   * or was given a client instead of connection options (nodes then poll).
   * Each call makes a new channel; `onError` hears of a dropped or failed
   * connection (the channel goes on reconnecting).
   */
  wakeChannel?(onError: (message: string) => void): WakeChannel | undefined;
  /**
   * A name of this store that every node sharing it computes alike and that
   * holds no secret (server, database, table or key prefix): the topic of its
   * MQTT wake-ups.
   */
  identity?(): string;
}
