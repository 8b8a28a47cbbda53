/**
 * One pass over a store several schedulers can share (a store with a ledger):
 * due jobs are claimed with a lease and a fencing token in one atomic step,
 * planned with the store's clock, and committed in one transaction — the
 * jobs' next run times advance only where the fence still matches, and their
 * fires are inserted with a unique key on (job, scheduled time). Only the
 * fires this commit won are submitted, after the commit: a crash can lose a
 * run in progress (the reaper records it abandoned) but never run a fire twice.
 */

import {
  EVENT_JOB_CATCH_UP,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  JobEvent,
  JobSubmissionEvent,
  type SchedulerEvent,
} from '../../events.ts';
import type { Executor } from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { Claim, CommitResult, JobCommit, NewFire } from '../../stores/ledger.ts';
import { fireChannel } from '../../tracing/channels.ts';
import { calendarsFor, excludedDetail, excludedEvent } from '../calendar-registry.ts';
import { randomId } from '../cluster/random-ids.ts';
import type { StoreNode, WonFire } from '../cluster/store-node.ts';
import { foldedDetail } from '../history/folded.ts';
import type { ManagedStore } from '../managed-store.ts';
import { reportLostFires, reportSkipped, reportUnwonFires } from '../tracing/fires.ts';
import { claimTraced, commitTraced } from '../tracing/store-calls.ts';
import { CatchUpReport } from './catch-up.ts';
import { nextWake } from './next-wake.ts';
import { type DuePlan, planJob } from './plan-job.ts';
import type { PassHost } from './store-pass.ts';
import { submitRuns } from './submit.ts';

/** Claims one pass makes at most per store; a larger backlog continues in the next pass. */
const MAX_CLAIMS_PER_PASS = 100;

/** A fire id: 32 random hex digits, made here so that every store keeps it as text. */
export function newFireId(): string {
  return randomId();
}

/** What one claimed job becomes: its plan, and what the commit writes. */
interface ClaimedPlan {
  readonly plan: DuePlan;
  readonly commit: JobCommit;
  /** The fires that run (state `claimed`), in run-time order. */
  readonly runs: readonly NewFire[];
  readonly fence: number;
  /** The batch was refused for `maxInstances`, counted across every scheduler. */
  readonly skipped: boolean;
}

/** One shared store's part of a pass; returns when it wants the next pass (local ms) and the events to dispatch. */
export async function processLedgerStore(
  host: PassHost,
  managed: ManagedStore,
  node: StoreNode,
  now: number,
): Promise<{ wakeAt: number | null; queued: SchedulerEvent[] }> {
  const queued: SchedulerEvent[] = [];
  const retryAt = now + host.retryIntervalMs;
  const failed = (): { wakeAt: number; queued: SchedulerEvent[] } => {
    managed.retryAt = retryAt;
    return { wakeAt: retryAt, queued };
  };
  if (!host.isRunning()) return { wakeAt: null, queued };
  const flushed = await managed.flushPendingWrites((id) =>
    host.dispatch(new JobEvent(EVENT_JOB_REMOVED, id, managed.alias)),
  );
  if (!flushed) return failed();
  const { settings } = node;
  if (node.claimsInDoubt) {
    // A claim or commit failed (the store was unreachable): give back any claim it left,
    // or those jobs would wait for their claim leases to end before anyone runs them.
    try {
      await managed.withTimeout('releaseClaims', () => node.ledger.releaseClaims(node.nodeId));
      node.claimsInDoubt = false;
    } catch (error) {
      managed.reportFailure('releaseClaims', error);
      return failed();
    }
  }
  const catchUp = new CatchUpReport();
  let claimedAny = false;
  for (let round = 0; round < MAX_CLAIMS_PER_PASS && host.isRunning(); round++) {
    const since = Date.now();
    await node.flushFireUpdates();
    let claim: Claim;
    try {
      claim = await managed.withTimeout('claimDueJobs', () =>
        claimTraced(managed, node.ledger, {
          owner: node.nodeId,
          limit: settings.claimBatch,
          leaseMs: settings.claimLeaseMs,
        }),
      );
    } catch (error) {
      node.claimsInDoubt = true;
      managed.reportFailure('claimDueJobs', error);
      return failed();
    }
    if (claim.jobs.length === 0) break;
    claimedAny = true;
    const committed = await commitClaim(host, managed, node, claim, since, queued, catchUp);
    if (!committed) return failed();
    if (claim.jobs.length < settings.claimBatch) break;
  }
  const more = catchUp.remainder();
  if (more !== null) host.logger.warn(more);
  if (claimedAny) node.claimed();
  await recordOutage(host, managed, node);
  let wakeAt = await nextWake(managed, retryAt, (time) => node.localTime(time));
  // Due, yet not claimed by this pass: another scheduler holds its claim (and commits
  // in a moment), or a row this scheduler cannot restore. Look again soon, not at once.
  if (wakeAt !== null && wakeAt <= Date.now()) wakeAt = Date.now() + node.contendedDelay();
  return { wakeAt, queued };
}

