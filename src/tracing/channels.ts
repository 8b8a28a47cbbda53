/**
 * Horarium's `node:diagnostics_channel` channels and the shape of what each
 * publishes: public API, so that APM tools, `horarium/otel`,
 * `horarium/prometheus` and your own code can observe a scheduler without
 * patching it. Nothing is published (and no context object is built) while a
 * channel has no subscriber: every publisher checks `hasSubscribers` first.
 *
 * | Channel | Kind | What it reports |
 * |---|---|---|
 * | `horarium:job` | TracingChannel | each run of a job, from its start to its outcome |
 * | `horarium:claim` | TracingChannel | each claim of due jobs and each commit of claims (shared stores) |
 * | `horarium:store` | TracingChannel | each store operation of the main loop and of the job API |
 * | `horarium:fire` | channel | what became of every planned fire |
 * | `horarium:lease` | channel | run leases renewed and lost, fires reaped from dead schedulers |
 *
 * A TracingChannel named `horarium:x` publishes on `tracing:horarium:x:start`,
 * `:end`, `:asyncStart`, `:asyncEnd` and `:error`, all with the same context
 * object, which gains `result` or `error` as the traced call ends.
 *
 * Channels are process-wide: every context names the scheduler that published
 * it (`scheduler`, the scheduler object itself), so that subscribers can tell
 * several schedulers of one process apart.
 *
 * This module is the lowest layer: it imports nothing of Horarium's.
 */
import {
  type Channel,
  channel,
  type TracingChannel,
  tracingChannel,
} from 'node:diagnostics_channel';

/**
 * The scheduler that published a context: the scheduler object itself
 * (compare it with `===`); `nodeId` is its `cluster.nodeId`, generated unless
 * configured. Null when an executor or a store runs outside a scheduler.
 */
export interface PublishingScheduler {
  readonly nodeId: string;
}

/** How a run ended. */
export type RunOutcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'lease_lost';

/**
 * What `horarium:job` publishes for one run of a job.
 *
 * Events, in order: `start` as the job's function is called (inside
 * `start.runStores`, so a store bound to the channel is the run's context);
 * `end` when the function returns or throws synchronously; `error` when the
 * run did not succeed; `asyncStart` and `asyncEnd` when its outcome is known,
 * for synchronous functions too. A run that times out, is cancelled or loses
 * its lease ends then, even when its function ignores its signal. A run time
 * that is missed (past `misfireGraceTime` when its turn comes) is no run: it
 * is reported on `horarium:fire`.
 */
export interface JobRunContext {
  readonly scheduler: PublishingScheduler | null;
  readonly jobId: string;
  readonly jobName: string;
  /** The job's textual function reference (`'module:export'` or a task name), null for a plain function. */
  readonly funcRef: string | null;
  readonly scheduledRunTime: Date;
  readonly executor: string;
  readonly jobstore: string | null;
  /** As `currentJob().fireId`: the id of the fire this run carries out. */
  readonly fireId: string;
  /** As `currentJob().fencingToken` (0 on the memory store). */
  readonly fencingToken: number;
  /** The run takes over the fire of a scheduler that died (`recover: true`). */
  readonly recovering: boolean;
  /** When the run started, epoch ms of this host's clock. */
  readonly startedAt: number;
  /** How late it started: its start minus its scheduled run time, by the store's clock (ms). */
  readonly lagMs: number;
  /** Set before `error` and `asyncStart`. */
  outcome?: RunOutcome;
  /** What the job returned (`succeeded`). */
  result?: unknown;
  /** Why the run did not succeed: the job's error, a `JobTimeoutError`, `JobCancelledError` or `LeaseLostError`. */
  error?: unknown;
}

/**
 * What `horarium:claim` publishes around a claim of due jobs (`operation`
 * `'claim'`) and around the commit of a claim (`'commit'`), on stores several
 * schedulers share. The database client's own spans (pg, mysql2, ioredis) run
 * inside it.
 */
export interface ClaimContext {
  readonly scheduler: PublishingScheduler | null;
  readonly jobstore: string;
  readonly operation: 'claim' | 'commit';
  /** `claim`: the most jobs it may claim. `commit`: the jobs it commits. */
  readonly limit: number;
  /** Set when it succeeded. `claim`: the jobs claimed. `commit`: the jobs committed. */
  jobs?: number;
  /** `commit`: jobs whose claim was taken over meanwhile (nothing of them was written). */
  lostJobs?: number;
  /** `commit`: ledger rows of fires it inserted (its runs, and the records of coalesced or skipped fires). */
  wonFires?: number;
  result?: unknown;
  error?: unknown;
}

/**
 * What `horarium:store` publishes around a job store operation: those of the
 * main loop (`getDueJobs`, `updateJobs`, `claimDueJobs`, `renewFireLeases`,
 * `checkIn`, …, each bounded by the store timeout on shared stores, whose
 * `StoreTimeoutError` is then its `error`) and those of the job API
 * (`addJob`, `lookupJob`, `getAllJobs`, …). Lookups that find nothing and
 * adds that conflict fail with `JobLookupError` and `ConflictingIdError`,
 * which the scheduler expects.
 */
