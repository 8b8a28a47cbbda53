// Every contract test starts a fresh executor: preloading the job module makes its processes
// ready before the test's clock starts, and short grace periods let the processes of the
// previous test (shut down without waiting) go quickly.
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
      abortGracePeriod: 0.1,
      killGracePeriod: 0.5,
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
