/**
 * OpenTelemetry metrics: the catalog's instruments on a Meter, fed by the
 * channels; with a scheduler given, also the observable gauges of its jobs,
 * nodes and clock skew, read at collection time.
 */
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  ObservableGauge,
  UpDownCounter,
} from '@opentelemetry/api';
import type { BaseScheduler } from '../../scheduler/base-scheduler.ts';
import type { PublishingScheduler } from '../../tracing/channels.ts';
import { type EventMetricName, METRICS, type MetricSpec } from '../catalog.ts';
import { feedMetrics, type Labels } from '../feed.ts';
import { countJobs, readNodes } from '../scheduler-state.ts';

export interface OtelMetricsOptions {
  readonly accepts: (scheduler: PublishingScheduler | null) => boolean;
  readonly labelJobIds: boolean;
  /** The scheduler whose jobs, nodes and clock skew the observable gauges report; none without it. */
  readonly scheduler: BaseScheduler | undefined;
  readonly jobstores: readonly string[];
  readonly staleAfterMs: number;
  readonly jobCounts: boolean;
}

/** The attribute a label becomes: `horarium.<label>`, `horarium.job.id` for `job_id`. */
export function attributesOf(labels: Labels): Attributes {
  const attributes: Attributes = {};
  for (const [label, value] of Object.entries(labels))
    attributes[label === 'job_id' ? 'horarium.job.id' : `horarium.${label}`] = value;
  return attributes;
}

/** Creates the instruments and starts recording; returns the function that stops it. */
export function recordMetrics(meter: Meter, options: OtelMetricsOptions): () => void {
  const instruments = new Map<EventMetricName, Counter | Histogram | UpDownCounter>();
  const kinds = new Map<EventMetricName, MetricSpec['kind']>();
  for (const [key, spec] of Object.entries(METRICS) as [EventMetricName, MetricSpec][]) {
    if (spec.kind === 'gauge') continue;
    const description = { description: spec.help, unit: spec.unit };
    const instrument =
      spec.kind === 'counter'
        ? meter.createCounter(spec.otel, description)
        : spec.kind === 'updown'
          ? meter.createUpDownCounter(spec.otel, description)
          : meter.createHistogram(spec.otel, {
              ...description,
              advice: { explicitBucketBoundaries: [...(spec.buckets ?? [])] },
            });
    instruments.set(key, instrument);
    kinds.set(key, spec.kind);
  }
  const unsubscribe = feedMetrics(
    {
      record(metric, value, labels) {
        const instrument = instruments.get(metric);
        if (instrument === undefined) return;
        if (kinds.get(metric) === 'histogram')
          (instrument as Histogram).record(value, attributesOf(labels));
        else (instrument as Counter).add(value, attributesOf(labels));
      },
    },
    { accepts: options.accepts, labelJobIds: options.labelJobIds },
  );
  const { scheduler } = options;
  if (scheduler === undefined) return unsubscribe;

  const gauge = (spec: MetricSpec): ObservableGauge =>
    meter.createObservableGauge(spec.otel, { description: spec.help, unit: spec.unit });
  const jobs = gauge(METRICS.jobs);
  const nodes = gauge(METRICS.clusterNodes);
  const skew = gauge(METRICS.clockSkew);
  const observables = options.jobCounts ? [jobs, nodes, skew] : [nodes, skew];
  const observe = async (result: {
    observe(gauge: ObservableGauge, value: number, attributes?: Attributes): void;
  }): Promise<void> => {
    if (options.jobCounts) {
      try {
        for (const { jobstore, state, count } of await countJobs(scheduler))
          result.observe(jobs, count, attributesOf({ jobstore, state }));
      } catch {
        // A store that cannot answer reports no counts (store errors say why).
      }
    }
    for (const store of await readNodes(scheduler, options.jobstores, options.staleAfterMs)) {
      const attributes = attributesOf({ jobstore: store.jobstore });
      result.observe(nodes, store.liveNodes, attributes);
      if (store.clockSkewSeconds !== null) result.observe(skew, store.clockSkewSeconds, attributes);
    }
  };
  meter.addBatchObservableCallback(observe, observables);
  return () => {
    unsubscribe();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
