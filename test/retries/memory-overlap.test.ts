/**
 * The overlap option on the memory store, on a scheduler driven by fake
 * timers: 'queue' runs the latest refused fire as soon as the running
 * instance ends; 'replace' aborts the running instance through its signal and
 * starts the newer fire; 'skip' skips, as before.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AsyncScheduler, currentJob, type OverlapPolicy, silentLogger } from '../../src/index.ts';

const T0 = Date.parse('2026-05-04T09:00:00Z');
let live: AsyncScheduler[] = [];

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  for (const s of live) if (s.running) await s.shutdown({ wait: false });
  live = [];
  vi.useRealTimers();
});

/** A job every 10 s whose runs last `runMs` (ending early when aborted); returns what ran when. */
async function slowJob(
  overlap: OverlapPolicy,
  runMs: number,
): Promise<AsyncScheduler & { seen: string[] }> {
  const s = new AsyncScheduler({ logger: silentLogger, timezone: 'UTC' });
  live.push(s);
  const seen: string[] = [];
  await s.start();
  await s.addJob(
    async () => {
      const job = currentJob();
      if (job === undefined) return;
      const name = `${(job.scheduledRunTime.getTime() - T0) / 1000}`;
      seen.push(`${name} starts @${(Date.now() - T0) / 1000}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, runMs);
        job.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          seen.push(
            `${name} aborted @${(Date.now() - T0) / 1000}: ${(job.signal.reason as Error).name}`,
          );
          resolve();
        });
      });
    },
    'interval',
    { id: 'slow', seconds: 10, startDate: new Date(T0 + 10_000), overlap },
  );
  return Object.assign(s, { seen });
}

describe('overlap on the memory store', () => {
  it("'queue' runs the refused fire as soon as the instance ends", async () => {
    const s = await slowJob('queue', 15_000);
    await vi.advanceTimersByTimeAsync(45_000);
    expect(s.seen).toEqual(['10 starts @10', '20 starts @25', '30 starts @40']);
    const { fires } = await s.getFires({ jobId: 'slow' });
    expect(fires.map((f) => `${(f.scheduledTime - T0) / 1000} ${f.state}`)).toEqual([
      '40 queued',
      '30 running',
      '20 succeeded',
      '10 succeeded',
    ]);
  });

  it("'replace' aborts the running instance and starts the newer fire", async () => {
    const s = await slowJob('replace', 100_000);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(s.seen).toEqual(['10 starts @10', '10 aborted @20: JobCancelledError', '20 starts @20']);
    const { fires } = await s.getFires({ jobId: 'slow' });
    expect(fires.map((f) => `${(f.scheduledTime - T0) / 1000} ${f.state}`)).toEqual([
      '20 running',
      '10 cancelled',
    ]);
  });

  it("'skip' skips the fire, as without the option", async () => {
    const s = await slowJob('skip', 15_000);
    await vi.advanceTimersByTimeAsync(35_000);
    expect(s.seen).toEqual(['10 starts @10', '30 starts @30']);
  });
});
