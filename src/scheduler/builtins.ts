/**
 * The built-in job store and executor types, registered in one place: stores
 * and executors know nothing of the registry, and this table is the whole
 * list of what a `{ type: '…' }` entry can name out of the box. Drivers and
 * pool libraries load only when a store or executor of their type starts.
 */
import { checkOptionNames } from '../config/suggest.ts';
import { AsyncExecutor } from '../executors/async/async-executor.ts';
import { processPoolExecutorFromConfig } from '../executors/process-pool/process-pool-executor.ts';
import { threadPoolExecutorFromConfig } from '../executors/thread-pool/thread-pool-executor.ts';
import { registerErrorClasses } from '../executors/worker/error-classes.ts';
import { MemoryJobStore } from '../stores/memory/memory-store.ts';
import { mongoJobStoreFromConfig } from '../stores/mongodb/mongo-store.ts';
import { redisJobStoreFromConfig } from '../stores/redis/redis-store.ts';
import { sqlJobStoreFromConfig } from '../stores/sql/sql-store.ts';
import {
  DuplicateAliasError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  UnknownAliasError,
} from './errors.ts';
import { registerExecutorType, registerJobStoreType } from './plugins.ts';

registerJobStoreType('memory', (options, { key }) => {
  checkOptionNames(key, options, ['fireHistory'], 'memory job store option');
  const fireHistory = options.fireHistory;
  if (fireHistory === undefined) return new MemoryJobStore();
  const rows =
    typeof fireHistory === 'string' && fireHistory.trim() !== ''
      ? Number(fireHistory)
      : fireHistory;
  return new MemoryJobStore({ fireHistory: rows as number }, `${key}.fireHistory`);
});
registerJobStoreType('sql', (options, { key }) => sqlJobStoreFromConfig(options, key));
registerJobStoreType('redis', (options, { key }) => redisJobStoreFromConfig(options, key));
registerJobStoreType('mongodb', (options, { key }) => mongoJobStoreFromConfig(options, key));

registerExecutorType('async', (options, { key }) => {
  checkOptionNames(key, options, [], 'async executor option');
  return new AsyncExecutor();
});
registerExecutorType('threadpool', (options, { key }) =>
  threadPoolExecutorFromConfig(options, key),
);
registerExecutorType('processpool', (options, { key }) =>
  processPoolExecutorFromConfig(options, key),
);

// Thrown inside a worker (a job that drives a scheduler of its own), these arrive as their class.
registerErrorClasses([
  DuplicateAliasError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  UnknownAliasError,
]);
