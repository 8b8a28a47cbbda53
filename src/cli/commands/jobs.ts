/**
 * `horarium jobs list|show|pause|resume|remove|run-now`: the jobs of a
 * persistent store, managed from a terminal. Every change goes through the
 * store API; a scheduler running on the store notices it within its poll
 * interval (`storePollInterval`, default 5 s).
 */
import { detectApplicationRoot } from '../../jobs/app-root.ts';
import { encodeValue } from '../../jobs/codec.ts';
import { ReferenceNotAllowedError } from '../../jobs/errors.ts';
import { Job } from '../../jobs/job.ts';
import { ReferencePolicy } from '../../jobs/reference-policy.ts';
import { JobLookupError } from '../../stores/errors.ts';
import type { RestoreFailure } from '../../stores/store.ts';
import { formatInstant } from '../../time/format.ts';
import { getZone, localZoneName, type Zone } from '../../time/zone.ts';
import { paint, printable, table } from '../format.ts';
import {
  pauseStoredJob,
  removeStoredJob,
  resumeStoredJob,
  runStoredJobNow,
} from '../job-actions.ts';
import {
  CliError,
  type OpenStore,
  openStore,
  type ReferenceOptions,
  reasonOf,
  referenceRulesFrom,
  storeUrlFrom,
} from '../store.ts';

export interface JobsOptions extends ReferenceOptions {
  store?: string;
  json?: boolean;
  timezone?: string;
}

/** One job as the CLI shows it (also the `--json` form). */
export interface JobView {
  id: string;
  name: string | null;
  func: string | null;
  trigger: string | null;
  /** ISO 8601 instant in UTC; null when paused. */
  nextRunTime: string | null;
  status: 'scheduled' | 'paused' | 'broken';
  executor?: string;
  coalesce?: boolean;
  maxInstances?: number;
  misfireGraceTime?: number | null;
  timeout?: number | null;
  /** The arguments in the stored (tagged JSON) form. */
  args?: unknown;
  error?: string;
  /** The reference rule a broken job's reference breaks (see docs/security.md). */
  rule?: string;
}

/** A job as the CLI (and the dashboard) shows it. */
export function viewOf(job: Job): JobView {
  return {
    id: job.id,
    name: job.name,
    func: job.funcRef,
    trigger: String(job.trigger),
    nextRunTime: job.nextRunTime?.toISOString() ?? null,
    status: job.nextRunTime === null ? 'paused' : 'scheduled',
    executor: job.executor,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    misfireGraceTime: job.misfireGraceTime,
    timeout: job.timeout,
    args: argsOf(job),
  };
}

/** The arguments in their stored form (a job of a memory store may hold ones that have none). */
function argsOf(job: Job): unknown {
  try {
    return encodeValue(job.args, 'args');
  } catch {
    return '(arguments that have no stored form)';
  }
}

/** A stored job that cannot be restored, as the CLI (and the dashboard) shows it. */
export function brokenView(failure: RestoreFailure): JobView {
  return {
    id: failure.jobId,
    name: null,
    func: null,
    trigger: null,
    nextRunTime: failure.nextRunTime?.toISOString() ?? null,
    status: 'broken',
    error: reasonOf(failure.error),
    ...(failure.error instanceof ReferenceNotAllowedError ? { rule: failure.error.rule } : {}),
  };
}

const when = (iso: string | null, zone: Zone): string =>
  iso === null ? '-' : formatInstant(Date.parse(iso), zone);

const statusText = (status: JobView['status']): string =>
  status === 'broken'
    ? paint('red', status)
    : status === 'paused'
      ? paint('yellow', status)
      : paint('green', status);

export async function withStore<T>(
  options: JobsOptions,
  action: (open: OpenStore, zone: Zone) => Promise<T>,
): Promise<T> {
  const zone = getZone(options.timezone ?? localZoneName());
  // The application root of the directory the command runs in, unless --base says otherwise.
  const references = new ReferencePolicy(referenceRulesFrom(options), detectApplicationRoot(null));
  const open = await openStore(storeUrlFrom(options.store), zone, references);
  try {
    return await action(open, zone);
  } finally {
    await open.close();
  }
}

export const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** JSON for stdout; control characters JSON.stringify leaves raw (C1, bidirectional) are escaped too. */
export const printJson = (value: unknown): void =>
  print(printable(JSON.stringify(value, null, 2), true));

