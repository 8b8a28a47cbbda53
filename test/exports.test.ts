/**
 * The public API, name by name. Every export of `horarium`, `horarium/extend`,
 * `horarium/otel` and `horarium/prometheus` is a promise kept across minor versions, so each one is
 * listed here: adding, moving or removing an export fails this test until the
 * list is changed with it, in the same reviewed commit.
 *
 * The lists are sorted by code unit. Runtime names are what `import()` of the
 * entry point gives; type-only names are the exports the TypeScript compiler
 * sees that have no runtime value. The last test builds the package (the
 * compiler step of `npm run build`, into a scratch folder) and loads every
 * entry point by name, as an application does.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

/** `horarium`: applications. */
const ROOT_VALUES = [
  'AmbiguousTimeError',
  'AndTrigger',
  'AnnualCalendar',
  'AsyncExecutor',
  'AsyncScheduler',
  'BackgroundScheduler',
  'BaseScheduler',
  'BlockingScheduler',
  'CalendarConflictError',
  'CalendarExcludesAllError',
  'CalendarIntervalTrigger',
  'CalendarRestoreError',
  'ConfigurationError',
  'ConflictingIdError',
  'CronCalendar',
  'CronSyntaxError',
  'CronTrigger',
  'DailyCalendar',
  'DateTrigger',
  'DeserializationError',
  'DuplicateAliasError',
  'EVENT_ALL',
  'EVENT_ALL_JOBS_REMOVED',
  'EVENT_EXECUTOR_ADDED',
  'EVENT_EXECUTOR_REMOVED',
  'EVENT_JOBSTORE_ADDED',
  'EVENT_JOBSTORE_ERROR',
  'EVENT_JOBSTORE_REMOVED',
  'EVENT_JOB_ABANDONED',
  'EVENT_JOB_ADDED',
  'EVENT_JOB_CATCH_UP',
  'EVENT_JOB_ERROR',
  'EVENT_JOB_EXCLUDED',
  'EVENT_JOB_EXECUTED',
  'EVENT_JOB_LEASE_LOST',
  'EVENT_JOB_MAX_INSTANCES',
  'EVENT_JOB_MISSED',
  'EVENT_JOB_MODIFIED',
  'EVENT_JOB_REMOVED',
  'EVENT_JOB_RESTORE_FAILED',
  'EVENT_JOB_RETRY',
  'EVENT_JOB_SUBMITTED',
  'EVENT_SCHEDULER_PAUSED',
  'EVENT_SCHEDULER_RESUMED',
  'EVENT_SCHEDULER_SHUTDOWN',
  'EVENT_SCHEDULER_START',
  'EVENT_SCHEDULER_STARTED',
  'HistoryQueryError',
  'HolidayCalendar',
  'HorariumError',
  'IntervalTrigger',
  'InvalidCalendarError',
  'InvalidDateError',
  'InvalidJobOptionError',
  'InvalidTriggerError',
  'Job',
  'JobAbandonedEvent',
  'JobCancelledError',
  'JobCatchUpEvent',
  'JobEvent',
  'JobExcludedEvent',
  'JobExecutionEvent',
  'JobLookupError',
  'JobReferenceError',
  'JobRestoreFailedEvent',
  'JobRetryEvent',
  'JobStoreErrorEvent',
  'JobStoreStartError',
  'JobStoreUnavailableError',
  'JobSubmissionEvent',
  'JobTimeoutError',
  'JobTooLargeError',
  'LeaseLostError',
  'MaxIterationsError',
  'MemoryJobStore',
  'MongoJobStore',
  'MonthlyCalendar',
  'NoFireHistoryError',
  'NodeIdInUseError',
  'NonexistentTimeError',
  'OrTrigger',
  'ProcessPoolExecutor',
  'RedisJobStore',
  'ReferenceNotAllowedError',
  'STATE_PAUSED',
  'STATE_RUNNING',
  'STATE_STOPPED',
  'SchedulerAlreadyRunningError',
  'SchedulerEvent',
  'SchedulerNotRunningError',
  'SerializationError',
  'SqlJobStore',
  'SqlStoreSetupError',
  'SqliteLockTimeoutError',
  'StoreReplyError',
  'StoreSetupError',
  'StoreStartTimeoutError',
  'StoreTimeoutError',
  'ThreadPoolExecutor',
  'TriggerRestoreError',
  'UncloneableResultError',
  'UnionCalendar',
  'UnknownAliasError',
  'UnknownTimeZoneError',
  'WeeklyCalendar',
  'WorkerCrashedError',
  'WorkerStartError',
  'calendarFromJSON',
  'claimChannel',
  'currentJob',
  'defaultLogger',
  'eventName',
  'fireChannel',
  'jobRunChannel',
  'leaseChannel',
  'readExcluded',
  'readFolded',
  'silentLogger',
  'storeChannel',
  'unionCalendar',
];