export interface StoreOperationContext {
  readonly scheduler: PublishingScheduler | null;
  readonly jobstore: string;
  /** The method of the store (`getDueJobs`, `updateJobs`, …) or of its ledger (`claimDueJobs`, …). */
  readonly operation: string;
  /** The job it is about, when it is about one. */
  readonly jobId: string | null;
  /** How many jobs it writes, for batch writes (`updateJobs`, `removeJobs`); else 1. */
  readonly count: number;
  result?: unknown;
  error?: unknown;
}

/**
 * What became of a planned fire (one slot of one job):
 * - `submitted`: taken by its executor, before its run starts (a ledger's `claimed`; reported by
 *   executors built on `BaseExecutor`, as the built-in ones are);
 * - `missed`: a submitted fire whose turn came after `misfireGraceTime` (it was reported `submitted` first);
 * - `coalesced`: slots folded into one run (`count` of them; `coalesce: true`);
 * - `skipped_max_instances`: refused, as the job already ran `maxInstances` batches;
 * - `lost_claim`: planned here, but another scheduler's claim or commit won it (it runs there);
 * - `submit_failed`: the executor refused it for another reason (`error`).
 */
export type FireDisposition =
  | 'submitted'
  | 'missed'
  | 'coalesced'
  | 'skipped_max_instances'
  | 'lost_claim'
  | 'submit_failed';

/** What `horarium:fire` publishes for each planned fire. */
export interface FireContext {
  readonly scheduler: PublishingScheduler | null;
  readonly jobId: string;
  readonly jobName: string;
  readonly jobstore: string | null;
  readonly executor: string;
  /** The slot; for `coalesced`, the first slot folded. */
  readonly scheduledTime: Date;
  readonly disposition: FireDisposition;
  /**
   * The id of its fire record (a shared store's ledger, the memory store's fire history) when the
   * reporter knows it; null for `lost_claim` and for `coalesced` and skipped records of a shared store.
   */
  readonly fireId: string | null;
  /** The slots this report stands for: 1, or for `coalesced` the slots folded into the run. */
  readonly count: number;
  /** False when `count` is a lower bound (a fold of more than 1,000 slots is not counted to the end). */
  readonly countComplete: boolean;
  /** `submit_failed`: the executor's error. */
  readonly error?: unknown;
}

/**
 * What happened to run leases, on stores several schedulers share:
 * - `renewed`: the leases of `count` running fires were renewed;
 * - `renew_failed`: a renewal failed (the store did not answer; `error`);
 * - `lost`: a running fire's lease was lost, and its run aborted with a `LeaseLostError`;
 * - `abandoned`: the reaper found a fire whose scheduler (`node`) stopped renewing it, and recorded it abandoned;
 * - `recovered`: likewise, but the job has `recover: true`, and this scheduler runs the fire again.
 */
export type LeaseAction = 'renewed' | 'renew_failed' | 'lost' | 'abandoned' | 'recovered';

/** What `horarium:lease` publishes. */
export interface LeaseContext {
  readonly scheduler: PublishingScheduler | null;
  readonly jobstore: string;
  readonly action: LeaseAction;
  /** Fires concerned: the leases renewed for `renewed`, else 1 (0 for `renew_failed`). */
  readonly count: number;
  /** The fire's job, slot and id; null for `renewed` and `renew_failed`. */
  readonly jobId: string | null;
  readonly fireId: string | null;
  readonly scheduledTime: Date | null;
  /** `abandoned` and `recovered`: the scheduler that held the fire. */
  readonly node: string | null;
  /** `renew_failed`: why. */
  readonly error?: unknown;
}

/** `horarium:job`: each run of a job ({@link JobRunContext}). */
export const jobRunChannel: TracingChannel<unknown, JobRunContext> = tracingChannel<
  unknown,
  JobRunContext
>('horarium:job');

/** `horarium:claim`: claims and commits on shared stores ({@link ClaimContext}). */
export const claimChannel: TracingChannel<unknown, ClaimContext> = tracingChannel<
  unknown,
  ClaimContext
>('horarium:claim');

/** `horarium:store`: job store operations ({@link StoreOperationContext}). */
export const storeChannel: TracingChannel<unknown, StoreOperationContext> = tracingChannel<
  unknown,
  StoreOperationContext
>('horarium:store');

/** `horarium:fire`: what became of each planned fire ({@link FireContext}). */
export const fireChannel: Channel<unknown, FireContext> = channel('horarium:fire') as Channel<
  unknown,
  FireContext
>;

/** `horarium:lease`: run leases renewed and lost, fires reaped ({@link LeaseContext}). */
export const leaseChannel: Channel<unknown, LeaseContext> = channel('horarium:lease') as Channel<
  unknown,
  LeaseContext
>;