/** Every job, broken ones last (by next run time). */
async function allViews(open: OpenStore): Promise<JobView[]> {
  open.broken.clear();
  const jobs = (await open.store.getAllJobs()).map(viewOf);
  const broken = [...open.broken.values()].map(brokenView);
  return [...jobs, ...broken];
}

export async function listJobs(options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const views = await allViews(open);
    if (options.json === true) return printJson(views);
    if (views.length === 0) return print('No jobs.');
    print(
      table(
        ['id', 'name', 'trigger', `next run (${zone.name})`, 'status'],
        views.map((v) => [
          printable(v.id),
          printable(v.name ?? '-'),
          printable(v.trigger ?? '-'),
          when(v.nextRunTime, zone),
          statusText(v.status),
        ]),
      ),
    );
    const broken = views.filter((v) => v.status === 'broken');
    for (const v of broken)
      print(paint('red', printable(`broken job ${v.id} cannot be restored: ${v.error ?? ''}`)));
  });
}

/** The job, or its failure when the row cannot be restored. */
async function find(open: OpenStore, id: string): Promise<Job | RestoreFailure> {
  open.broken.clear();
  const job = await open.store.lookupJob(id);
  if (job !== null) return job;
  const failure = open.broken.get(id);
  if (failure !== undefined) return failure;
  throw new JobLookupError(id);
}

export async function findHealthy(open: OpenStore, id: string, verb: string): Promise<Job> {
  const found = await find(open, id);
  if (found instanceof Job) return found;
  throw new CliError(
    `job ${id} cannot be restored (${reasonOf(found.error)}), so it cannot be ${verb}; fix the row or remove the job`,
  );
}

export async function showJob(id: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const found = await find(open, id);
    const view = found instanceof Job ? viewOf(found) : brokenView(found);
    if (options.json === true) return printJson(view);
    const rows: [string, string][] = [
      ['id', printable(view.id)],
      ['status', statusText(view.status)],
      ['next run', when(view.nextRunTime, zone)],
    ];
    if (view.status === 'broken') rows.push(['error', printable(view.error ?? '')]);
    else {
      rows.push(
        ['name', printable(view.name ?? '')],
        ['function', printable(view.func ?? '')],
        ['trigger', printable(view.trigger ?? '')],
        ['args', printable(JSON.stringify(view.args ?? []))],
        ['executor', printable(view.executor ?? '')],
        ['coalesce', String(view.coalesce)],
        ['max instances', String(view.maxInstances)],
        ['misfire grace', view.misfireGraceTime === null ? 'none' : `${view.misfireGraceTime} s`],
        ['timeout', view.timeout === null ? 'none' : `${view.timeout} s`],
      );
    }
    const width = Math.max(...rows.map(([k]) => k.length));
    print(rows.map(([k, v]) => `${paint('bold', k.padEnd(width))}  ${v}`).join('\n'));
  });
}

function report(
  options: JobsOptions,
  zone: Zone,
  message: string,
  job: Job | null,
  id: string,
): void {
  if (options.json === true) {
    printJson(job === null ? { id, removed: true } : viewOf(job));
    return;
  }
  print(job === null ? message : `${message} (next run: ${when(viewOf(job).nextRunTime, zone)})`);
}

export async function pauseJob(id: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const changed = await pauseStoredJob(open, await findHealthy(open, id, 'paused'));
    report(options, zone, `Paused job ${id}`, changed, id);
  });
}

export async function resumeJob(id: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const changed = await resumeStoredJob(open, await findHealthy(open, id, 'resumed'));
    // As scheduler.resumeJob: a job whose trigger has finished is removed.
    if (changed === null)
      report(options, zone, `Job ${id} has no more run times; removed it`, null, id);
    else report(options, zone, `Resumed job ${id}`, changed, id);
  });
}

export async function runJobNow(id: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    const changed = await runStoredJobNow(open, await findHealthy(open, id, 'run'));
    report(
      options,
      zone,
      `Job ${id} is due now; a running scheduler runs it at once where the store has wake-ups, else within its poll interval`,
      changed,
      id,
    );
  });
}

export async function removeJob(id: string, options: JobsOptions): Promise<void> {
  await withStore(options, async (open, zone) => {
    await removeStoredJob(open, id);
    report(options, zone, `Removed job ${id}`, null, id);
  });
}
