import { ThreadPoolExecutor } from '../../src/executors/thread-pool/thread-pool-executor.ts';
import { describePoolExecutor } from '../fixtures/pool-executor-cases.ts';
import * as poolJobs from '../fixtures/pool-executor-jobs.ts';
import { contractJobsFromModule, describeExecutorContract } from './executor-contract.ts';

const jobs = contractJobsFromModule(poolJobs, poolJobs.POOL_JOBS_MODULE);

describeExecutorContract(
  'ThreadPoolExecutor',
  () =>
    new ThreadPoolExecutor({
      maxWorkers: 2,
      abortGracePeriod: 0.25,
      preload: [poolJobs.POOL_JOBS_MODULE],
    }),
  jobs,
);

describePoolExecutor(
  'ThreadPoolExecutor',
  'threadpool',
  (options) => new ThreadPoolExecutor({ maxWorkers: 2, abortGracePeriod: 0.25, ...options }),
);
