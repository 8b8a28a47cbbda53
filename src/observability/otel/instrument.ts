/**
 * `instrumentHorarium()`: spans and metrics for OpenTelemetry, from the
 * `horarium:*` diagnostics channels. Horarium's core has no OpenTelemetry
 * dependency; this entry point needs `@opentelemetry/api`, and an SDK set up
 * by the application to send anything anywhere.
 */
import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import type { BaseScheduler } from '../../scheduler/base-scheduler.ts';
import type { PublishingScheduler } from '../../tracing/channels.ts';
import { VERSION } from '../../version.ts';
import { recordMetrics } from './metrics.ts';
import { traceChannels } from './spans.ts';

/** The instrumentation scope of Horarium's spans and metrics. */
const SCOPE = 'horarium';

export interface HorariumInstrumentationOptions {
  /** Where spans go (default: the global tracer provider). */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go (default: the global meter provider). */
  readonly meterProvider?: MeterProvider;
  /**
   * Observe only this scheduler (default: every scheduler of the process). It
   * also enables the observable gauges of its jobs, nodes and clock skew.
   */
  readonly scheduler?: BaseScheduler;
  /** Make spans (default true). */
  readonly traces?: boolean;
  /** Record metrics (default true). */
  readonly metrics?: boolean;
  /** A span per store operation, `horarium.store <operation>` (default false: many, and short). */
  readonly storeSpans?: boolean;
  /** Add `horarium.job.id` to the per-job metrics (default false: one series per job can be many). */
  readonly labelJobIds?: boolean;
  /** With `scheduler`: the stores whose nodes and clock skew are observed (default `['default']`). */
  readonly jobstores?: readonly string[];
  /** With `scheduler`: seconds after its last check-in that a node stops counting as live (default 60). */
  readonly staleNodeAfter?: number;
  /** With `scheduler`: observe the job counts (default true; it lists every job at each collection). */
  readonly jobCounts?: boolean;
}

/** What {@link instrumentHorarium} returns. */
export interface HorariumInstrumentation {
  /** Stops making spans and recording metrics. */
  disable(): void;
}

/**
 * Subscribes OpenTelemetry spans and metrics to Horarium's diagnostics
 * channels. Call it once the SDK is set up (the spans of a run become the
 * parents of spans made inside it when the SDK's context manager is the
 * AsyncLocalStorage one, the Node default). docs/observability.md lists the
 * spans, their attributes and the metrics.
 *
 * @example
 * ```ts
 * import { instrumentHorarium } from 'horarium/otel';
 *
 * const instrumentation = instrumentHorarium();
 * // … start schedulers; their runs become `horarium.run <job>` spans …
 * instrumentation.disable();
 * ```
 */
export function instrumentHorarium(
  options: HorariumInstrumentationOptions = {},
): HorariumInstrumentation {
  const only = options.scheduler;
  const accepts = (publisher: PublishingScheduler | null): boolean =>
    only === undefined || publisher === only;
  const stops: (() => void)[] = [];
  if (options.traces !== false) {
    const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE, VERSION);
    stops.push(traceChannels(tracer, accepts, { storeSpans: options.storeSpans ?? false }));
  }
  if (options.metrics !== false) {
    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE, VERSION);
    stops.push(
      recordMetrics(meter, {
        accepts,
        labelJobIds: options.labelJobIds ?? false,
        scheduler: only,
        jobstores: options.jobstores ?? ['default'],
        staleAfterMs: (options.staleNodeAfter ?? 60) * 1000,
        jobCounts: options.jobCounts ?? true,
      }),
    );
  }
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      for (const stop of stops) stop();
    },
  };
}
