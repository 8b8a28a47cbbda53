/**
 * Horarium: a job scheduler for Node.js with APScheduler's model — triggers,
 * job stores, executors, schedulers and events.
 */

export {
  type CoerceNumberOptions,
  coerceBoolean,
  coerceNullableNumber,
  coerceNumber,
} from './config/coerce.ts';
export { ConfigurationError } from './config/errors.ts';
export { checkOptionNames } from './config/suggest.ts';
export { HorariumError } from './errors.ts';
export * from './events.ts';
export { AsyncExecutor } from './executors/async/async-executor.ts';
export { BaseExecutor, type JobRunContext, jobRunChannel } from './executors/base.ts';
export {
  type Executor,
  type ExecutorContext,
  ExecutorNotRunningError,
  JobCancelledError,
  JobTimeoutError,
  MaxInstancesReachedError,
  type ShutdownOptions,
} from './executors/executor.ts';
export {
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
} from './executors/process-pool/process-pool-executor.ts';
export {
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
} from './executors/thread-pool/thread-pool-executor.ts';
export {
  UncloneableResultError,
  WorkerCrashedError,
  WorkerStartError,
} from './executors/worker/envelope.ts';
export {
  decodeValue,
  encodeValue,
  type JsonObject,
  type JsonValue,
  MAX_NESTING_DEPTH,
} from './jobs/codec.ts';
export { type CurrentJob, currentJob } from './jobs/current-job.ts';
export {
  DeserializationError,
  InvalidJobOptionError,
  JobReferenceError,
  ReferenceNotAllowedError,
  type ReferenceRule,
  SerializationError,
  type SerializationErrorDetails,
} from './jobs/errors.ts';
export {
  Job,
  type JobChanges,
  type JobFunction,
  type JobOwner,
  type JobState,
} from './jobs/job.ts';
export type { JobReferenceRules } from './jobs/reference-policy.ts';
export {
  deserializeJob,
  JOB_STATE_VERSION,
  type JobDocument,
  jobToDocument,
  parseJobState,
  readJobDocument,
  serializeJob,
  type UnresolvedJobState,
} from './jobs/serialization.ts';
export { defaultLogger, type Logger, silentLogger } from './logging.ts';
export {
  BaseScheduler,
  type SchedulerState,
  STATE_PAUSED,
  STATE_RUNNING,
  STATE_STOPPED,
} from './scheduler/base-scheduler.ts';
export {
  type FlatConfig,
  type JobDefaults,
  type NormalizedConfig,
  type NormalizeOptions,
  normalizeConfig,
  type PluginEntry,
  type SchedulerConfig,
} from './scheduler/config.ts';
export {
  DuplicateAliasError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  UnknownAliasError,
} from './scheduler/errors.ts';
export type {
  AddJobOptionsArgument,
  ArgsOption,
  ArgsRequired,
  BaseJobOptions,
  JobOptions,
  OptionsArgument,
  StartOptions,
  TriggerArgs,
  TriggerArgument,
} from './scheduler/job-options.ts';
export type { JobsExport } from './scheduler/jobs-export.ts';
export { MAX_SLEEP_MS } from './scheduler/loop/wake-timer.ts';
export {
  JobStoreStartError,
  JobStoreUnavailableError,
  STORE_OPERATION_TIMEOUT_MS,
  StoreStartTimeoutError,
  StoreTimeoutError,
} from './scheduler/managed-store.ts';
export {
  type ExecutorFactory,
  type JobStoreFactory,
  type PluginContext,
  registerExecutorType,
  registerJobStoreType,
} from './scheduler/plugins.ts';
export { AsyncScheduler, BackgroundScheduler, BlockingScheduler } from './scheduler/schedulers.ts';
export type { TriggerAlias, TriggerArgsByAlias } from './scheduler/trigger-aliases.ts';
export {
  ConflictingIdError,
  JobLookupError,
  JobTooLargeError,
  StoreReplyError,
  StoreSetupError,
} from './stores/errors.ts';
export { MemoryJobStore } from './stores/memory/memory-store.ts';
export {
  type MongoJobDocument,
  MongoJobStore,
  type MongoJobStoreOptions,
} from './stores/mongodb/mongo-store.ts';
export { RedisJobStore, type RedisJobStoreOptions } from './stores/redis/redis-store.ts';
export {
  type KyselyInstance,
  parseSqlUrl,
  type SqlDialectName,
  type SqlDurability,
  type SqliteDriverName,
  type SqliteDurability,
  SqlStoreSetupError,
} from './stores/sql/dialects.ts';
export { SqliteLockTimeoutError } from './stores/sql/sql-errors.ts';
export { SqlJobStore, type SqlJobStoreOptions } from './stores/sql/sql-store.ts';
export type { JobStore, RestoreFailure, StoreContext } from './stores/store.ts';
export {
  daysFromCivil,
  daysInMonth,
  fieldsFromWall,
  isoWeekOfDays,
  type WallFields,
  wallFromFields,
  weekdayOfDays,
} from './time/civil.ts';
export {
  AmbiguousTimeError,
  InvalidDateError,
  NonexistentTimeError,
  UnknownTimeZoneError,
} from './time/errors.ts';
export { formatInstant, formatIso } from './time/format.ts';
export { type DateInput, parseDateInput } from './time/parse.ts';
export {
  type Disambiguation,
  FixedOffsetZone,
  getZone,
  IntlZone,
  localZoneName,
  type WallResolution,
  Zone,
} from './time/zone.ts';
export {
  CalendarIntervalTrigger,
  type CalendarIntervalTriggerOptions,
} from './triggers/calendar-interval.ts';
export {
  AndTrigger,
  type AndTriggerOptions,
  OrTrigger,
  type OrTriggerOptions,
} from './triggers/combining.ts';
export {
  type CronFieldValue,
  CronTrigger,
  type CronTriggerOptions,
  type CrontabOptions,
} from './triggers/cron/cron-trigger.ts';
export type { CronSyntax } from './triggers/cron/expressions.ts';
export type { DayMatching } from './triggers/cron/schedule.ts';
export { DateTrigger, type DateTriggerOptions } from './triggers/date.ts';
export {
  CronSyntaxError,
  InvalidTriggerError,
  MaxIterationsError,
  TriggerRestoreError,
} from './triggers/errors.ts';
export { IntervalTrigger, type IntervalTriggerOptions } from './triggers/interval.ts';
export { registerTrigger, type TriggerRestorer, triggerFromJSON } from './triggers/registry.ts';
export type { DstPolicy, RandomSource, Trigger, TriggerJSON } from './triggers/trigger.ts';
