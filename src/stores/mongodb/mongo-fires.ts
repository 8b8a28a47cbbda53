/**
 * The MongoDB layout of the cluster ledger: fire and node documents, their
 * indexes, reading them back (they are untrusted: any process with access to
 * the database can write them), the store clock, and lease renewal (shared by
 * the store and the lease worker's own connection).
 *
 * Internal to the MongoDB store; not exported from the package.
 */
import type { Collection, Db, IndexDescription } from 'mongodb';
import type { FireRecord, FireState, JobCommit, NewFire, NodeRecord } from '../ledger.ts';
import { FIRE_STATES, LIVE_FIRE_STATES } from '../ledger.ts';

/** One fire, `_id` = fire id; the pair (job_id, scheduled_time) is unique. */
export interface MongoFireDocument {
  _id: string;
  job_id: string;
  /** Epoch ms. */
  scheduled_time: number;
  state: FireState;
  node: string | null;
  fence: number;
  batch_id: string | null;
  /** Store-clock epoch ms; null once the fire is final. */
  lease_until: number | null;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  recovering: boolean;
  attempt: number;
  error_name: string | null;
  error_message: string | null;
  detail: string | null;
  /** The job's `history` when it keeps less than every fire (left out for `'all'`): what a purge removes at once. */
  history?: 'failures' | 'off';
}

/** One node's last check-in, `_id` = node id. */
export interface MongoNodeDocument {
  _id: string;
  hostname: string;
  pid: number;
  version: string;
  started_at: number;
  /** Store-clock epoch ms of the last check-in. */
  last_seen: number;
  clock_skew_ms: number;
}

/** The names of the ledger's collections beside the jobs collection `jobs`. */
export function ledgerCollectionNames(jobs: string): { fires: string; nodes: string } {
  return { fires: `${jobs}_fires`, nodes: `${jobs}_nodes` };
}

/** The live fire states, as a query operand. */
export const LIVE: { $in: FireState[] } = { $in: [...LIVE_FIRE_STATES] };

/**
 * The fire indexes: the unique slot key that lets only the first insert of a
 * fire win, then renewal (a node's live fires), the reaper (expired live
 * leases), and listings (one job's, all fires, and the fires in one state, newest first).
 */
export const FIRE_INDEXES: readonly IndexDescription[] = [
  { key: { job_id: 1, scheduled_time: 1 }, name: 'horarium_fire_slot', unique: true },
  { key: { node: 1, state: 1 }, name: 'horarium_fire_node' },
  { key: { state: 1, lease_until: 1 }, name: 'horarium_fire_lease' },
  { key: { job_id: 1, scheduled_time: -1, _id: -1 }, name: 'horarium_fire_job_history' },
  { key: { scheduled_time: -1, _id: -1 }, name: 'horarium_fire_history' },
  { key: { state: 1, scheduled_time: -1, _id: -1 }, name: 'horarium_fire_state_history' },
  // The fires of jobs that keep less history, for the retention purge: only they are indexed.
  {
    key: { history: 1, state: 1 },
    name: 'horarium_fire_retention',
    partialFilterExpression: { history: { $exists: true } },
  },
];

/** The node index: listings, most recent check-in first. */
export const NODE_INDEXES: readonly IndexDescription[] = [
  { key: { last_seen: -1 }, name: 'horarium_node_last_seen' },
];

/** The document a commit inserts for `fire` (see {@link NewFire}: `claimed` holds a run lease, the rest are final). */
export function newFireDocument(
  owner: string,
  commit: Pick<JobCommit, 'jobId' | 'fence' | 'history'>,
  fire: NewFire,
  now: number,
  runLeaseMs: number,
): MongoFireDocument {
  const claimed = fire.state === 'claimed';
  const { history } = commit;
  return {
    ...(history === 'failures' || history === 'off' ? { history } : {}),
    _id: fire.fireId,
    job_id: commit.jobId,
    scheduled_time: fire.scheduledTime,
    state: fire.state,
    node: owner,
    fence: commit.fence,
    batch_id: fire.batchId,
    lease_until: claimed ? now + runLeaseMs : null,
    claimed_at: now,
    started_at: null,
    finished_at: claimed ? null : now,
    recovering: false,
    attempt: 1,
    error_name: null,
    error_message: null,
    detail: fire.detail ?? null,
  };
}

/** Why a stored ledger document cannot be read. */
export class LedgerDocumentError extends Error {
  override readonly name: string = 'LedgerDocumentError';
}

type Fields = Record<string, unknown>;

function fieldsOf(document: unknown, what: string): Fields {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new LedgerDocumentError(`a stored ${what} is not a document`);
  return document as Fields;
}

/** An epoch-ms or counter field: a finite integer (BSON int32, int64 as number, or double). */
function integer(fields: Fields, name: string, what: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new LedgerDocumentError(`${what}: ${name} is not an integer (${describe(value)})`);
  return value;
}

function nullableInteger(fields: Fields, name: string, what: string): number | null {
  return fields[name] === null || fields[name] === undefined ? null : integer(fields, name, what);
}

function text(fields: Fields, name: string, what: string): string {
  const value = fields[name];
  if (typeof value !== 'string')
    throw new LedgerDocumentError(`${what}: ${name} is not a string (${describe(value)})`);
  return value;
}