/**
 * The store answered a whole pass: writes the outage that ended, if any, to the
 * store's outage log, so that any node can later tell why a fire time left no
 * record. A failed write is kept for the next pass; it is not itself counted
 * as a store failure (it would open the outage it tries to close).
 */
async function recordOutage(host: PassHost, managed: ManagedStore, node: StoreNode): Promise<void> {
  const log = managed.store.outages;
  const outage = managed.outage.recovered(Date.now());
  if (log === undefined || outage === null) return;
  const skew = node.skewMs;
  try {
    await managed.withTimeout('recordOutage', () =>
      log.recordOutage({
        ...outage,
        node: node.nodeId,
        from: outage.from - skew,
        to: outage.to - skew,
      }),
    );
    managed.outage.written(outage);
  } catch (error) {
    host.logger.debug(
      `Job store "${managed.alias}" could not record its outage from ${new Date(outage.from).toISOString()}; trying again after the next pass`,
      error,
    );
  }
}

/** Plans, commits and submits one claim; false when the commit failed (nothing was submitted). */
async function commitClaim(
  host: PassHost,
  managed: ManagedStore,
  node: StoreNode,
  claim: Claim,
  since: number,
  queued: SchedulerEvent[],
  catchUp: CatchUpReport,
): Promise<boolean> {
  const { alias } = managed;
  const storeNow = claim.now;
  const nowDate = new Date(storeNow);
  const processingSince = host.processingSince() - node.skewMs;
  const planned: ClaimedPlan[] = [];
  const calendars = await calendarsFor(claim.jobs, managed.store.calendars, host.logger);
  for (const { job, fence, liveBatches } of claim.jobs) {
    const plan = planJob(host, managed.splitBatches, job, storeNow, nowDate, calendars);
    if (!plan.continuation && plan.runTimes.length > 0) {
      const summary = catchUp.summarize(job, alias, plan.runTimes, storeNow, processingSince);
      if (summary !== null) {
        const line = catchUp.line(job, summary);
        if (line !== null) host.logger.warn(line);
        if (host.wants(EVENT_JOB_CATCH_UP)) queued.push(summary);
      }
    }
    planned.push(planFires(node, plan, fence, liveBatches, catchUp));
  }
  let result: CommitResult;
  try {
    result = await managed.withTimeout('commitClaims', () =>
      commitTraced(
        managed,
        node.ledger,
        node.nodeId,
        planned.map((p) => p.commit),
        { runLeaseMs: node.settings.runLeaseMs },
      ),
    );
  } catch (error) {
    // Whether or not it landed, nothing runs: fires it did insert are found by the
    // reaper when their leases expire, and recorded abandoned.
    node.claimsInDoubt = true;
    for (const { plan, runs } of planned) node.cancelUncommitted(plan.job, runs);
    managed.reportFailure('commitClaims', error);
    return false;
  }
  const lost = new Set(result.lost);
  const won = new Set(result.won);
  if (result.replaced !== undefined && result.replaced.length > 0) node.replaced(result.replaced);
  await managed.recordCommitted(
    planned.map((p) => p.plan).filter((plan) => !lost.has(plan.job.id)),
  );
  for (const { plan, runs, fence, skipped } of planned) {
    const { job } = plan;
    const excluded = lost.has(job.id) ? null : excludedEvent(plan, alias);
    if (excluded !== null && host.wants(excluded.code)) queued.push(excluded);
    if (lost.has(job.id)) {
      // Changed by a user or taken over by another scheduler since the claim: its plan is void.
      managed.splitBatches.delete(job.id);
      if (fireChannel.hasSubscribers) reportLostFires(host, alias, job, plan.runTimes);
      host.logger.debug(
        `Job "${job.name}" (${job.id}) changed while claimed; its plan was dropped`,
      );
      continue;
    }
    if (plan.updated === null) host.dispatch(new JobEvent(EVENT_JOB_REMOVED, job.id, alias));
    else if (plan.paused) host.dispatch(new JobEvent(EVENT_JOB_MODIFIED, job.id, alias));
    if (skipped && job.overlap === 'queue' && node.ledger.overlap === true) {
      host.logger.info(
        `Job "${job.name}" (${job.id}) runs its maximum number of instances (${job.maxInstances}); its run at ${plan.runTimes.at(-1)?.toISOString()} is queued until one ends (overlap: queue)`,
      );
      continue;
    }
    if (skipped) {
      host.logger.warn(
        `Execution of job "${job.name}" (${job.id}) skipped: maximum number of running instances reached (${job.maxInstances}) across the schedulers sharing job store "${alias}"`,
      );
      if (host.wants(EVENT_JOB_MAX_INSTANCES))
        queued.push(new JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, plan.runTimes));
      if (fireChannel.hasSubscribers) reportSkipped(host, alias, job, plan.runTimes);
      continue;
    }
    const fires: WonFire[] = [];
    for (const fire of runs) {
      if (!won.has(fire.fireId)) continue;
      fires.push({
        fireId: fire.fireId,
        scheduledTime: fire.scheduledTime,
        fencingToken: fence,
        recovering: false,
      });
    }
    if (fireChannel.hasSubscribers) reportUnwonFires(host, alias, job, runs, won);
    if (fires.length === 0 || plan.executor === undefined || !host.isRunning()) {
      for (const fire of fires) node.giveUp(job, fire.fireId, fire.scheduledTime, 'cancelled');
      continue;
    }
    node.hold(job, fires, since);
    submitFires(host, node, alias, plan.executor, job, fires, plan.continuation, queued);
  }
  return true;
}

