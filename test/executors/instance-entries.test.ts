/**
 * BaseExecutor keeps a job's instance entry between its runs and sweeps idle
 * entries every 65,536 new ones; copies of a job made for its next runs find
 * the entry through the job. Instance counts must hold across sweeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MaxInstancesReachedError } from '../../src/extend.ts';
import { AsyncExecutor } from '../../src/index.ts';
import { CONTRACT_EXECUTOR_ALIAS, makeContractJob, RecordingContext } from './executor-contract.ts';

const SWEEP_EVERY = 65_536;

describe('BaseExecutor instance entries', () => {
  let executor: AsyncExecutor;

  beforeEach(async () => {
    executor = new AsyncExecutor();
    await executor.start(new RecordingContext(), CONTRACT_EXECUTOR_ALIAS);
  });

  afterEach(async () => {
    await executor.shutdown({ wait: false });
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
    for (let i = 0; i < SWEEP_EVERY + 10; i++) {
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
});
