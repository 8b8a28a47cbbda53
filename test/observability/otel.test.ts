/**
 * `horarium/otel` on real schedulers, with the OpenTelemetry SDK's in-memory
 * exporters: a span per run with its `horarium.*` attributes and outcome,
 * spans made inside a run nested under it, claim and commit spans on a shared
 * store, and the metrics of the scenario.
 */
import { context, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  MemoryJobStore,
  silentLogger,
} from '../../src/index.ts';
import { type HorariumInstrumentation, instrumentHorarium } from '../../src/otel.ts';
import {
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';
import { EXPECTED, gate, registerScenarioTasks, runScenario } from './scenario.ts';

const sqlite = BETTER_SQLITE3_SAFE
  ? durableBackends.SQLite
  : durableBackends['SQLite (node:sqlite)'];
const reasons = await reachability([sqlite]);

let spans: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let metricExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;
const instrumentations: HorariumInstrumentation[] = [];
const schedulers: AsyncScheduler[] = [];
const targets: DurableStoreTarget[] = [];

beforeEach(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  spans = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  meterProvider = new MeterProvider({ readers: [reader] });
});

afterEach(async () => {
  for (const instrumentation of instrumentations.splice(0)) instrumentation.disable();
  for (const scheduler of schedulers.splice(0))
    if (scheduler.running) await scheduler.shutdown({ wait: false });
  for (const target of targets.splice(0)) await target.cleanup();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  context.disable();
});

function instrument(scheduler?: AsyncScheduler): void {
  instrumentations.push(
    instrumentHorarium({
      tracerProvider,
      meterProvider,
      ...(scheduler === undefined ? {} : { scheduler }),
    }),
  );
}

function newScheduler(jobstore: JobStore = new MemoryJobStore()): AsyncScheduler {
  const scheduler = new AsyncScheduler({
    jobstores: { default: jobstore },
    logger: silentLogger,
    storePollInterval: 0.2,
    ...(jobstore instanceof MemoryJobStore ? {} : { cluster: { nodeId: 'traced', runLease: 0.9 } }),
  });
  schedulers.push(scheduler);
  return scheduler;
}

/** The metrics as the reader collects them now. */
async function collect(): Promise<MetricData[]> {
  await reader.forceFlush();
  const exported = metricExporter.getMetrics().at(-1);
  return exported?.scopeMetrics.flatMap((scope) => scope.metrics) ?? [];
}