/** The fires a plan inserts: its runs (or, past `maxInstances`, their skipped records) and a coalesced record. */
function planFires(
  node: StoreNode,
  plan: DuePlan,
  fence: number,
  liveBatches: number,
  catchUp: CatchUpReport,
): ClaimedPlan {
  const { job, runTimes } = plan;
  const fires: NewFire[] = [];
  let runs: NewFire[] = [];
  let skipped = false;
  if (plan.excluded !== undefined) {
    fires.push({
      fireId: newFireId(),
      scheduledTime: plan.excluded.first.getTime(),
      state: 'excluded',
      batchId: null,
      detail: excludedDetail(plan),
    });
  }
  let overlap: 'queue' | 'replace' | undefined;
  if (plan.executor !== undefined && runTimes.length > 0) {
    // A continuation joins its running batch: not a new instance.
    skipped = !plan.continuation && liveBatches >= job.maxInstances;
    if (skipped && job.overlap !== 'skip' && node.ledger.overlap === true) {
      overlap = job.overlap;
      // 'replace': the commit cancels the oldest instance, and these run now.
      skipped = overlap === 'queue';
    }
    const batchId = node.batchIdFor(job.id, plan.continuation, plan.capped);
    const into = runTimes[0] as Date;
    if (job.coalesce && into.getTime() !== job.nextRunTimeMs) {
      const { count, complete } = catchUp.countFolded(job, into);
      fires.push({
        fireId: newFireId(),
        scheduledTime: job.nextRunTimeMs,
        state: 'coalesced',
        batchId: null,
        detail: foldedDetail(count, complete, into),
      });
    }
    const last = runTimes.length - 1;
    runs = runTimes.map((time, i) => ({
      fireId: newFireId(),
      scheduledTime: time.getTime(),
      // 'queue': the latest refused time waits for an instance to end.
      state: !skipped
        ? 'claimed'
        : overlap === 'queue' && i === last
          ? 'queued'
          : 'skipped_max_instances',
      batchId: skipped ? null : batchId,
    }));
    fires.push(...runs);
    if (skipped) runs = [];
  }
  return {
    plan,
    fence,
    skipped,
    runs,
    commit: {
      jobId: job.id,
      fence,
      job: plan.updated,
      fires,
      history: job.history,
      // A finished job is removed now: its runs (and a queued fire) keep it, to run without it.
      ...(plan.updated === null &&
      (job.retry !== null || overlap === 'queue') &&
      fires.some((fire) => fire.state === 'claimed' || fire.state === 'queued')
        ? { retryJob: job }
        : {}),
      ...(overlap === undefined ? {} : { overlap }),
    },
  };
}

function submitFires(
  host: PassHost,
  node: StoreNode,
  alias: string,
  executor: Executor,
  job: Job,
  fires: readonly WonFire[],
  continuation: boolean,
  queued: SchedulerEvent[],
): void {
  const runTimes = fires.map((fire) => new Date(fire.scheduledTime));
  const options = { fires, clockSkewMs: node.skewMs, ...(continuation ? { continuation } : {}) };
  submitRuns(host, alias, executor, job, runTimes, options, queued, (maxedOut, error) => {
    // The instance a replacing batch replaces on this node is still ending.
    if (maxedOut && job.overlap === 'replace' && node.ledger.overlap === true) {
      node.submitWhenFree(job, executor, fires, options);
      return true;
    }
    for (const fire of fires)
      node.giveUp(
        job,
        fire.fireId,
        fire.scheduledTime,
        maxedOut ? 'skipped_max_instances' : 'failed',
        maxedOut ? undefined : error,
      );
  });
}
