/**
 * `registerMetrics(scheduler, { registry })`: a scheduler's metrics on the
 * application's prom-client registry. Counters and histograms follow the
 * `horarium:*` channels (only the contexts this scheduler published, so that
 * several schedulers of one process do not mix); the gauges of jobs, nodes
 * and clock skew are read when the registry is scraped.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BaseScheduler } from '../../scheduler/base-scheduler.ts';
import { type EventMetricName, METRICS, type MetricName, type MetricSpec } from '../catalog.ts';
import { feedMetrics, type Labels } from '../feed.ts';
import { countJobs, readNodes } from '../scheduler-state.ts';

export interface PrometheusMetricsOptions {
  /**
   * The registry to register on: the application's (`new Registry()`, or
   * prom-client's default `register` if you want that one); never chosen
   * implicitly.
   */
  readonly registry: Registry;
  /** Prepended to every metric name (default `'horarium_'`): two schedulers on one registry need two prefixes. */
  readonly prefix?: string;
  /**
   * Add a `job_id` label to the per-job metrics (fire lag, run duration, runs,
   * fires, coalesced slots). Off by default: one series per job can be many.
   */
  readonly labelJobIds?: boolean;
  /** The stores whose nodes and clock skew are reported (default `['default']`). */
  readonly jobstores?: readonly string[];
  /** A node whose last check-in is older than this (seconds) no longer counts in `cluster_nodes` (default 60). */
  readonly staleNodeAfter?: number;
  /**
   * Count the jobs at each scrape (default true). It lists every job of every
   * store (`scheduler.getJobs()`): with hundreds of thousands of jobs on a
   * database, scrape less often or turn it off.
   */
  readonly jobCounts?: boolean;
}

/** What {@link registerMetrics} returns. */
export interface PrometheusMetrics {
  /** Stops recording and removes the metrics from the registry. */
  unregister(): void;
}

type Instrument = Counter<string> | Histogram<string> | Gauge<string>;

/**
 * Registers a scheduler's metrics on `options.registry`; see the catalog in
 * docs/observability.md. Serve them with `registry.metrics()`.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { AsyncScheduler } from 'horarium';
 * import { registerMetrics } from 'horarium/prometheus';
 *
 * const registry = new Registry();
 * const scheduler = new AsyncScheduler();
 * const metrics = registerMetrics(scheduler, { registry });
 * // … serve `await registry.metrics()` at /metrics …
 * metrics.unregister();
 * ```
 *
 * @throws Error when one of its metric names is already registered on the registry
 */
export function registerMetrics(
  scheduler: BaseScheduler,
  options: PrometheusMetricsOptions,
): PrometheusMetrics {
  const { registry } = options;
  const prefix = options.prefix ?? 'horarium_';
  const labelJobIds = options.labelJobIds ?? false;
  const jobstores = options.jobstores ?? ['default'];
  const staleAfterMs = (options.staleNodeAfter ?? 60) * 1000;
  const registered: string[] = [];
  const base = (spec: MetricSpec) => {
    const name = prefix + spec.prometheus;
    if (registry.getSingleMetric(name) !== undefined)
      throw new Error(
        `The metric ${name} is already registered on this registry: give each scheduler a prefix of its own (registerMetrics(scheduler, { registry, prefix }))`,
      );
    registered.push(name);
    const labelNames: string[] = [...spec.labels];
    if (labelJobIds && spec.perJob === true) labelNames.push('job_id');
    return { name, help: spec.help, labelNames, registers: [registry] };
  };

  const instruments = new Map<EventMetricName, Instrument>();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  try {
    for (const [key, spec] of Object.entries(METRICS) as [MetricName, MetricSpec][]) {
      if (spec.kind === 'gauge') continue;
      const metric =
        spec.kind === 'counter'
          ? new Counter(base(spec))
          : spec.kind === 'histogram'
            ? new Histogram({ ...base(spec), buckets: [...(spec.buckets ?? [])] })
            : new Gauge(base(spec));
      instruments.set(key as EventMetricName, metric);
    }
    if (options.jobCounts !== false) {
      new Gauge({
        ...base(METRICS.jobs),
        async collect() {
          this.reset();
          try {
            for (const { jobstore, state, count } of await countJobs(scheduler))
              this.set({ jobstore, state }, count);
          } catch {
            // A store that cannot answer: no series rather than stale ones (store_errors_total says why).
          }
        },
      });
    }
    // One read of the nodes per scrape serves both gauges.
    const readStores = shared(() => readNodes(scheduler, jobstores, staleAfterMs));
    new Gauge({
      ...base(METRICS.clusterNodes),
      async collect() {
        this.reset();
        for (const store of await readStores())
          this.set({ jobstore: store.jobstore }, store.liveNodes);
      },
    });
    new Gauge({
      ...base(METRICS.clockSkew),
      async collect() {
        this.reset();
        for (const store of await readStores())
          if (store.clockSkewSeconds !== null)
            this.set({ jobstore: store.jobstore }, store.clockSkewSeconds);
      },
    });
    new Gauge({
      ...base(METRICS.eventLoopLag),
      collect() {
        this.set(delay.max / 1e9);
        delay.reset();
      },
    });
  } catch (error) {
    for (const name of registered) registry.removeSingleMetric(name);
    throw error;
  }
  delay.enable();

  const unsubscribe = feedMetrics(
    {
      record(metric: EventMetricName, value: number, labels: Labels) {
        const instrument = instruments.get(metric);
        if (instrument instanceof Counter) instrument.inc(labels, value);
        else if (instrument instanceof Histogram) instrument.observe(labels, value);
        else if (instrument instanceof Gauge) instrument.inc(labels, value);
      },
    },
    { accepts: (publisher) => publisher === scheduler, labelJobIds },
  );

  let active = true;
  return {
    unregister() {
      if (!active) return;
      active = false;
      unsubscribe();
      delay.disable();
      for (const name of registered) registry.removeSingleMetric(name);
    },
  };
}

/** `read`, with the calls made while one is in flight sharing it. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
