/**
 * OpenTelemetry spans from the `horarium:*` tracing channels: `horarium.run
 * <job>` for each run, `horarium.claim` and `horarium.commit` around claims on
 * shared stores, and (optionally) `horarium.store <operation>` around store
 * operations. All are INTERNAL spans at the root of their trace: a recurring
 * job's runs are not children of whatever request added the job.
 *
 * When the global context manager keeps its context in an AsyncLocalStorage
 * (the Node SDK's AsyncLocalStorageContextManager), the span is bound to the
 * channel's `start` store, so spans made inside a run (a database query, an
 * HTTP call) and inside a claim (the driver's own spans) become its children.
 * That storage is not public API of OpenTelemetry; without it the spans are
 * still made, only not parents.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Channel, TracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  type Context,
  context as otelContext,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  type ClaimContext,
  claimChannel,
  type JobRunContext,
  jobRunChannel,
  type PublishingScheduler,
  type StoreOperationContext,
  storeChannel,
} from '../../tracing/channels.ts';

/** A traced call's context as the channels pass it. */
type Traced = { scheduler: PublishingScheduler | null; error?: unknown };

/** What the spans of one TracingChannel are made of. */
interface SpanDesign<C extends Traced> {
  readonly channel: TracingChannel<unknown, C>;
  /** Makes the span when the call starts. */
  start(context: C): Span;
  /** Adds what the call's end says (its results, its outcome). */
  finish(span: Span, context: C): void;
  /** The call ends with `asyncEnd` only (a run), not with a synchronous throw. */
  readonly asyncOnly?: boolean;
}

/** The AsyncLocalStorage of the global context manager, if it has one. */
function contextStorage(): AsyncLocalStorage<Context> | undefined {
  const api = otelContext as unknown as { _getContextManager?: () => unknown };
  const manager = api._getContextManager?.() as { _asyncLocalStorage?: unknown } | undefined;
  const storage = manager?._asyncLocalStorage;
  return storage instanceof AsyncLocalStorage ? (storage as AsyncLocalStorage<Context>) : undefined;
}

function errorType(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function runAttributes(run: JobRunContext): Attributes {
  const attributes: Attributes = {
    'horarium.job.id': run.jobId,
    'horarium.job.name': run.jobName,
    'horarium.executor': run.executor,
    'horarium.scheduled_time': run.scheduledRunTime.getTime(),
    'horarium.fire.id': run.fireId,
    'horarium.fence': run.fencingToken,
    'horarium.lag_ms': run.lagMs,
  };
  if (run.jobstore !== null) attributes['horarium.jobstore'] = run.jobstore;
  if (run.funcRef !== null) attributes['code.function.name'] = run.funcRef;
  if (run.recovering) attributes['horarium.recovering'] = true;
  if (run.scheduler !== null) attributes['horarium.node.id'] = run.scheduler.nodeId;
  return attributes;
}

function failed(span: Span, error: unknown): void {
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
  if (error instanceof Error) span.recordException(error);
}

/** Subscribes the span designs; returns the function that unsubscribes. */
export function traceChannels(
  tracer: Tracer,
  accepts: (scheduler: PublishingScheduler | null) => boolean,
  options: { readonly storeSpans: boolean },
): () => void {
  const runs: SpanDesign<JobRunContext> = {
    channel: jobRunChannel,
    asyncOnly: true,
    start: (run) =>
      tracer.startSpan(
        `horarium.run ${run.jobName === '' ? run.jobId : run.jobName}`,
        { kind: SpanKind.INTERNAL, attributes: runAttributes(run), startTime: run.startedAt },
        ROOT_CONTEXT,
      ),
    finish(span, run) {
      span.setAttribute('horarium.run.outcome', run.outcome ?? 'succeeded');
      if (run.outcome !== undefined && run.outcome !== 'succeeded') failed(span, run.error);
    },
  };
  const claims: SpanDesign<ClaimContext> = {
    channel: claimChannel,
    start: (claim) =>
      tracer.startSpan(
        `horarium.${claim.operation}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'horarium.jobstore': claim.jobstore,
            'horarium.claim.limit': claim.limit,
            ...(claim.scheduler === null ? {} : { 'horarium.node.id': claim.scheduler.nodeId }),
          },
        },
        ROOT_CONTEXT,
      ),
    finish(span, claim) {
      if (claim.jobs !== undefined) span.setAttribute('horarium.claim.jobs', claim.jobs);
      if (claim.lostJobs !== undefined)
        span.setAttribute('horarium.commit.lost_jobs', claim.lostJobs);
      if (claim.wonFires !== undefined)
        span.setAttribute('horarium.commit.won_fires', claim.wonFires);
      if (claim.error !== undefined) failed(span, claim.error);
    },
  };
  const stores: SpanDesign<StoreOperationContext> = {
    channel: storeChannel,
    start: (call) =>
      tracer.startSpan(`horarium.store ${call.operation}`, {
        kind: SpanKind.INTERNAL,
        attributes: {
          'horarium.jobstore': call.jobstore,
          'horarium.store.operation': call.operation,
          'horarium.store.count': call.count,
          ...(call.jobId === null ? {} : { 'horarium.job.id': call.jobId }),
        },
      }),
    finish(span, call) {
      if (call.error !== undefined) failed(span, call.error);
    },
  };
  const storage = contextStorage();
  const unsubscribers = [subscribe(runs, accepts, storage), subscribe(claims, accepts, storage)];
  if (options.storeSpans) unsubscribers.push(subscribe(stores, accepts, undefined));
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

function subscribe<C extends Traced>(
  design: SpanDesign<C>,
  accepts: (scheduler: PublishingScheduler | null) => boolean,
  storage: AsyncLocalStorage<Context> | undefined,
): () => void {
  const spans = new WeakMap<object, Span>();
  // The store's transform runs before the start subscribers: whichever comes first makes the span.
  const spanOf = (context: C): Span => {
    let span = spans.get(context);
    if (span === undefined) {
      span = design.start(context);
      spans.set(context, span);
    }
    return span;
  };
  const end = (context: C): void => {
    const span = spans.get(context);
    if (span === undefined) return;
    spans.delete(context);
    design.finish(span, context);
    span.end();
  };
  const { channel } = design;
  const listeners: [Channel<unknown, C>, (message: unknown) => void][] = [
    [
      channel.start,
      (message) => {
        const context = message as C;
        if (accepts(context.scheduler)) spanOf(context);
      },
    ],
    [
      channel.end,
      (message) => {
        // A call that threw synchronously ends here; one that returned a promise ends at asyncEnd.
        const context = message as C;
        if (design.asyncOnly !== true && 'error' in context) end(context);
      },
    ],
    [channel.asyncEnd, (message) => end(message as C)],
  ];
  for (const [events, listener] of listeners) events.subscribe(listener);
  const transform = (context: C): Context =>
    accepts(context.scheduler)
      ? trace.setSpan(otelContext.active(), spanOf(context))
      : otelContext.active();
  if (storage !== undefined)
    channel.start.bindStore(storage as AsyncLocalStorage<unknown>, transform);
  return () => {
    for (const [events, listener] of listeners) events.unsubscribe(listener);
    if (storage !== undefined) channel.start.unbindStore(storage as AsyncLocalStorage<unknown>);
  };
}
