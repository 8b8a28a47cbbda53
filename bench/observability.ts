// What observing a scheduler costs: a real AsyncScheduler on the memory store runs a burst of
// tiny jobs, unobserved, with a no-op subscriber on every horarium:* channel (what an APM tool
// that listens costs), with horarium/prometheus registered, and with horarium/otel (spans into
// the SDK's in-memory exporter, metrics into a MeterProvider). The modes alternate round by
// round in the same process, so that changes in the machine's load hit them alike; each figure
// is the median over the rounds of the CPU time per run (user + system, this process), which
// moves far less than wall-clock time on a shared machine, and the ratio to the unobserved run.
//
// Before that, the guard every publish point runs when nobody listens, a channel's
// `hasSubscribers` read, is timed against reading a plain boolean: that guard is all an
// unobserved scheduler pays for its channels.
import type { Channel } from 'node:diagnostics_channel';
import { loadavg } from 'node:os';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import {
  AsyncScheduler,
  claimChannel,
  fireChannel,
  jobRunChannel,
  leaseChannel,
  silentLogger,
  storeChannel,
} from '../src/index.ts';
import { instrumentHorarium } from '../src/otel.ts';
import { registerMetrics } from '../src/prometheus.ts';

const JOBS = Number(process.env.BENCH_OBSERVABILITY_JOBS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_OBSERVABILITY_ROUNDS ?? 5);
const GUARD_LOOPS = 50_000_000;

type Mode = 'unobserved' | 'channels' | 'prometheus' | 'otel';
const MODES: readonly Mode[] = ['unobserved', 'channels', 'prometheus', 'otel'];

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/**
 * ns per guard read, nobody subscribed: a loop reading a channel's `hasSubscribers`, less the
 * same loop reading a plain boolean property (each loop inline, so no call is timed).
 */
function timeGuards(): Record<string, number> {
  const plain = { hasSubscribers: false };
  const time = (loop: () => number): number => {
    const start = process.hrtime.bigint();
    if (loop() !== 0) throw new Error('nobody should be subscribed');
    return Number(process.hrtime.bigint() - start) / GUARD_LOOPS;
  };
  const readPlain = () => {
    let hits = 0;
    for (let i = 0; i < GUARD_LOOPS; i++) if (plain.hasSubscribers) hits++;
    return hits;
  };
  const readChannel = () => {
    let hits = 0;
    for (let i = 0; i < GUARD_LOOPS; i++) if (fireChannel.hasSubscribers) hits++;
    return hits;
  };
  const readTracing = () => {
    let hits = 0;
    for (let i = 0; i < GUARD_LOOPS; i++) if (jobRunChannel.hasSubscribers) hits++;
    return hits;
  };
  for (const loop of [readPlain, readChannel, readTracing]) time(loop); // warm-up
  const base = time(readPlain);
  return {
    'a plain boolean property (the loop itself)': base,
    'channel.hasSubscribers (horarium:fire), above it': time(readChannel) - base,
    'tracingChannel.hasSubscribers (horarium:job), above it': time(readTracing) - base,
  };
}

/** Subscribes what `mode` observes with; returns the function that undoes it. */
function observe(mode: Mode, scheduler: AsyncScheduler): () => void {
  if (mode === 'unobserved') return () => {};
  if (mode === 'prometheus') {
    const metrics = registerMetrics(scheduler, { registry: new Registry(), jobCounts: false });
    return () => metrics.unregister();
  }
  if (mode === 'otel') {
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
    const instrumentation = instrumentHorarium({
      tracerProvider,
      meterProvider: new MeterProvider(),
      scheduler,
      jobCounts: false,
    });
    return () => instrumentation.disable();
  }
  const noop = () => {};
  const channels: Channel[] = [fireChannel as Channel, leaseChannel as Channel];
  for (const tracing of [jobRunChannel, claimChannel, storeChannel])
    channels.push(tracing.start, tracing.end, tracing.asyncStart, tracing.asyncEnd, tracing.error);
  for (const channel of channels) channel.subscribe(noop);
  return () => {
    for (const channel of channels) channel.unsubscribe(noop);
  };
}

/** CPU µs per run of a burst of JOBS tiny jobs due at once. */
async function burst(mode: Mode): Promise<number> {
  const scheduler = new AsyncScheduler({ logger: silentLogger });
  const stop = observe(mode, scheduler);
  let ran = 0;
  let allRan: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allRan = resolve;
  });
  const job = () => {
    if (++ran === JOBS) allRan();
  };
  await scheduler.start({ paused: true });
  const runDate = new Date();
  for (let i = 0; i < JOBS; i++) await scheduler.addJob(job, 'date', { runDate });
  const before = process.cpuUsage();
  scheduler.resume();
  await done;
  const cpu = process.cpuUsage(before);
  await scheduler.shutdown();
  stop();
  return (cpu.user + cpu.system) / JOBS;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(): Promise<void> {
  console.log(`node ${process.version}, load average ${load()}`);
  const guards = timeGuards();
  console.log(
    `\nThe guard of a publish point, nobody subscribed (${GUARD_LOOPS.toLocaleString('en-US')} reads):`,
  );
  for (const [what, ns] of Object.entries(guards))
    console.log(`  ${what.padEnd(56)} ${ns.toFixed(2)} ns`);

  console.log(
    `\nA burst of ${JOBS.toLocaleString('en-US')} tiny jobs through a started scheduler (memory store), ${ROUNDS} rounds:`,
  );
  await burst('unobserved'); // warm-up
  const samples = new Map<Mode, number[]>(MODES.map((mode) => [mode, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) samples.get(mode)?.push(await burst(mode));
  }
  const base = median(samples.get('unobserved') ?? []);
  console.log(`  ${'mode'.padEnd(12)} ${'CPU µs/run'.padStart(11)} ${'× unobserved'.padStart(13)}`);
  for (const mode of MODES) {
    const value = median(samples.get(mode) ?? []);
    console.log(
      `  ${mode.padEnd(12)} ${value.toFixed(2).padStart(11)} ${(value / base).toFixed(2).padStart(13)}`,
    );
  }
  console.log(`load average after: ${load()}`);
}
