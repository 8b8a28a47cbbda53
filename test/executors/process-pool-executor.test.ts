import { ProcessPoolExecutor } from '../../src/index.ts';
import { describePoolExecutor } from '../fixtures/pool-executor-cases.ts';
import * as poolJobs from '../fixtures/pool-executor-jobs.ts';
import { contractJobsFromModule, describeExecutorContract } from './executor-contract.ts';

const jobs = contractJobsFromModule(poolJobs, poolJobs.POOL_JOBS_MODULE);

describeExecutorContract(
  'ProcessPoolExecutor',
  () =>
    new ProcessPoolExecutor({
      maxWorkers: 2,
      abortGracePeriod: 0.25,
      killGracePeriod: 1,
      preload: [poolJobs.POOL_JOBS_MODULE],
    }),
  jobs,
);

describePoolExecutor(
  'ProcessPoolExecutor',
  'processpool',
  (options) =>
    new ProcessPoolExecutor({
      maxWorkers: 2,
      abortGracePeriod: 0.25,
      killGracePeriod: 1,
      ...options,
    }),
);