const ROOT_TYPES = [
  'AddCalendarOptions',
  'AddJobOptionsArgument',
  'AndTriggerOptions',
  'AnnualCalendarOptions',
  'AnySchedulerEvent',
  'ArgsOption',
  'ArgsRequired',
  'BaseJobOptions',
  'CalendarIntervalTriggerOptions',
  'CalendarJSON',
  'ClaimContext',
  'ClusterOptions',
  'CronCalendarOptions',
  'CronFieldName',
  'CronFieldValue',
  'CronSyntax',
  'CronTriggerOptions',
  'CrontabOptions',
  'CurrentJob',
  'DailyCalendarOptions',
  'DateInput',
  'DateTriggerOptions',
  'DayMatching',
  'DstPolicy',
  'EventForMask',
  'EventsByCode',
  'Excluded',
  'ExclusionCalendar',
  'ExplainCallOptions',
  'ExplainVerdict',
  'Explanation',
  'FireContext',
  'FireDisposition',
  'FireHistory',
  'FireRecord',
  'FireState',
  'FiresPage',
  'FlatConfig',
  'Folded',
  'GetFiresOptions',
  'HistoryOptions',
  'HolidayCalendarOptions',
  'IntervalTriggerOptions',
  'JobChanges',
  'JobDefaults',
  'JobFunction',
  'JobOptions',
  'JobReferenceRules',
  'JobRunContext',
  'JobState',
  'JobsExport',
  'KyselyInstance',
  'LeaseAction',
  'LeaseContext',
  'Logger',
  'MemoryJobStoreOptions',
  'MongoJobStoreOptions',
  'MonthlyCalendarOptions',
  'NodeInfo',
  'NormalizeOptions',
  'OptionsArgument',
  'OrTriggerOptions',
  'OverlapPolicy',
  'PluginEntry',
  'ProcessPoolExecutorOptions',
  'PublishingScheduler',
  'RandomSource',
  'RedisJobStoreOptions',
  'ReferenceOrigin',
  'ReferenceRule',
  'RemoveCalendarOptions',
  'RetryOptions',
  'RetryPolicy',
  'RunOutcome',
  'SchedulerConfig',
  'SchedulerEventListener',
  'SchedulerState',
  'SerializationErrorDetails',
  'ShutdownOptions',
  'SqlDialectName',
  'SqlDurability',
  'SqlJobStoreOptions',
  'SqliteDriverName',
  'SqliteDurability',
  'StartOptions',
  'StoreOperationContext',
  'ThreadPoolExecutorOptions',
  'Trigger',
  'TriggerAlias',
  'TriggerArgs',
  'TriggerArgsByAlias',
  'TriggerArgument',
  'TriggerJSON',
  'WakeOption',
  'WeekdayName',
  'WeeklyCalendarOptions',
];

