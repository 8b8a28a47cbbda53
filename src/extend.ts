/**
 * `horarium/extend`: the entry point for authors of job stores, executors and
 * trigger types. It holds the contracts they implement, the registries that
 * make a type usable by name in a configuration, and the helpers the
 * built-in stores and executors use, so that a third-party one is written
 * against the same contracts with the same tools. Everything an application
 * needs is in `horarium` (the root): extensions import `Job`, `Trigger`,
 * the events and `HorariumError` from there.
 *
 * A name is in both entry points only when applications and extensions both
 * need it: the errors of the contracts (the last group below), which
 * extensions throw and applications catch. `test/exports.test.ts` lists every
 * name of both.
 *
 * @module horarium/extend
 */

// Configuration: the plugin registries, and option checks that name the key at fault

export {
  type CoerceNumberOptions,
  coerceBoolean,
  coerceNullableNumber,
  coerceNumber,
} from './config/coerce.ts';
export { checkOptionNames } from './config/suggest.ts';
export {
  type ExecutorFactory,
  type JobStoreFactory,
  type PluginContext,
  registerExecutorType,
  registerJobStoreType,
} from './scheduler/plugins.ts';

// Job stores: the contract, and the stored form of a job

// JsonValue is the type of `JobDocument.args`: the arguments as the value codec encodes them.
export type { JsonObject, JsonValue } from './jobs/codec.ts';
export {
  type JobDocument,
  jobToDocument,
  parseJobState,
  readJobDocument,
  serializeJob,
  type UnresolvedJobState,
} from './jobs/serialization.ts';
export type { JobSizeLimit } from './stores/errors.ts';
// The job change log every built-in store keeps (`store.jobChanges`).
export {
  checkJobChange,
  InvalidJobChangeError,
  type JobChange,
  type JobChangeKind,
  type JobChangeLog,
  type JobChangeQuery,
  type NewJobChange,
} from './stores/job-changes.ts';
// The cluster ledger a persistent store adds so that several schedulers may share it
// (its FireRecord and FireState are the application's too: the root exports them).
export type {
  Claim,
  ClaimedJob,
  ClaimOptions,
  ClusterLedger,
  CommitOptions,
  CommitResult,
  FireOutcome,
  FirePosition,
  FireQuery,
  FireUpdate,
  JobCommit,
  NewFire,
  NodeRecord,
  PurgeOptions,
  PurgeResult,
  ReapOptions,
  ReapResult,
  RecoveredFire,
} from './stores/ledger.ts';
export { PURGE_START } from './stores/ledger.ts';
export type { JobStore, RestoreFailure, StoreContext } from './stores/store.ts';

// Executors: the contract, the base class of the built-in ones, and a job's run

export { BaseExecutor } from './executors/base.ts';
export type {
  Executor,
  ExecutorContext,
  FireChange,
  RunFire,
  SubmitOptions,
} from './executors/executor.ts';
export { type JobRun, runAsCurrentJob } from './jobs/current-job.ts';
export { type ParsedReference, parseReference } from './jobs/job-ref.ts';

// Triggers: the registry that restores stored trigger states

export { registerTrigger, type TriggerRestorer, triggerFromJSON } from './triggers/registry.ts';

// Errors the contracts name. All but MaxInstancesReachedError and
// ExecutorNotRunningError (which the scheduler handles) are also in the root:
// applications catch what extensions throw.

export { ConfigurationError } from './config/errors.ts';
export {
  ExecutorNotRunningError,
  JobCancelledError,
  JobTimeoutError,
  MaxInstancesReachedError,
} from './executors/executor.ts';
export {
  DeserializationError,
  InvalidJobOptionError,
  SerializationError,
} from './jobs/errors.ts';
export {
  ConflictingIdError,
  JobLookupError,
  JobTooLargeError,
  StoreReplyError,
  StoreSetupError,
} from './stores/errors.ts';
export { InvalidTriggerError, TriggerRestoreError } from './triggers/errors.ts';
