/**
 * The scheduler's view of a store's history: pages of its fire ledger
 * (`scheduler.getFires`) and answers to "why didn't it fire at …?"
 * (`scheduler.explain`). Arguments are checked here, with errors that name
 * the argument and what to pass; the store only sees checked values.
 */
import { calendarFromJSON } from '../../calendars/restore.ts';
import { HorariumError } from '../../errors.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import type { JobChange } from '../../stores/job-changes.ts';
import {
  type ClusterLedger,
  type FirePosition,
  type FireRecord,
  type FireState,
  isFireState,
} from '../../stores/ledger.ts';
import type { JobStore } from '../../stores/store.ts';
import { InvalidDateError } from '../../time/errors.ts';
import { type DateInput, parseDateInput } from '../../time/parse.ts';
import type { Zone } from '../../time/zone.ts';
import {
  type ExplainSource,
  type Explanation,
  explainFire,
  type NodeWindow,
  type StoredDefinition,
} from './explain.ts';
import { describeRetention, purgeRules, type RetentionSettings } from './retention-options.ts';

/** Fires a page holds when the query does not say. */
export const DEFAULT_FIRES_PAGE = 50;
/** Fires a page holds at most. */
export const MAX_FIRES_PAGE = 1000;

/** What `scheduler.getFires` reads: newest first, in pages. */
export interface GetFiresOptions {
  readonly jobId?: string;
  /** The job store to read (default `'default'`). */
  readonly jobstore?: string;
  /** Only fires scheduled at or after this time. */
  readonly from?: DateInput;
  /** Only fires scheduled at or before this time. */
  readonly to?: DateInput;
  readonly states?: readonly FireState[];
  /** Fires per page: 1 to 1,000, default 50. */
  readonly limit?: number;
  /** The `cursor` of the previous page, to read the next one. */
  readonly cursor?: string | null;
}

export interface FiresPage {
  readonly fires: readonly FireRecord[];
  /** Pass it back as `cursor` for the next page; null when there is none. */
  readonly cursor: string | null;
}

export interface ExplainCallOptions {
  /** The job store the job is in (default `'default'`). */
  readonly jobstore?: string;
}

/** An argument of `getFires` or `explain` that cannot be used, named with what to pass instead. */
export class HistoryQueryError extends HorariumError {
  override name = 'HistoryQueryError';
  readonly argument: string;
  constructor(argument: string, problem: string) {
    super(`${argument}: ${problem}`);
    this.argument = argument;
  }
}

/** A job store that keeps no fire history. */
export class NoFireHistoryError extends HorariumError {
  override name = 'NoFireHistoryError';
  readonly jobstore: string;
  constructor(jobstore: string) {
    super(
      `Job store ${JSON.stringify(jobstore)} keeps no fire history: a memory store keeps its newest fires unless created with { fireHistory: 0 }; persistent stores keep a fire ledger`,
    );
    this.jobstore = jobstore;
  }
}

/**
 * The store history is read from: a scheduler's managed store (its reads are
 * bounded by the store's operation timeout), or a store the CLI opened.
 */
export interface HistoryStore {
  readonly alias: string;
  readonly store: JobStore;
  withTimeout?<T>(operation: string, call: () => Promise<T>): Promise<T>;
}

/** What a store may offer beside its ledger: the recorded changes of its jobs. */
interface WithJobChanges {
  readonly jobChanges?: { getJobChanges(jobId: string): Promise<readonly JobChange[]> };
}

export function encodeCursor(position: FirePosition): string {
  return Buffer.from(JSON.stringify([position.scheduledTime, position.fireId])).toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string): FirePosition {
  const invalid = () =>
    new HistoryQueryError(
      'cursor',
      `${JSON.stringify(cursor.slice(0, 40))} is not a cursor getFires returned; pass the \`cursor\` of the previous page, or none for the first page`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    !Number.isFinite(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length === 0 ||
    parsed[1].length > 200
  )
    throw invalid();
  return { scheduledTime: parsed[0], fireId: parsed[1] };
}

function readTime(input: DateInput | undefined, argument: string, zone: Zone): number | undefined {
  if (input === undefined) return undefined;
  try {
    return parseDateInput(input, zone);
  } catch (error) {
    if (error instanceof InvalidDateError) throw new HistoryQueryError(argument, error.message);
    throw error;
  }
}

function readLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_FIRES_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FIRES_PAGE)
    throw new HistoryQueryError(
      'limit',
      `${String(limit)} is not a whole number from 1 to ${MAX_FIRES_PAGE.toLocaleString('en-US')}`,
    );
  return limit;
}