/** `horarium/extend`: authors of job stores, executors and trigger types. */
const EXTEND_VALUES = [
  'BaseExecutor',
  'ConfigurationError',
  'ConflictingIdError',
  'DeserializationError',
  'ExecutorNotRunningError',
  'InvalidJobChangeError',
  'InvalidJobOptionError',
  'InvalidTriggerError',
  'JobCancelledError',
  'JobLookupError',
  'JobTimeoutError',
  'JobTooLargeError',
  'MaxInstancesReachedError',
  'PURGE_START',
  'SerializationError',
  'StoreReplyError',
  'StoreSetupError',
  'TriggerRestoreError',
  'checkJobChange',
  'checkOptionNames',
  'coerceBoolean',
  'coerceNullableNumber',
  'coerceNumber',
  'jobToDocument',
  'parseJobState',
  'parseReference',
  'readJobDocument',
  'registerExecutorType',
  'registerJobStoreType',
  'registerTrigger',
  'runAsCurrentJob',
  'serializeJob',
  'triggerFromJSON',
];

const EXTEND_TYPES = [
  'Claim',
  'ClaimOptions',
  'ClaimedJob',
  'ClusterLedger',
  'CoerceNumberOptions',
  'CommitOptions',
  'CommitResult',
  'Executor',
  'ExecutorContext',
  'ExecutorFactory',
  'FireChange',
  'FireOutcome',
  'FirePosition',
  'FireQuery',
  'FireUpdate',
  'JobChange',
  'JobChangeKind',
  'JobChangeLog',
  'JobChangeQuery',
  'JobCommit',
  'JobDocument',
  'JobRun',
  'JobSizeLimit',
  'JobStore',
  'JobStoreFactory',
  'JsonObject',
  'JsonValue',
  'NewFire',
  'NewJobChange',
  'NodeRecord',
  'ParsedReference',
  'PluginContext',
  'PurgeOptions',
  'PurgeResult',
  'ReapOptions',
  'ReapResult',
  'RecoveredFire',
  'RestoreFailure',
  'RunFire',
  'StoreContext',
  'SubmitOptions',
  'TriggerRestorer',
  'UnresolvedJobState',
];

/** `horarium/otel` and `horarium/prometheus`: the adapters, each needing its optional peer. */
const OTEL_VALUES = ['instrumentHorarium'];
const OTEL_TYPES = ['HorariumInstrumentation', 'HorariumInstrumentationOptions'];
const PROMETHEUS_VALUES = ['registerMetrics'];
const PROMETHEUS_TYPES = ['PrometheusMetrics', 'PrometheusMetricsOptions'];

/** `horarium/dashboard`: the web dashboard, needing the optional peers hono and @hono/node-server. */
const DASHBOARD_VALUES = ['DashboardOptionError', 'VersionConflictError', 'createDashboard'];
const DASHBOARD_TYPES = [
  'Access',
  'Authorize',
  'BasicAuthCredentials',
  'Dashboard',
  'DashboardOptions',
];

const ENTRY_POINTS = {
  horarium: { source: 'src/index.ts', values: ROOT_VALUES, types: ROOT_TYPES },
  'horarium/extend': { source: 'src/extend.ts', values: EXTEND_VALUES, types: EXTEND_TYPES },
  'horarium/otel': { source: 'src/otel.ts', values: OTEL_VALUES, types: OTEL_TYPES },
  'horarium/prometheus': {
    source: 'src/prometheus.ts',
    values: PROMETHEUS_VALUES,
    types: PROMETHEUS_TYPES,
  },
  'horarium/dashboard': {
    source: 'src/dashboard.ts',
    values: DASHBOARD_VALUES,
    types: DASHBOARD_TYPES,
  },
} as const;

const sorted = (names: Iterable<string>): string[] => [...names].sort();

/** Every name each source module exports, as the TypeScript compiler sees it (types and values). */
function compilerExports(sources: readonly string[]): Map<string, string[]> {
  const files = sources.map((source) => join(root, source));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    allowImportingTsExtensions: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  return new Map(
    files.map((file, index) => {
      const sourceFile = program.getSourceFile(file);
      const module = sourceFile === undefined ? undefined : checker.getSymbolAtLocation(sourceFile);
      if (module === undefined) throw new Error(`the compiler cannot read ${file}`);
      const names = checker.getExportsOfModule(module).map((symbol) => symbol.getName());
      return [sources[index] as string, sorted(names)];
    }),
  );
}

