/**
 * Every metric Horarium exports, declared once for both adapters: its
 * Prometheus name (after the prefix, `horarium_` by default), its
 * OpenTelemetry name, its kind, unit, labels and description. The docs'
 * metric table says the same.
 */

/** A label of a metric; `job_id` is added to the metrics marked `perJob` when asked for. */
export type MetricLabel =
  | 'jobstore'
  | 'executor'
  | 'outcome'
  | 'disposition'
  | 'result'
  | 'action'
  | 'operation'
  | 'state';

export interface MetricSpec {
  /** The Prometheus name without its prefix. */
  readonly prometheus: string;
  readonly otel: string;
  /** `gauge`: a level read at scrape time; `updown`: a level counted up and down as things happen. */
  readonly kind: 'counter' | 'histogram' | 'gauge' | 'updown';
  readonly unit: 's' | '1';
  readonly help: string;
  readonly labels: readonly MetricLabel[];
  /** Can carry a `job_id` label (`labelJobIds`). */
  readonly perJob?: boolean;
  /** Histogram bucket upper bounds, seconds. */
  readonly buckets?: readonly number[];
}

const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RUN_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The metrics, by the name the adapters know them by. */
export type MetricName =
  | 'fireLag'
  | 'runDuration'
  | 'runs'
  | 'runningRuns'
  | 'fires'
  | 'coalescedSlots'
  | 'claims'
  | 'claimDuration'
  | 'leaseRenewals'
  | 'failovers'
  | 'storeOperationDuration'
  | 'storeErrors'
  | 'jobs'
  | 'clusterNodes'
  | 'clockSkew'
  | 'eventLoopLag';

export const METRICS: Readonly<Record<MetricName, MetricSpec>> = {
  fireLag: {
    prometheus: 'fire_lag_seconds',
    otel: 'horarium.fire.lag',
    kind: 'histogram',
    unit: 's',
    help: 'How late runs started: start time minus scheduled run time, by the store clock',
    labels: ['jobstore', 'executor'],
    perJob: true,
    buckets: LAG_BUCKETS,
  },
  runDuration: {
    prometheus: 'run_duration_seconds',
    otel: 'horarium.run.duration',
    kind: 'histogram',
    unit: 's',
    help: 'How long runs took, from their start to their outcome',
    labels: ['executor', 'outcome'],
    perJob: true,
    buckets: RUN_BUCKETS,
  },
  runs: {
    prometheus: 'runs_total',
    otel: 'horarium.runs',
    kind: 'counter',
    unit: '1',
    help: 'Runs by outcome: succeeded, failed, timed_out, cancelled, lease_lost, and abandoned (found by this scheduler reaping a dead one)',
    labels: ['jobstore', 'outcome'],
    perJob: true,
  },
  runningRuns: {
    prometheus: 'running_runs',
    otel: 'horarium.running_runs',
    kind: 'updown',
    unit: '1',
    help: 'Runs in progress',
    labels: ['executor'],
  },
  fires: {
    prometheus: 'fires_total',
    otel: 'horarium.fires',
    kind: 'counter',
    unit: '1',
    help: 'Planned fires by disposition: submitted, missed, coalesced (one per fold), skipped_max_instances, lost_claim, submit_failed',
    labels: ['jobstore', 'disposition'],
    perJob: true,
  },
  coalescedSlots: {
    prometheus: 'coalesced_slots_total',
    otel: 'horarium.coalesced_slots',
    kind: 'counter',
    unit: '1',
    help: 'Slots folded into a run by coalescing (a fold of more than 1000 counts 1000)',
    labels: ['jobstore'],
    perJob: true,
  },
  claims: {
    prometheus: 'claims_total',
    otel: 'horarium.claims',
    kind: 'counter',
    unit: '1',
    help: 'Claims on shared stores: jobs claimed and committed (won), jobs whose claim was taken over before the commit (lost), claims that found nothing due (empty)',
    labels: ['jobstore', 'result'],
  },
  claimDuration: {
    prometheus: 'claim_duration_seconds',
    otel: 'horarium.claim.duration',
    kind: 'histogram',
    unit: 's',
    help: 'How long claims and commits took on shared stores',
    labels: ['jobstore', 'operation'],
    buckets: STORE_BUCKETS,
  },
  leaseRenewals: {
    prometheus: 'lease_renewals_total',
    otel: 'horarium.lease.renewals',
    kind: 'counter',
    unit: '1',
    help: 'Run leases renewed (ok), lost (the run was aborted), and renewal rounds that failed (error)',
    labels: ['jobstore', 'result'],
  },
  failovers: {
    prometheus: 'failovers_total',
    otel: 'horarium.failovers',
    kind: 'counter',
    unit: '1',
    help: 'Fires of dead schedulers this scheduler reaped: recorded abandoned, or recovered (run again)',
    labels: ['jobstore', 'action'],
  },
  storeOperationDuration: {
    prometheus: 'store_operation_duration_seconds',
    otel: 'horarium.store.operation.duration',
    kind: 'histogram',
    unit: 's',
    help: 'How long job store operations took',
    labels: ['jobstore', 'operation'],
    buckets: STORE_BUCKETS,
  },
  storeErrors: {
    prometheus: 'store_errors_total',
    otel: 'horarium.store.errors',
    kind: 'counter',
    unit: '1',
    help: 'Job store operations that failed or timed out (a lookup that finds nothing is no error)',
    labels: ['jobstore', 'operation'],
  },
  jobs: {
    prometheus: 'jobs',
    otel: 'horarium.jobs',
    kind: 'gauge',
    unit: '1',
    help: 'Jobs in the stores: scheduled, paused, or broken (stored but not restorable)',
    labels: ['jobstore', 'state'],
  },
  clusterNodes: {
    prometheus: 'cluster_nodes',
    otel: 'horarium.cluster.nodes',
    kind: 'gauge',
    unit: '1',
    help: 'Schedulers sharing the store that checked in recently (1 for a memory store)',
    labels: ['jobstore'],
  },
  clockSkew: {
    prometheus: 'clock_skew_seconds',
    otel: 'horarium.clock.skew',
    kind: 'gauge',
    unit: 's',
    help: "This host's clock minus the store's, as last measured (positive: ahead)",
    labels: ['jobstore'],
  },
  eventLoopLag: {
    prometheus: 'event_loop_lag_seconds',
    otel: 'horarium.event_loop.lag',
    kind: 'gauge',
    unit: 's',
    help: 'The longest event loop delay since the previous scrape: how late timers, and so runs, can start',
    labels: [],
  },
};

/** The metrics the channels feed, as opposed to those read at scrape time. */
export type EventMetricName = Exclude<
  MetricName,
  'jobs' | 'clusterNodes' | 'clockSkew' | 'eventLoopLag'
>;
