/**
 * Turns what the `horarium:*` channels publish into metric recordings, for
 * both adapters (`horarium/otel`, `horarium/prometheus`): each adapter only
 * says how to record a value of a metric of the catalog. Durations are
 * measured here, from a context's `start` to its `asyncEnd`.
 */
import type { Channel } from 'node:diagnostics_channel';
import { ConflictingIdError, JobLookupError } from '../stores/errors.ts';
import {
  type ClaimContext,
  claimChannel,
  type FireContext,
  fireChannel,
  type JobRunContext,
  jobRunChannel,
  type LeaseContext,
  leaseChannel,
  type PublishingScheduler,
  type StoreOperationContext,
  storeChannel,
} from '../tracing/channels.ts';
import type { EventMetricName, MetricLabel } from './catalog.ts';

/** Label values of one recording; `job_id` only where the catalog allows it and it was asked for. */
export type Labels = Partial<Record<MetricLabel | 'job_id', string>>;

/** Where recordings go: an adapter's instruments. */
export interface MetricSink {
  /** Adds `value` to a counter or an up-down level, or observes it in a histogram. */
  record(metric: EventMetricName, value: number, labels: Labels): void;
}

export interface FeedOptions {
  /** Which schedulers' contexts to record (the channels are shared by the whole process). */
  accepts(scheduler: PublishingScheduler | null): boolean;
  /** Add a `job_id` label to the per-job metrics. */
  readonly labelJobIds: boolean;
}

/** Errors a store operation answers with in the normal course of things. */
function isExpected(error: unknown): boolean {
  return error instanceof JobLookupError || error instanceof ConflictingIdError;
}

/** Subscribes to the channels and records into `sink`; returns the function that unsubscribes. */
export function feedMetrics(sink: MetricSink, options: FeedOptions): () => void {
  const started = new WeakMap<object, number>();
  const { accepts, labelJobIds } = options;
  const withJob = (labels: Labels, jobId: string | null): Labels =>
    labelJobIds && jobId !== null ? { ...labels, job_id: jobId } : labels;
  const elapsed = (context: object): number | undefined => {
    const start = started.get(context);
    if (start === undefined) return undefined;
    started.delete(context);
    return (performance.now() - start) / 1000;
  };

  const runStarted = (message: unknown): void => {
    const run = message as JobRunContext;
    if (!accepts(run.scheduler)) return;
    started.set(run, performance.now());
    const store = run.jobstore ?? '';
    sink.record(
      'fireLag',
      Math.max(run.lagMs, 0) / 1000,
      withJob({ jobstore: store, executor: run.executor }, run.jobId),
    );
    sink.record('runningRuns', 1, { executor: run.executor });
  };
  const runEnded = (message: unknown): void => {
    const run = message as JobRunContext;
    if (!accepts(run.scheduler)) return;
    const seconds = elapsed(run);
    if (seconds === undefined) return; // it started before the subscription
    const outcome = run.outcome ?? 'succeeded';
    sink.record('runningRuns', -1, { executor: run.executor });
    sink.record('runDuration', seconds, withJob({ executor: run.executor, outcome }, run.jobId));
    sink.record('runs', 1, withJob({ jobstore: run.jobstore ?? '', outcome }, run.jobId));
  };

  const fire = (message: unknown): void => {
    const context = message as FireContext;
    if (!accepts(context.scheduler)) return;
    const jobstore = context.jobstore ?? '';
    sink.record('fires', 1, withJob({ jobstore, disposition: context.disposition }, context.jobId));
    if (context.disposition === 'coalesced')
      sink.record('coalescedSlots', context.count, withJob({ jobstore }, context.jobId));
  };

  const timed = (message: unknown): void => {
    const context = message as ClaimContext | StoreOperationContext;
    if (accepts(context.scheduler)) started.set(context, performance.now());
  };
  const claimEnded = (message: unknown): void => {
    const context = message as ClaimContext;
    if (!accepts(context.scheduler)) return;
    const seconds = elapsed(context);
    const { jobstore, operation } = context;
    if (seconds !== undefined) sink.record('claimDuration', seconds, { jobstore, operation });
    if (context.error !== undefined || context.jobs === undefined) return;
    if (operation === 'claim') {
      if (context.jobs === 0) sink.record('claims', 1, { jobstore, result: 'empty' });
      return;
    }
    const lost = context.lostJobs ?? 0;
    if (context.jobs > lost)
      sink.record('claims', context.jobs - lost, { jobstore, result: 'won' });
    if (lost > 0) sink.record('claims', lost, { jobstore, result: 'lost' });
  };
  const storeEnded = (message: unknown): void => {
    const context = message as StoreOperationContext;
    if (!accepts(context.scheduler)) return;
    const seconds = elapsed(context);
    if (seconds !== undefined)
      sink.record('storeOperationDuration', seconds, {
        jobstore: context.jobstore,
        operation: context.operation,
      });
  };
  const storeFailed = (message: unknown): void => {
    const context = message as StoreOperationContext;
    if (!accepts(context.scheduler) || isExpected(context.error)) return;
    sink.record('storeErrors', 1, { jobstore: context.jobstore, operation: context.operation });
  };

  const lease = (message: unknown): void => {
    const context = message as LeaseContext;
    if (!accepts(context.scheduler)) return;
    const { jobstore } = context;
    switch (context.action) {
      case 'renewed':
        if (context.count > 0)
          sink.record('leaseRenewals', context.count, { jobstore, result: 'ok' });
        return;
      case 'renew_failed':
        sink.record('leaseRenewals', 1, { jobstore, result: 'error' });
        return;
      case 'lost':
        sink.record('leaseRenewals', 1, { jobstore, result: 'lost' });
        return;
      case 'abandoned':
        sink.record('failovers', 1, { jobstore, action: 'abandoned' });
        sink.record('runs', 1, withJob({ jobstore, outcome: 'abandoned' }, context.jobId));
        return;
      case 'recovered':
        sink.record('failovers', 1, { jobstore, action: 'recovered' });
        return;
    }
  };

  const subscriptions: [Channel, (message: unknown) => void][] = [
    [jobRunChannel.start, runStarted],
    [jobRunChannel.asyncEnd, runEnded],
    [fireChannel, fire],
    [claimChannel.start, timed],
    [claimChannel.asyncEnd, claimEnded],
    [storeChannel.start, timed],
    [storeChannel.asyncEnd, storeEnded],
    [storeChannel.error, storeFailed],
    [leaseChannel, lease],
  ];
  for (const [channel, listener] of subscriptions) channel.subscribe(listener);
  return () => {
    for (const [channel, listener] of subscriptions) channel.unsubscribe(listener);
  };
}
