/**
 * Horarium: a job scheduler for Node.js with APScheduler's model — triggers,
 * job stores, executors, schedulers and events.
 */
export { HorariumError } from './errors.ts';
export {
  decodeValue,
  encodeValue,
  type JsonObject,
  type JsonValue,
  MAX_NESTING_DEPTH,
} from './jobs/codec.ts';
export {
  DeserializationError,
  SerializationError,
  type SerializationErrorDetails,
} from './jobs/errors.ts';
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
export {
  type CoerceNumberOptions,
  coerceBoolean,
  coerceNullableNumber,
  coerceNumber,
  type FlatConfig,
  type JobDefaults,
  type NormalizedConfig,
  type NormalizeOptions,
  normalizeConfig,
  type PluginEntry,
  type SchedulerConfig,
} from './scheduler/config.ts';
export { ConfigurationError } from './scheduler/errors.ts';
export {
  type ExecutorFactory,
  type JobStoreFactory,
  type PluginContext,
  registerExecutorType,
  registerJobStoreType,
} from './scheduler/plugins.ts';
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
