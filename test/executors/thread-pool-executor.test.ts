// Every contract test starts a fresh executor: preloading the job module makes its workers ready
// before the test's clock starts, and a short grace period lets the workers of the previous test
// (shut down without waiting) go quickly.
import { describe, expect, it } from 'vitest';
import { ThreadPoolExecutor } from '../../src/executors/thread-pool/thread-pool-executor.ts';
import { ConfigurationError } from '../../src/index.ts';
import { describePoolExecutor } from '../fixtures/pool-executor-cases.ts';
import * as poolJobs from '../fixtures/pool-executor-jobs.ts';
import { contractJobsFromModule, describeExecutorContract } from './executor-contract.ts';

const jobs = contractJobsFromModule(poolJobs, poolJobs.POOL_JOBS_MODULE);

describeExecutorContract(
  'ThreadPoolExecutor',
  () =>
    new ThreadPoolExecutor({
      maxWorkers: 2,
      abortGracePeriod: 0.1,
      preload: [poolJobs.POOL_JOBS_MODULE],
    }),
  jobs,
);

describePoolExecutor(
  'ThreadPoolExecutor',
  'threadpool',
  (options) => new ThreadPoolExecutor({ maxWorkers: 2, abortGracePeriod: 0.25, ...options }),
);

describe('ThreadPoolExecutor options', () => {
  it('refuses an old-generation limit too small for a worker to be set up in, naming the option', () => {
    const make = (mb: number): ThreadPoolExecutor =>
      new ThreadPoolExecutor({ resourceLimits: { maxOldGenerationSizeMb: mb } });
    expect(() => make(1)).toThrow(ConfigurationError);
    expect(() => make(3.5)).toThrow(/resourceLimits\.maxOldGenerationSizeMb/);
    expect(make(4).maxWorkers).toBe(10);
    expect(
      new ThreadPoolExecutor({ resourceLimits: { maxYoungGenerationSizeMb: 1 } }),
    ).toBeInstanceOf(ThreadPoolExecutor);
  });
});