/** The sum of a counter's (or a gauge's) points whose attributes include `attributes`. */
function sum(metrics: MetricData[], name: string, attributes: Record<string, string> = {}): number {
  const metric = metrics.find((m) => m.descriptor.name === name);
  if (metric === undefined) return 0;
  let total = 0;
  for (const point of metric.dataPoints) {
    if (!Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
      continue;
    total +=
      metric.dataPointType === DataPointType.HISTOGRAM
        ? (point.value as { count: number }).count
        : (point.value as number);
  }
  return total;
}

function runSpans(): ReadableSpan[] {
  return spans.getFinishedSpans().filter((span) => span.name.startsWith('horarium.run '));
}

function parentOf(span: ReadableSpan): SpanContext | undefined {
  return (span as ReadableSpan & { parentSpanContext?: SpanContext }).parentSpanContext;
}

describe('instrumentHorarium on a memory store', () => {
  it('makes a root INTERNAL span per run with its attributes and outcome, and records the metrics', async () => {
    const scheduler = newScheduler();
    instrument(scheduler);
    const { promise, open } = gate();
    registerScenarioTasks(scheduler, promise);
    await scheduler.start();
    await runScenario(scheduler, open);
    await scheduler.addJob('ok', 'interval', { id: 'hourly', hours: 1 });

    const runs = runSpans();
    // Named by the job's name: the catch-up job runs the task `ok`, so it is named `ok` too.
    expect(runs.map((span) => span.name).sort()).toEqual([
      'horarium.run boom',
      'horarium.run busy',
      'horarium.run hang',
      'horarium.run ok',
      'horarium.run ok',
    ]);
    for (const span of runs) {
      expect(span.kind).toBe(0); // INTERNAL
      expect(parentOf(span)).toBeUndefined();
      expect(span.attributes).toMatchObject({
        'horarium.jobstore': 'default',
        'horarium.executor': 'default',
        'horarium.node.id': scheduler.nodeId,
        'horarium.fence': 0,
        'horarium.fire.id': expect.any(String),
        'horarium.scheduled_time': expect.any(Number),
        'horarium.lag_ms': expect.any(Number),
      });
    }
    const byJob = (id: string) => runs.find((span) => span.attributes['horarium.job.id'] === id);
    expect(byJob('ok')?.attributes).toMatchObject({
      'horarium.job.name': 'ok',
      'code.function.name': 'ok',
      'horarium.run.outcome': 'succeeded',
    });
    expect(byJob('ok')?.status.code).toBe(0); // UNSET
    expect(byJob('boom')?.attributes).toMatchObject({
      'horarium.run.outcome': 'failed',
      'error.type': 'TypeError',
    });
    expect(byJob('boom')?.status).toEqual({ code: 2, message: 'boom' }); // ERROR
    expect(byJob('boom')?.events.map((event) => event.name)).toEqual(['exception']);
    expect(byJob('hang')?.attributes).toMatchObject({
      'horarium.run.outcome': 'timed_out',
      'error.type': 'JobTimeoutError',
    });
    // The catch-up's run is the last of its ten slots.
    expect(byJob('catchup')?.attributes['horarium.lag_ms']).toBeGreaterThan(10_000);
    // No claim spans on a store without a ledger.
    expect(
      spans.getFinishedSpans().filter((span) => !span.name.startsWith('horarium.run ')),
    ).toEqual([]);

    const metrics = await collect();
    for (const [outcome, count] of Object.entries(EXPECTED.runs))
      expect(sum(metrics, 'horarium.runs', { 'horarium.outcome': outcome }), outcome).toBe(count);
    for (const [disposition, count] of Object.entries(EXPECTED.fires))
      expect(
        sum(metrics, 'horarium.fires', { 'horarium.disposition': disposition }),
        disposition,
      ).toBe(count);
    expect(sum(metrics, 'horarium.coalesced_slots')).toBe(EXPECTED.coalescedSlots);
    expect(sum(metrics, 'horarium.fire.lag', { 'horarium.jobstore': 'default' })).toBe(5);
    expect(sum(metrics, 'horarium.run.duration')).toBe(5);
    expect(sum(metrics, 'horarium.running_runs')).toBe(0);
    expect(sum(metrics, 'horarium.jobs', { 'horarium.state': 'scheduled' })).toBe(1);
    expect(sum(metrics, 'horarium.cluster.nodes', { 'horarium.jobstore': 'default' })).toBe(1);
    expect(sum(metrics, 'horarium.clock.skew')).toBe(0);
    const lag = metrics.find((metric) => metric.descriptor.name === 'horarium.fire.lag');
    expect(lag?.descriptor.unit).toBe('s');
  }, 60_000);

  it('makes the spans started inside a run its children', async () => {
    const scheduler = newScheduler();
    instrument();
    const app = tracerProvider.getTracer('app');
    scheduler.registerTask('query', () => {
      app.startSpan('SELECT 1').end();
    });
    await scheduler.start();
    const done = new Promise<void>((resolve) =>
      scheduler.addListener(() => resolve(), EVENT_JOB_EXECUTED),
    );
    await scheduler.addJob('query', 'date', { id: 'query', runDate: new Date() });
    await done;
    const [run] = runSpans();
    const inner = spans.getFinishedSpans().find((span) => span.name === 'SELECT 1');
    expect(run?.name).toBe('horarium.run query');
    expect(parentOf(inner as ReadableSpan)?.spanId).toBe(run?.spanContext().spanId);
    expect(inner?.spanContext().traceId).toBe(run?.spanContext().traceId);
    // Outside the run, nothing is current.
    expect(trace.getActiveSpan()).toBeUndefined();
  }, 30_000);

  it('observes only the scheduler it is given, and nothing once disabled', async () => {
    const watched = newScheduler();
    const other = newScheduler();
    instrument(watched);
    for (const scheduler of [watched, other]) {
      scheduler.registerTask('ok', () => 'done');
      await scheduler.start();
    }
    const ran = (scheduler: AsyncScheduler) =>
      new Promise<void>((resolve) => scheduler.addListener(() => resolve(), EVENT_JOB_EXECUTED));
    let runs = [ran(watched), ran(other)];
    await watched.addJob('ok', 'date', { id: 'watched', runDate: new Date() });
    await other.addJob('ok', 'date', { id: 'other', runDate: new Date() });
    await Promise.all(runs);
    expect(runSpans().map((span) => span.attributes['horarium.job.id'])).toEqual(['watched']);
    instrumentations.pop()?.disable();
    runs = [ran(watched)];
    await watched.addJob('ok', 'date', { id: 'after', runDate: new Date() });
    await Promise.all(runs);
    expect(runSpans()).toHaveLength(1);
  }, 30_000);
});

describe('instrumentHorarium with storeSpans', () => {
  it('makes a span per store operation, named after it', async () => {
    const scheduler = newScheduler();
    instrumentations.push(instrumentHorarium({ tracerProvider, meterProvider, storeSpans: true }));
    scheduler.registerTask('ok', () => 'done');
    await scheduler.start();
    await scheduler.addJob('ok', 'interval', { id: 'hourly', hours: 1 });
    await scheduler.pauseJob('hourly');
    const names = new Set(spans.getFinishedSpans().map((span) => span.name));
    expect(names).toContain('horarium.store lookupJob');
    expect(names).toContain('horarium.store updateJob');
    const update = spans
      .getFinishedSpans()
      .find((span) => span.name === 'horarium.store updateJob');
    expect(update?.attributes).toMatchObject({
      'horarium.jobstore': 'default',
      'horarium.store.operation': 'updateJob',
      'horarium.job.id': 'hourly',
    });
  }, 30_000);
});

describeBackend('instrumentHorarium on SQLite', sqlite, reasons.get(sqlite.name), () => {
  it('makes claim and commit spans, and run spans carrying their ledger fire and fencing token', async () => {
    const target = await sqlite.create();
    targets.push(target);
    const scheduler = newScheduler(openStore(target));
    instrument(scheduler);
    const { promise, open } = gate();
    registerScenarioTasks(scheduler, promise);
    await scheduler.start();
    await runScenario(scheduler, open);

    const finished = spans.getFinishedSpans();
    const commits = finished.filter((span) => span.name === 'horarium.commit');
    const claims = finished.filter((span) => span.name === 'horarium.claim');
    expect(commits.length).toBeGreaterThan(0);
    expect(claims.length).toBeGreaterThanOrEqual(commits.length);
    for (const span of [...claims, ...commits]) {
      expect(span.attributes).toMatchObject({
        'horarium.jobstore': 'default',
        'horarium.node.id': 'traced',
        'horarium.claim.limit': expect.any(Number),
        'horarium.claim.jobs': expect.any(Number),
      });
      expect(parentOf(span)).toBeUndefined();
    }
    expect(
      commits.reduce(
        (total, span) => total + Number(span.attributes['horarium.commit.lost_jobs']),
        0,
      ),
    ).toBe(0);
    const runs = runSpans();
    expect(runs).toHaveLength(5);
    for (const span of runs) {
      expect(span.attributes['horarium.fence']).toBeGreaterThan(0);
      expect(span.attributes['horarium.fire.id']).toMatch(/^[0-9a-f]{32}$/);
    }
    const metrics = await collect();
    expect(sum(metrics, 'horarium.claims', { 'horarium.result': 'won' })).toBe(7);
    expect(sum(metrics, 'horarium.runs')).toBe(5);
  }, 60_000);
});
