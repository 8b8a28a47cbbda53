/**
 * `horarium run <file>`: loads a module whose default export configures a
 * scheduler, and runs it as a BlockingScheduler until Ctrl-C (SIGINT) or
 * SIGTERM, printing each run and event.
 *
 * The module's default export is either
 * - a function `(scheduler) => void | Promise<void>` that adds jobs,
 *   registers tasks and listeners (`scheduler.addJob(...)`), or
 * - an array of job specs `{ func: './jobs.js:send', trigger: 'cron', hour: 3, id: 'nightly' }`:
 *   `func` is a textual reference or a task name, `trigger` a trigger alias
 *   (omitted: run once, now), and every other key a job option or a trigger
 *   argument, as in `addJob`. A spec's `id` defaults to its `func`, and
 *   `replaceExisting` to true, so starting again updates the stored jobs
 *   instead of adding duplicates.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { redactSecretsIn, redactUrl } from '../../config/redact-url.ts';
import {
  EVENT_ALL,
  EVENT_JOB_ADDED,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ERROR,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  JobExecutionEvent,
  JobRestoreFailedEvent,
  JobStoreErrorEvent,
  JobSubmissionEvent,
  type SchedulerEvent,
} from '../../events.ts';
import { detectApplicationRoot } from '../../jobs/app-root.ts';
import type { Logger } from '../../logging.ts';
import type { JobOptions } from '../../scheduler/job-options.ts';
import { BlockingScheduler } from '../../scheduler/schedulers.ts';
import type { TriggerAlias } from '../../scheduler/trigger-aliases.ts';
import { formatInstant } from '../../time/format.ts';
import { getZone, localZoneName, type Zone } from '../../time/zone.ts';
import { paint, printable } from '../format.ts';
import {
  CliError,
  createStore,
  type ReferenceOptions,
  reasonOf,
  referenceRulesFrom,
  storeUrlFrom,
} from '../store.ts';

export interface RunOptions extends ReferenceOptions {
  store?: string;
  timezone?: string;
  pollInterval?: string;
  verbose?: boolean;
}

/** One entry of the array form: a textual function, a trigger alias and `addJob` options. */
export interface JobSpec {
  func: string;
  trigger?: TriggerAlias;
  id?: string;
  [option: string]: unknown;
}

/** The default export `horarium run` accepts. */
export type RunModule =
  | ((scheduler: BlockingScheduler) => void | Promise<void>)
  | readonly JobSpec[];

/** The time of a log line, to the second (the times of runs in the line keep their milliseconds). */
function stamp(zone: Zone): string {
  return paint('dim', formatInstant(Math.floor(Date.now() / 1000) * 1000, zone));
}

/** Log lines on stderr: warnings and errors always, info and debug with --verbose. */
function cliLogger(zone: Zone, verbose: boolean): Logger {
  const write =
    (level: string, style: 'yellow' | 'red' | 'dim') =>
    (message: string, ...details: unknown[]): void => {
      const detail = details
        .map((d) =>
          d instanceof Error ? (verbose ? (d.stack ?? d.message) : d.message) : String(d),
        )
        .join(' ');
      process.stderr.write(
        `${stamp(zone)} ${paint(style, level, process.stderr)} ${printable(message)}${detail === '' ? '' : `: ${printable(detail, verbose)}`}\n`,
      );
    };
  const quiet = (): void => {};
  return {
    debug: verbose ? write('DEBUG', 'dim') : quiet,
    info: verbose ? write('INFO', 'dim') : quiet,
    warn: write('WARN', 'yellow'),
    error: write('ERROR', 'red'),
  };
}