describe('the public API', () => {
  const sources = Object.values(ENTRY_POINTS).map((entry) => entry.source);
  const exported = compilerExports(sources);

  /** The names `import()` of a source module gives. */
  const runtimeNames = async (source: string): Promise<string[]> =>
    sorted(Object.keys((await import(join(root, source))) as Record<string, unknown>));

  for (const [name, entry] of Object.entries(ENTRY_POINTS)) {
    it(`${name} exports these runtime names`, async () => {
      expect(await runtimeNames(entry.source)).toEqual(entry.values);
    });

    it(`${name} exports these type-only names`, async () => {
      const values = await runtimeNames(entry.source);
      const all = exported.get(entry.source) ?? [];
      expect(all.filter((exportName) => !values.includes(exportName))).toEqual(entry.types);
      // Every runtime name is also a name the compiler sees.
      expect(values.filter((value) => !all.includes(value))).toEqual([]);
    });
  }

  it('names an export twice only for the errors applications catch and extensions throw', () => {
    const rootNames = new Set([...ROOT_VALUES, ...ROOT_TYPES]);
    const both = [...EXTEND_VALUES, ...EXTEND_TYPES].filter((exportName) =>
      rootNames.has(exportName),
    );
    expect(both.filter((exportName) => !exportName.endsWith('Error'))).toEqual([]);
  });

  it('the built package loads its entry points by name, their types included, and nothing deeper', async () => {
    // The package as an application installs it: package.json and the build output.
    const work = join(root, 'node_modules/.cache/horarium-package');
    const installed = join(work, 'node_modules/horarium');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(installed, { recursive: true });
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await run(
      process.execPath,
      [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')],
      { cwd: root },
    );
    cpSync(join(root, 'package.json'), join(installed, 'package.json'));
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');

    writeFileSync(
      join(work, 'load.js'),
      `const names = async (specifier) => Object.keys(await import(specifier)).sort();
const deep = await import('horarium/dist/time/zone.js').then(() => 'loaded', (error) => error.code);
console.log(JSON.stringify({ root: await names('horarium'), extend: await names('horarium/extend'), otel: await names('horarium/otel'), prometheus: await names('horarium/prometheus'), dashboard: await names('horarium/dashboard'), deep }));
`,
    );
    const { stdout } = await run(process.execPath, ['load.js'], { cwd: work });
    expect(JSON.parse(stdout)).toEqual({
      root: ROOT_VALUES,
      extend: EXTEND_VALUES,
      otel: OTEL_VALUES,
      prometheus: PROMETHEUS_VALUES,
      dashboard: DASHBOARD_VALUES,
      deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });

    // The declarations resolve through the "types" conditions, for every entry point.
    writeFileSync(
      join(work, 'consumer.ts'),
      `import { AsyncScheduler, type Job, type Trigger } from 'horarium';
import { BaseExecutor, type JobRun, type JobStore, registerJobStoreType } from 'horarium/extend';
import { type HorariumInstrumentation, instrumentHorarium } from 'horarium/otel';
import { type PrometheusMetrics, registerMetrics } from 'horarium/prometheus';
import { createDashboard, type Dashboard } from 'horarium/dashboard';
export class Inline extends BaseExecutor {
  protected runOnce(job: Job, run: JobRun): unknown {
    return [job.id, run.scheduledRunTime];
  }
}
export const store: (make: () => JobStore) => void = (make) => registerJobStoreType('made', make);
export const trigger: Trigger | undefined = undefined;
export const scheduler: AsyncScheduler = new AsyncScheduler();
export const instrument: () => HorariumInstrumentation = () => instrumentHorarium({ scheduler });
export const dashboard: () => Dashboard = () => createDashboard(scheduler, { basePath: '/horarium' });
export const metrics: (registry: Parameters<typeof registerMetrics>[1]['registry']) => PrometheusMetrics = (registry) => registerMetrics(scheduler, { registry });
`,
    );
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const typecheck = await run(process.execPath, [tsc, '-p', work], { cwd: work }).catch(
      (error: { stdout?: string; stderr?: string }) => error,
    );
    expect(`${typecheck.stdout ?? ''}${typecheck.stderr ?? ''}`).toBe('');
    rmSync(work, { recursive: true, force: true });
  }, 300_000);
});
