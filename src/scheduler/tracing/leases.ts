/** Run leases as `horarium:lease` reports them; the store node calls this only while the channel has subscribers. */
import {
  type LeaseAction,
  type LeaseContext,
  leaseChannel,
  type PublishingScheduler,
} from '../../tracing/channels.ts';

/** What the report needs from the store node. */
export interface LeaseReporter {
  readonly alias: string;
  readonly scheduler?: PublishingScheduler | null;
}

/** The fire a report is about, if it is about one. */
export interface LeaseDetails {
  readonly count?: number;
  readonly jobId?: string;
  readonly fireId?: string;
  readonly scheduledTime?: number;
  readonly node?: string | null;
  readonly error?: unknown;
}

export function reportLease(host: LeaseReporter, action: LeaseAction, details: LeaseDetails): void {
  const context: LeaseContext = {
    scheduler: host.scheduler ?? null,
    jobstore: host.alias,
    action,
    count: details.count ?? 1,
    jobId: details.jobId ?? null,
    fireId: details.fireId ?? null,
    scheduledTime: details.scheduledTime === undefined ? null : new Date(details.scheduledTime),
    node: details.node ?? null,
    ...(details.error === undefined ? {} : { error: details.error }),
  };
  leaseChannel.publish(context);
}
