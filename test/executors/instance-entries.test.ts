/**
 * BaseExecutor keeps a job's instance entry between its runs and, at least a
 * minute and 1,024 new entries after the previous sweep, sweeps the entries of
 * jobs with nothing running that did not run since; copies of a job made for
 * its next runs find the entry through the job. Instance counts must hold
 * across sweeps, and jobs that come and go must not leave their entries behind.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { instanceEntryCount } from '../../src/executors/base.ts';
import { MaxInstancesReachedError } from '../../src/extend.ts';
import { AsyncExecutor } from '../../src/index.ts';
import { CONTRACT_EXECUTOR_ALIAS, makeContractJob, RecordingContext } from './executor-contract.ts';

const SWEEP_AFTER_ENTRIES = 1024;
const SWEEP_AFTER_S = 60;

/** Moves the wall clock on (only `Date` is faked: the runs' promises and timers are real). */
function elapse(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

describe('BaseExecutor instance entries', () => {
  let executor: AsyncExecutor;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    executor = new AsyncExecutor();
    await executor.start(new RecordingContext(), CONTRACT_EXECUTOR_ALIAS);
  });

  afterEach(async () => {
    await executor.shutdown({ wait: false });
    vi.useRealTimers();
  });

  it('counts running instances of a job and its copies across sweeps of idle entries', async () => {
    let release: () => void = () => {};
    const pending = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waits = { func: () => pending, funcRef: null };
    const quick = { func: () => 1, funcRef: null };
    const running = makeContractJob(waits, [], { id: 'running', maxInstances: 1 });
    executor.submitJob(running, [new Date()]);
    // A copy for the next run time shares the job's memo: still one instance of the same job.
    const runningCopy = running.withNextRunTime(new Date(Date.now() + 1000));
    expect(() => executor.submitJob(runningCopy, [new Date()])).toThrow(MaxInstancesReachedError);

    // An idle job whose copy remembers its entry, then more new jobs than a sweep waits for.
    const idle = makeContractJob(quick, [], { id: 'idle', maxInstances: 1 });
    const idleCopy = idle.withNextRunTime(new Date(Date.now() + 1000));
    executor.submitJob(idleCopy, [new Date()]);
    expect(executor.runningInstances('idle')).toBe(0);
    // Two sweeps: the idle job ran in the period before the first, not since.
    for (let i = 0; i < 3 * SWEEP_AFTER_ENTRIES; i++) {
      if (i % SWEEP_AFTER_ENTRIES === 0) elapse(SWEEP_AFTER_S);
      executor.submitJob(makeContractJob(quick, [], { id: `other-${i}` }), [new Date()]);
    }

    // The running job's entry survived the sweep; the idle one's was swept and is made anew.
    expect(executor.runningInstances('running')).toBe(1);
    expect(() => executor.submitJob(runningCopy.withNextRunTime(null), [new Date()])).toThrow(
      MaxInstancesReachedError,
    );
    executor.submitJob(idleCopy.withNextRunTime(null), [new Date()]);
    expect(executor.runningInstances('idle')).toBe(0);

    release();
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
    expect(executor.runningInstances('running')).toBe(0);
    executor.submitJob(runningCopy, [new Date()]);
    expect(executor.runningInstances('running')).toBe(1);
  });

  it('keeps the entries bounded however many jobs come and go beside those that keep running', () => {
    const quick = { func: () => 1, funcRef: null };
    const recurring = Array.from({ length: 10 }, (_, i) =>
      makeContractJob(quick, [], { id: `recurring-${i}`, maxInstances: 1 }),
    );
    const perSecond = 100;
    let most = 0;
    // 50,000 jobs that each run once (added, run, removed), 100 a second, among 10 that run every second.
    for (let i = 0; i < 50_000; i++) {
      if (i % perSecond === 0) {
        elapse(1);
        for (const job of recurring) executor.submitJob(job, [new Date()]);
      }
      executor.submitJob(makeContractJob(quick, [], { id: `once-${i}` }), [new Date()]);
      most = Math.max(most, instanceEntryCount(executor));
    }
    // At most the jobs of two sweep periods (a minute and a second each) and those that keep running.
    expect(most).toBeLessThanOrEqual(2 * (SWEEP_AFTER_S + 1) * perSecond + recurring.length);
  });
});
