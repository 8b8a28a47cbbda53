/**
 * Retries on the memory store, on a scheduler driven by fake timers: a failed
 * run runs again after its backoff with the next attempt number, the fire's
 * one row goes claimed → retried → … → succeeded, EVENT_JOB_RETRY says when,
 * the last failure ends the fire failed, and a shutdown cancels a waiting retry.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  currentJob,
  EVENT_JOB_RETRY,
  type JobRetryEvent,
  silentLogger,
} from '../../src/index.ts';

const T0 = Date.parse('2026-05-04T09:00:00Z');
let live: AsyncScheduler[] = [];

function scheduler(): AsyncScheduler {
  const made = new AsyncScheduler({ logger: silentLogger, timezone: 'UTC' });
  live.push(made);
  return made;
}

/** A date job due at T0 + 1 s that always fails; returns how many times it ran. */
async function alwaysFailing(
  s: AsyncScheduler,
  id: string,
  retry: { attempts: number; delay: number },
): Promise<() => number> {
  let runs = 0;
  await s.start();
  await s.addJob(
    () => {
      runs++;
      throw new TypeError('always');
    },
    'date',
    { id, runDate: new Date(T0 + 1000), retry },
  );
  return () => runs;
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  for (const s of live) if (s.running) await s.shutdown({ wait: false });
  live = [];
  vi.useRealTimers();
});

describe('retries on the memory store', () => {
  it('runs a failed fire again after the backoff until it succeeds', async () => {
    const s = scheduler();
    const attempts: { attempt: number; at: number; scheduled: number }[] = [];
    const retries: JobRetryEvent[] = [];
    s.addListener((event) => {
      retries.push(event);
    }, EVENT_JOB_RETRY);
    await s.start();
    await s.addJob(
      () => {
        const job = currentJob();
        if (job === undefined) throw new Error('not a job');
        attempts.push({
          attempt: job.attempt,
          at: Date.now() - T0,
          scheduled: job.scheduledRunTime.getTime() - T0,
        });
        if (job.attempt < 3) throw new Error(`flaky ${job.attempt}`);
      },
      'date',
      { id: 'flaky', runDate: new Date(T0 + 1000), retry: { attempts: 5, delay: 2, factor: 3 } },
    );
    await vi.advanceTimersByTimeAsync(30_000);
    expect(attempts).toEqual([
      { attempt: 1, at: 1000, scheduled: 1000 },
      { attempt: 2, at: 3000, scheduled: 1000 },
      { attempt: 3, at: 9000, scheduled: 1000 },
    ]);
    expect(retries.map((e) => [e.attempt, e.retryAt.getTime() - T0])).toEqual([
      [2, 3000],
      [3, 9000],
    ]);
    expect(retries[0]?.exception).toMatchObject({ message: 'flaky 1' });
    const { fires } = await s.getFires({ jobId: 'flaky' });
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ state: 'succeeded', attempt: 3 });
  });

  it('ends the fire failed after the last attempt', async () => {
    const s = scheduler();
    const runs = await alwaysFailing(s, 'broken', { attempts: 2, delay: 1 });
    await vi.advanceTimersByTimeAsync(2500);
    let fires = (await s.getFires({ jobId: 'broken' })).fires;
    expect(fires[0]).toMatchObject({ state: 'retried', attempt: 2, errorName: 'TypeError' });
    expect(fires[0]?.leaseUntil).toBe(T0 + 4000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs()).toBe(3);
    fires = (await s.getFires({ jobId: 'broken' })).fires;
    expect(fires[0]).toMatchObject({ state: 'failed', attempt: 3, errorMessage: 'always' });
  });

  it('a due retry waits while the job runs maxInstances times', async () => {
    const s = scheduler();
    const seen: string[] = [];
    await s.start();
    await s.addJob(
      async () => {
        const job = currentJob();
        if (job === undefined) return;
        const scheduled = job.scheduledRunTime.getTime() - T0;
        seen.push(`${scheduled}#${job.attempt}@${Date.now() - T0}`);
        if (scheduled === 10_000 && job.attempt === 1) throw new Error('first fails');
        await new Promise((resolve) => setTimeout(resolve, 5000));
      },
      'interval',
      {
        id: 'busy',
        seconds: 10,
        startDate: new Date(T0 + 10_000),
        retry: { attempts: 1, delay: 12 },
      },
    );
    await vi.advanceTimersByTimeAsync(29_000);
    // The retry is due at 22 s, while the 20 s fire runs until 25 s: it starts after that.
    expect(seen.slice(0, 2)).toEqual(['10000#1@10000', '20000#1@20000']);
    const retry = seen[2] as string;
    expect(retry.startsWith('10000#2@')).toBe(true);
    const at = Number(retry.split('@')[1]);
    expect(at).toBeGreaterThanOrEqual(25_000);
    expect(at).toBeLessThanOrEqual(27_000);
  });

  it('retries a timed-out run', async () => {
    const s = scheduler();
    const seen: string[] = [];
    await s.start();
    await s.addJob(
      async () => {
        const job = currentJob();
        if (job === undefined) return;
        seen.push(`${job.scheduledRunTime.getTime() - T0}#${job.attempt}@${Date.now() - T0}`);
        if (job.attempt === 1 && job.scheduledRunTime.getTime() === T0 + 10_000)
          await new Promise((resolve) => setTimeout(resolve, 60_000));
        else await new Promise((resolve) => setTimeout(resolve, 3000));
      },
      'interval',
      {
        id: 'slow',
        seconds: 10,
        startDate: new Date(T0 + 10_000),
        timeout: 5,
        retry: { attempts: 1, delay: 1 },
      },
    );
    await vi.advanceTimersByTimeAsync(25_000);
    // 10 s: times out at 15 s, retried at 16 s (3 s run); 20 s: the regular next fire.
    expect(seen).toEqual(['10000#1@10000', '10000#2@16000', '20000#1@20000']);
    const { fires } = await s.getFires({ jobId: 'slow' });
    expect(fires.map((f) => `${f.scheduledTime - T0} ${f.state} ${f.attempt}`)).toEqual([
      '20000 succeeded 1',
      '10000 succeeded 2',
    ]);
  });

  it('a waiting retry is cancelled by a shutdown', async () => {
    const s = scheduler();
    const runs = await alwaysFailing(s, 'later', { attempts: 1, delay: 60 });
    await vi.advanceTimersByTimeAsync(2000);
    expect((await s.getFires({ jobId: 'later' })).fires[0]?.state).toBe('retried');
    await s.shutdown();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs()).toBe(1);
  });
});