function readStates(states: readonly FireState[] | undefined): readonly FireState[] | undefined {
  if (states === undefined) return undefined;
  if (!Array.isArray(states))
    throw new HistoryQueryError('states', 'must be a list of fire states');
  for (const state of states)
    if (!isFireState(state))
      throw new HistoryQueryError(
        'states',
        `${JSON.stringify(state)} is not a fire state (claimed, running, succeeded, failed, timed_out, cancelled, abandoned, missed, coalesced, skipped_max_instances, excluded)`,
      );
  return states;
}

/**
 * Where a store's fires are read: its ledger, or the ring the scheduler keeps
 * for it, whose rows past the retention are dropped first.
 */
function firesOf(
  managed: HistoryStore,
  retention: RetentionSettings | undefined,
): Pick<ClusterLedger, 'getFires'> {
  const { ledger, fireRing } = managed.store;
  if (ledger !== undefined) return ledger;
  if (fireRing !== undefined)
    return {
      getFires: async (query) => {
        if (retention !== undefined) fireRing.expire(purgeRules(retention, Date.now()));
        return fireRing.getFires(query);
      },
    };
  throw new NoFireHistoryError(managed.alias);
}

/** One page of a store's fires, newest first. */
export async function readFires(
  managed: HistoryStore,
  options: GetFiresOptions,
  zone: Zone,
  retention?: RetentionSettings,
): Promise<FiresPage> {
  const limit = readLimit(options.limit);
  const states = readStates(options.states);
  const from = readTime(options.from, 'from', zone);
  const to = readTime(options.to, 'to', zone);
  const after =
    options.cursor === undefined || options.cursor === null
      ? undefined
      : decodeCursor(options.cursor);
  if (options.jobId !== undefined && typeof options.jobId !== 'string')
    throw new HistoryQueryError('jobId', 'must be a string');
  const ledger = firesOf(managed, retention);
  // One more than asked: whether a next page exists without a second query.
  const read = () =>
    ledger.getFires({
      limit: limit + 1,
      ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
      ...(states === undefined ? {} : { states }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(after === undefined ? {} : { after }),
    });
  const fires = await (managed.withTimeout?.('getFires', read) ?? read());
  const page = fires.slice(0, limit);
  const last = page.at(-1);
  return {
    fires: page,
    cursor: fires.length > limit && last !== undefined ? encodeCursor(last) : null,
  };
}

/** How long after its last check-in a node counts as alive (it checks in every third of its lease). */
const CHECK_IN_SLACK_MS = 60_000;

/** The source of an explanation for a store with a ledger. */
function ledgerSource(
  managed: HistoryStore,
  ledger: ClusterLedger,
  retention: RetentionSettings | undefined,
): ExplainSource {
  const store: JobStore & WithJobChanges = managed.store;
  return {
    ...(retention === undefined ? {} : { retention: describeRetention(retention) }),
    oldestFire: async (jobId) => ledger.oldestFire?.(jobId),
    now: () => ledger.now(),
    changes: async (jobId) => (await store.jobChanges?.getJobChanges(jobId)) ?? [],
    current: (jobId) => currentDefinition(store, jobId),
    calendarExclusion: (jobId, time) => calendarExclusion(store, jobId, time),
    firesUpTo: (jobId, to, limit) => ledger.getFires({ jobId, to, limit }),
    outages: async (from, to) => store.outages?.getOutages({ from, to, limit: 10 }),
    nodesAlive: async (from, to) => {
      const nodes = await ledger.getNodes();
      const windows: NodeWindow[] = nodes.map((node) => ({
        nodeId: node.nodeId,
        from: node.startedAt,
        to: node.lastSeen + CHECK_IN_SLACK_MS,
      }));
      const alive = windows.filter((window) => window.from <= to && window.to >= from);
      if (alive.length > 0) return alive;
      // A node id used again after a restart keeps only its latest life: before
      // that start, the check-ins cannot tell whether it was alive.
      if (nodes.some((node) => node.startedAt > from)) return undefined;
      return [];
    },
  };
}

/** Explains the job's fire time at (or nearest) `at`. */
export function explainJob(
  managed: HistoryStore,
  jobId: string,
  at: DateInput,
  zone: Zone,
  local?: LocalNode,
  retention?: RetentionSettings,
): Promise<Explanation> {
  if (typeof jobId !== 'string' || jobId.length === 0)
    throw new HistoryQueryError('jobId', 'must be the id of a job (a non-empty string)');
  const { ledger, fireRing } = managed.store;
  if (ledger !== undefined)
    return explainFire(ledgerSource(managed, ledger, retention), jobId, at, { zone });
  if (fireRing !== undefined) {
    if (retention !== undefined) fireRing.expire(purgeRules(retention, Date.now()));
    return explainFire(ringSource(managed, fireRing, local, retention), jobId, at, { zone });
  }
  throw new NoFireHistoryError(managed.alias);
}

/** The scheduler a store kept in the process belongs to: it alone runs the store's jobs. */
export interface LocalNode {
  readonly nodeId: string;
  /** When it began processing jobs (epoch ms), or undefined while it is stopped. */
  readonly since: number | undefined;
}

/** The source of an explanation for a store whose fires the scheduler keeps in a ring. */
function ringSource(
  managed: HistoryStore,
  ring: FireRing,
  local: LocalNode | undefined,
  retention: RetentionSettings | undefined,
): ExplainSource {
  const newest = `the newest ${ring.capacity.toLocaleString('en-US')} fires of every job together`;
  return {
    now: async () => Date.now(),
    changes: async (jobId) =>
      (await (managed.store as JobStore & WithJobChanges).jobChanges?.getJobChanges(jobId)) ?? [],
    current: (jobId) => currentDefinition(managed.store, jobId),
    calendarExclusion: (jobId, time) => calendarExclusion(managed.store, jobId, time),
    firesUpTo: async (jobId, to, limit) => ring.getFires({ jobId, to, limit }),
    oldestFire: async (jobId) => ring.oldest(jobId),
    retention:
      retention === undefined ? newest : `${newest}, and of them ${describeRetention(retention)}`,
    nodesAlive: async (_from, to) => {
      if (local?.since === undefined) return undefined;
      // Before this scheduler began, the store (in this process) had no scheduler.
      return local.since <= to ? [{ nodeId: local.nodeId, from: local.since, to: Date.now() }] : [];
    },
  };
}

/** The job's calendar, as stored now, when it excludes `time`; undefined when it does not or cannot be read. */
async function calendarExclusion(
  store: JobStore,
  jobId: string,
  time: number,
): Promise<{ calendar: string; reason: string } | undefined> {
  const name = (await store.lookupJob(jobId))?.calendar ?? null;
  if (name === null || store.calendars === undefined) return undefined;
  const stored = (await store.calendars.getCalendars()).find((c) => c.name === name);
  if (stored === undefined) return undefined;
  let reason: string | null;
  try {
    // Stored text is untrusted: calendarFromJSON checks every field, and a calendar it refuses says nothing.
    reason = calendarFromJSON(JSON.parse(stored.state)).exclusionReason(new Date(time));
  } catch {
    return undefined;
  }
  return reason === null ? undefined : { calendar: name, reason };
}

async function currentDefinition(store: JobStore, jobId: string): Promise<StoredDefinition | null> {
  const job = await store.lookupJob(jobId);
  if (job === null) return null;
  return {
    trigger: job.trigger.toJSON(),
    paused: job.nextRunTime === null,
    misfireGraceTime: job.misfireGraceTime,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
  };
}