function nullableText(fields: Fields, name: string, what: string): string | null {
  return fields[name] === null || fields[name] === undefined ? null : text(fields, name, what);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The fire record of a stored fire document.
 *
 * @throws LedgerDocumentError naming the field when the document is not a fire.
 */
export function fireRecordOf(document: unknown): FireRecord {
  const fields = fieldsOf(document, 'fire');
  const fireId = text(fields, '_id', 'a stored fire');
  const what = `fire ${JSON.stringify(fireId)}`;
  const state = text(fields, 'state', what);
  if (!FIRE_STATES.has(state))
    throw new LedgerDocumentError(`${what}: state ${JSON.stringify(state)} is not a fire state`);
  const recovering = fields.recovering ?? false;
  if (typeof recovering !== 'boolean')
    throw new LedgerDocumentError(`${what}: recovering is not a boolean (${describe(recovering)})`);
  return {
    fireId,
    jobId: text(fields, 'job_id', what),
    scheduledTime: integer(fields, 'scheduled_time', what),
    state: state as FireState,
    node: nullableText(fields, 'node', what),
    fence: integer(fields, 'fence', what),
    batchId: nullableText(fields, 'batch_id', what),
    leaseUntil: nullableInteger(fields, 'lease_until', what),
    claimedAt: nullableInteger(fields, 'claimed_at', what),
    startedAt: nullableInteger(fields, 'started_at', what),
    finishedAt: nullableInteger(fields, 'finished_at', what),
    recovering,
    attempt: fields.attempt === undefined ? 1 : integer(fields, 'attempt', what),
    errorName: nullableText(fields, 'error_name', what),
    errorMessage: nullableText(fields, 'error_message', what),
    detail: nullableText(fields, 'detail', what),
  };
}

/**
 * The node record of a stored check-in.
 *
 * @throws LedgerDocumentError naming the field when the document is not a check-in.
 */
export function nodeRecordOf(document: unknown): NodeRecord {
  const fields = fieldsOf(document, 'node check-in');
  const nodeId = text(fields, '_id', 'a stored node check-in');
  const what = `node ${JSON.stringify(nodeId)}`;
  return {
    nodeId,
    hostname: text(fields, 'hostname', what),
    pid: integer(fields, 'pid', what),
    version: text(fields, 'version', what),
    startedAt: integer(fields, 'started_at', what),
    lastSeen: integer(fields, 'last_seen', what),
    clockSkewMs: integer(fields, 'clock_skew_ms', what),
  };
}

/** The check-in document of a node (without `_id` and `last_seen`, which the write sets). */
export function nodeFields(
  node: Omit<NodeRecord, 'nodeId' | 'lastSeen'>,
): Omit<MongoNodeDocument, '_id' | 'last_seen'> {
  return {
    hostname: node.hostname,
    pid: node.pid,
    version: node.version,
    started_at: node.startedAt,
    clock_skew_ms: node.clockSkewMs,
  };
}

/**
 * The servers a connection string names, without credentials or options,
 * sorted (so that nodes listing them in another order agree): `h1:27017,h2`;
 * an SRV string keeps its one host name, marked `srv:`.
 */
export function urlHosts(url: string): string {
  const srv = /^mongodb\+srv:\/\//i.test(url);
  const rest = url.replace(/^mongodb(\+srv)?:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  const sorted = hosts.split(',').filter(Boolean).sort().join(',');
  return srv ? `srv:${sorted}` : sorted;
}

/** MongoDB's error code for an unknown command (`hello` before 4.4.2). */
const COMMAND_NOT_FOUND = 59;

/** What `hello` (or the older `isMaster`) says about the deployment. */
export interface ServerHello {
  /** The server's clock, epoch ms. */
  readonly localTime: number;
  /** A replica set member or a mongos: multi-document transactions are available. */
  readonly transactions: boolean;
}

/**
 * Asks the server for its clock and kind with `hello` (`isMaster` on servers
 * before 4.4.2).
 *
 * @throws Error when the reply has no usable `localTime`.
 */
export async function serverHello(db: Db): Promise<ServerHello> {
  let reply: Record<string, unknown>;
  try {
    reply = await db.command({ hello: 1 });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== COMMAND_NOT_FOUND) throw error;
    reply = await db.command({ isMaster: 1 });
  }
  return helloOf(reply);
}

/** Reads a `hello` reply. @throws Error when it has no usable `localTime`. */
export function helloOf(reply: Record<string, unknown>): ServerHello {
  const time = reply.localTime;
  const localTime = time instanceof Date ? time.getTime() : Number.NaN;
  if (!Number.isFinite(localTime))
    throw new Error(`the MongoDB server's hello reply has no valid localTime (${describe(time)})`);
  const sessions = typeof reply.logicalSessionTimeoutMinutes === 'number';
  const replicaSet = typeof reply.setName === 'string';
  const mongos = reply.msg === 'isdbgrid';
  return { localTime, transactions: sessions && (replicaSet || mongos) };
}

/**
 * Renews the run leases of `owner`'s live fires whose lease has not expired
 * at `now` (held at `lease_until`), to `now + leaseMs`; returns their ids.
 * Two round trips: the renewal, then reading back the fires holding exactly
 * the new lease, so a fire finished or reaped meanwhile is not reported.
 */
export async function renewLeases(
  fires: Collection<MongoFireDocument>,
  owner: string,
  leaseMs: number,
  now: number,
): Promise<string[]> {
  const until = now + leaseMs;
  await fires.updateMany(
    { node: owner, state: LIVE, lease_until: { $gte: now } },
    { $set: { lease_until: until } },
  );
  const renewed = await fires
    .find({ node: owner, state: LIVE, lease_until: until }, { projection: { _id: 1 } })
    .toArray();
  return renewed.map(({ _id }) => _id).filter((id): id is string => typeof id === 'string');
}
