/**
 * Horarium: a job scheduler for Node.js with APScheduler's model — triggers,
 * job stores, executors, schedulers and events.
 *
 * This is the entry point for applications. Authors of job stores, executors
 * and trigger types also import `horarium/extend` (`./extend.ts`): the
 * contracts, registries and helpers they write against. Every name exported
 * here is a promise kept across minor versions; `test/exports.test.ts` lists
 * them, so adding one is a reviewed decision.
 *
 * @module horarium
 */

// Schedulers

export {
  BaseScheduler,
  type SchedulerState,
  STATE_PAUSED,
  STATE_RUNNING,
  STATE_STOPPED,
} from './scheduler/base-scheduler.ts';
export { AsyncScheduler, BackgroundScheduler, BlockingScheduler } from './scheduler/schedulers.ts';

// Configuration, and the options of the scheduler's methods

export type { ShutdownOptions } from './executors/executor.ts';
export type { FireHistory } from './jobs/job-fields.ts';
export type { JobReferenceRules, ReferenceOrigin } from './jobs/reference-policy.ts';
export type { NodeInfo } from './scheduler/cluster/cluster-nodes.ts';
export type { ClusterOptions, WakeOption } from './scheduler/cluster/cluster-options.ts';
export type {
  FlatConfig,
  JobDefaults,
  NormalizeOptions,
  PluginEntry,
  SchedulerConfig,
} from './scheduler/config.ts';
export { type Excluded, readExcluded } from './scheduler/history/excluded.ts';
export type { ExplainVerdict, Explanation } from './scheduler/history/explain.ts';
export type {
  ExplainCallOptions,
  FiresPage,
  GetFiresOptions,
} from './scheduler/history/fire-history.ts';
export { type Folded, readFolded } from './scheduler/history/folded.ts';
export type { HistoryOptions } from './scheduler/history/retention-options.ts';
// ArgsOption, ArgsRequired and OptionsArgument type `addJob`'s options from the
// job function; they are exported so that declarations naming them can be written.
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
export type { TriggerAlias, TriggerArgsByAlias } from './scheduler/trigger-aliases.ts';
export type { FireRecord, FireState } from './stores/ledger.ts';

// Jobs

export { type CurrentJob, currentJob } from './jobs/current-job.ts';
export { Job, type JobChanges, type JobFunction, type JobState } from './jobs/job.ts';
export type { OverlapPolicy, RetryOptions, RetryPolicy } from './jobs/retry.ts';

// Exclusion calendars

export { AnnualCalendar, type AnnualCalendarOptions } from './calendars/annual.ts';
export type { CalendarJSON, ExclusionCalendar } from './calendars/calendar.ts';
export { CronCalendar, type CronCalendarOptions } from './calendars/cron.ts';
export { DailyCalendar, type DailyCalendarOptions } from './calendars/daily.ts';
export {
  CalendarExcludesAllError,
  CalendarRestoreError,
  InvalidCalendarError,
} from './calendars/errors.ts';
export { HolidayCalendar, type HolidayCalendarOptions } from './calendars/holiday.ts';
export { MonthlyCalendar, type MonthlyCalendarOptions } from './calendars/monthly.ts';
export { calendarFromJSON } from './calendars/restore.ts';
export { UnionCalendar, unionCalendar } from './calendars/union.ts';
export {
  type WeekdayName,
  WeeklyCalendar,
  type WeeklyCalendarOptions,
} from './calendars/weekly.ts';
export {
  type AddCalendarOptions,
  CalendarConflictError,
  type RemoveCalendarOptions,
} from './scheduler/scheduler-calendars.ts';

// Triggers

export type { DateInput } from './time/parse.ts';
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
export type { CronFieldName } from './triggers/cron/fields.ts';
export type { DayMatching } from './triggers/cron/schedule.ts';
export { DateTrigger, type DateTriggerOptions } from './triggers/date.ts';
export { IntervalTrigger, type IntervalTriggerOptions } from './triggers/interval.ts';
export type { DstPolicy, RandomSource, Trigger, TriggerJSON } from './triggers/trigger.ts';

// Job stores

export { MemoryJobStore, type MemoryJobStoreOptions } from './stores/memory/memory-store.ts';
export { MongoJobStore, type MongoJobStoreOptions } from './stores/mongodb/mongo-store.ts';
export { RedisJobStore, type RedisJobStoreOptions } from './stores/redis/redis-store.ts';
// KyselyInstance is the type of `SqlJobStoreOptions.db`: any Kysely instance.
export type {
  KyselyInstance,
  SqlDialectName,
  SqlDurability,
  SqliteDriverName,
  SqliteDurability,
} from './stores/sql/dialects.ts';
export { SqlJobStore, type SqlJobStoreOptions } from './stores/sql/sql-store.ts';

// Executors

export { AsyncExecutor } from './executors/async/async-executor.ts';
export {
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
} from './executors/process-pool/process-pool-executor.ts';
export {
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
} from './executors/thread-pool/thread-pool-executor.ts';

// The diagnostics channels (`horarium:job`, `:claim`, `:store`, `:fire`, `:lease`) and what they publish

export {
  type ClaimContext,
  claimChannel,
  type FireContext,
  type FireDisposition,
  fireChannel,
  type JobRunContext,
  jobRunChannel,
  type LeaseAction,
  type LeaseContext,
  leaseChannel,
  type PublishingScheduler,
  type RunOutcome,
  type StoreOperationContext,
  storeChannel,
} from './tracing/channels.ts';

// Events: every name of events.ts is public (event codes, event classes, eventName).

export * from './events.ts';

// Logging

export { defaultLogger, type Logger, silentLogger } from './logging.ts';

// Errors: every class a caller, a listener or a broken job's `restoreError` may meet

export { ConfigurationError } from './config/errors.ts';
export { HorariumError } from './errors.ts';
export { JobCancelledError, JobTimeoutError, LeaseLostError } from './executors/executor.ts';
export {
  UncloneableResultError,
  WorkerCrashedError,
  WorkerStartError,
} from './executors/worker/envelope.ts';
export {
  DeserializationError,
  InvalidJobOptionError,
  JobReferenceError,
  ReferenceNotAllowedError,
  type ReferenceRule,
  SerializationError,
  type SerializationErrorDetails,
} from './jobs/errors.ts';
export { NodeIdInUseError } from './scheduler/cluster/errors.ts';
export {
  DuplicateAliasError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  UnknownAliasError,
} from './scheduler/errors.ts';
export { HistoryQueryError, NoFireHistoryError } from './scheduler/history/fire-history.ts';
export {
  JobStoreStartError,
  JobStoreUnavailableError,
  StoreStartTimeoutError,
  StoreTimeoutError,
} from './scheduler/managed-store.ts';
export {
  ConflictingIdError,
  JobLookupError,
  JobTooLargeError,
  StoreReplyError,
  StoreSetupError,
} from './stores/errors.ts';
export { SqliteLockTimeoutError, SqlStoreSetupError } from './stores/sql/sql-errors.ts';
export {
  AmbiguousTimeError,
  InvalidDateError,
  NonexistentTimeError,
  UnknownTimeZoneError,
} from './time/errors.ts';
export {
  CronSyntaxError,
  InvalidTriggerError,
  MaxIterationsError,
  TriggerRestoreError,
} from './triggers/errors.ts';