const short = (value: unknown): string => {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** A readable line for each event worth reading. */
function describeEvent(event: SchedulerEvent, zone: Zone, verbose: boolean): string | null {
  const at = (d: Date): string => formatInstant(d.getTime(), zone);
  const id = 'jobId' in event ? printable(String((event as { jobId: unknown }).jobId)) : '';
  const reason = (error: unknown): string => printable(reasonOf(error));
  switch (event.code) {
    case EVENT_SCHEDULER_STARTED:
      return 'scheduler started';
    case EVENT_SCHEDULER_SHUTDOWN:
      return 'scheduler shut down';
    case EVENT_SCHEDULER_PAUSED:
      return 'scheduler paused';
    case EVENT_SCHEDULER_RESUMED:
      return 'scheduler resumed';
    case EVENT_JOB_ADDED:
      return `job ${id} added`;
    case EVENT_JOB_REMOVED:
      return `job ${id} removed`;
    case EVENT_JOB_MODIFIED:
      return `job ${id} modified`;
    case EVENT_JOB_SUBMITTED:
      // The outcome lines say each run; submissions only with --verbose.
      if (!verbose || !(event instanceof JobSubmissionEvent)) return null;
      return `${paint('cyan', 'submitted')} job ${id} (scheduled ${event.scheduledRunTimes.map(at).join(', ')})`;
    case EVENT_JOB_EXECUTED:
      if (!(event instanceof JobExecutionEvent)) return null;
      return `${paint('green', 'ran')} job ${id} (scheduled ${at(event.scheduledRunTime)})${event.retval === undefined ? '' : ` returned ${short(event.retval)}`}`;
    case EVENT_JOB_ERROR:
      if (!(event instanceof JobExecutionEvent)) return null;
      return `${paint('red', 'failed')} job ${id} (scheduled ${at(event.scheduledRunTime)}): ${reason(event.exception)}`;
    case EVENT_JOB_MISSED:
      if (!(event instanceof JobExecutionEvent)) return null;
      return `${paint('yellow', 'missed')} job ${id} (scheduled ${at(event.scheduledRunTime)})`;
    case EVENT_JOB_MAX_INSTANCES:
      return `${paint('yellow', 'skipped')} job ${id}: still running (maxInstances reached)`;
    case EVENT_JOBSTORE_ERROR:
      if (!(event instanceof JobStoreErrorEvent)) return null;
      return `${paint('red', 'store error')} in ${event.operation}: ${reason(event.exception)}`;
    case EVENT_JOB_RESTORE_FAILED:
      if (!(event instanceof JobRestoreFailedEvent)) return null;
      return `${paint('red', 'broken')} job ${id} cannot be restored: ${reason(event.exception)}`;
    default:
      return null;
  }
}

/** Imports the module file and returns its default export, checked. */
async function loadModule(file: string): Promise<RunModule> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`cannot find ${file}`);
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    const ts = ['.ts', '.mts', '.cts'].includes(extname(path));
    const hint =
      ts && /unknown file extension|ERR_UNKNOWN_FILE_EXTENSION/i.test(reasonOf(error))
        ? ' (run the CLI under tsx, e.g. `node --import tsx node_modules/horarium/dist/cli/main.js run …`, or compile the module to JavaScript)'
        : '';
    throw new CliError(`cannot load ${file}: ${reasonOf(error).split('\n')[0]}${hint}`, {
      cause: error,
    });
  }
  const exported = loaded.default;
  if (typeof exported === 'function') return exported as RunModule;
  if (Array.isArray(exported)) {
    const specs = exported as unknown[];
    specs.forEach((spec, i) => {
      if (typeof spec !== 'object' || spec === null || typeof (spec as JobSpec).func !== 'string')
        throw new CliError(
          `${file}: job spec #${i + 1} needs a "func" string ('module:export' or a task name)`,
        );
    });
    return specs as JobSpec[];
  }
  throw new CliError(
    `${file} must export default a function (scheduler) => { scheduler.addJob(...) } or an array of job specs like { func: './jobs.js:send', trigger: 'cron', hour: 3, id: 'nightly' }`,
  );
}

/** Adds the jobs of the array form; ids default to the function reference and must be distinct. */
async function addSpecs(scheduler: BlockingScheduler, specs: readonly JobSpec[]): Promise<void> {
  const ids = new Set<string>();
  for (const spec of specs) {
    const { func, trigger, ...options } = spec;
    const id = typeof options.id === 'string' ? options.id : func;
    if (ids.has(id))
      throw new CliError(`two job specs have the id ${JSON.stringify(id)}; give each job an "id"`);
    ids.add(id);
    const jobOptions = { replaceExisting: true, ...options, id } as JobOptions<unknown[]>;
    if (trigger === undefined) await scheduler.addJob(func, null, jobOptions);
    else await scheduler.addJob(func, trigger, jobOptions);
  }
}

export async function runCommand(file: string, options: RunOptions): Promise<void> {
  const zone = getZone(options.timezone ?? localZoneName());
  const url = storeUrlFrom(options.store);
  const verbose = options.verbose === true;
  let pollInterval: number | undefined;
  if (options.pollInterval !== undefined) {
    pollInterval = Number(options.pollInterval);
    if (!Number.isFinite(pollInterval) || pollInterval <= 0)
      throw new CliError(
        `--poll-interval must be a positive number of seconds, got ${JSON.stringify(options.pollInterval)}`,
      );
  }
  const references = referenceRulesFrom(options);
  // The module is part of the application: its package root is the application root.
  const base = references.base ?? detectApplicationRoot(resolve(file));
  const setup = await loadModule(file);
  const store = createStore(url, { mustExist: false });
  const scheduler = new BlockingScheduler({
    jobstores: { default: store },
    // Its one store is the point of the command: a store that cannot start ends it at once
    // (with the reason) rather than retrying in the background.
    requireJobstores: true,
    jobReferences: base === null ? references : { ...references, base },
    timezone: zone.name,
    logger: cliLogger(zone, verbose),
    ...(pollInterval === undefined ? {} : { storePollInterval: pollInterval }),
  });
  const log = (line: string): void => {
    process.stdout.write(`${stamp(zone)} ${line}\n`);
  };
  scheduler.addListener((event) => {
    const line = describeEvent(event, zone, verbose);
    if (line !== null) log(line);
  }, EVENT_ALL);
  // A job its store cannot hold is refused here, where the module adds it (the error says which).
  if (typeof setup === 'function') await setup(scheduler);
  else await addSpecs(scheduler, setup);

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting for running jobs`);
      process.exit(130);
    }
    stopping = true;
    log(
      `${signal} received: shutting down (waiting for running jobs; press Ctrl-C again to force)`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  log(`starting: store ${redactUrl(url)}, timezone ${zone.name}`);
  scheduler.addListener(async () => {
    // Ctrl-C while starting, before the scheduler listened for it.
    if (stopping) scheduler.shutdown().catch(() => {});
    try {
      for (const job of await scheduler.getJobs()) log(`  ${printable(String(job))}`);
    } catch (error) {
      log(`cannot list the jobs: ${reasonOf(error)}`);
    }
  }, EVENT_SCHEDULER_STARTED);
  try {
    await scheduler.start();
  } catch (error) {
    throw new CliError(`cannot start the scheduler: ${redactSecretsIn(reasonOf(error), url)}`, {
      cause: error,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
