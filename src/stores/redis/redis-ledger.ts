/**
 * The cluster ledger of the Redis job store (`ledger.ts` is the protocol):
 * every operation is one Lua script of `redis-ledger-scripts.ts` on the
 * store's keys (`redis-keys.ts`), so it is atomic on standalone Redis and on
 * Redis Cluster, and its clock is the server's `TIME`. This side checks what
 * goes in, and reads what comes back as untrusted: a job that cannot be
 * restored is reported through the scheduler and skipped, a fire record or
 * check-in that cannot be read is logged and skipped.
 */
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import { compareRunOrder, isStorableId, messageOf } from '../common.ts';
import type {
  Claim,
  ClaimedJob,
  ClaimOptions,
  ClusterLedger,
  CommitOptions,
  CommitResult,
  FireQuery,
  FireRecord,
  FireUpdate,
  JobCommit,
  LeaseConnection,
  NodeRecord,
  ReapOptions,
  ReapResult,
  RecoveredFire,
} from '../ledger.ts';
import { isFireState } from '../ledger.ts';
import type { WakeChannel } from '../wake.ts';
import {
  ABANDON_FIRE,
  CHECK_IN,
  CLAIM_DUE_JOBS,
  COMMIT_CLAIMS,
  GET_FIRES,
  GET_NODES,
  LEDGER_NOW,
  REAP_EXPIRED_FIRES,
  RELEASE_CLAIMS,
  RENEW_FIRE_LEASES,
  UPDATE_FIRES,
} from './redis-ledger-scripts.ts';
import { lex, slotOf, timeKey, timeText } from './redis-members.ts';
import { nodeCheckInJson, parseFireRecord, parseNodeRecord } from './redis-records.ts';
import { asArray, asNumber, asString, asStrings, parseScore } from './redis-replies.ts';
import type { RedisScript } from './redis-scripts.ts';

/** What the ledger uses of its store. */
export interface RedisLedgerHost {
  /** Runs a script with the store's keys. */
  run(script: RedisScript, args: readonly string[]): Promise<unknown>;
  /** The job stored under `id`, or null after reporting why it cannot be restored. */
  restore(id: string, state: unknown, time: number | null): Promise<Job | null>;
  /** The scheduler's logger (the store is started). */
  logger(): Logger;
  /** A job as the store writes it: `[id, state JSON, run time or '' when paused]`. @throws SerializationError */
  entry(job: Job): [string, string, string];
  leaseConnection(): LeaseConnection | undefined;
  wakeChannel(onError: (message: string) => void): WakeChannel | undefined;
  identity(): string;
}

/** The states a commit may insert. */
const NEW_FIRE_STATES: ReadonlySet<string> = new Set([
  'claimed',
  'missed',
  'coalesced',
  'skipped_max_instances',
]);
/** The states an update may set. */
const OUTCOMES: ReadonlySet<string> = new Set([
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'missed',
  'skipped_max_instances',
]);
/** The JavaScript Date range, in epoch ms: every time the ledger keeps lies within it. */
const MAX_TIME = 8.64e15;

export class RedisLedger implements ClusterLedger {
  readonly #host: RedisLedgerHost;

  constructor(host: RedisLedgerHost) {
    this.#host = host;
  }

  async now(): Promise<number> {
    return asNumber(await this.#host.run(LEDGER_NOW, []), 'now');
  }

  async claimDueJobs(options: ClaimOptions): Promise<Claim> {
    const owner = checkName(options.owner, 'claimDueJobs', 'owner');
    const limit = checkCount(options.limit, 'claimDueJobs', 'limit');
    const leaseMs = checkDuration(options.leaseMs, 'claimDueJobs', 'leaseMs');
    const reply = asArray(
      await this.#host.run(CLAIM_DUE_JOBS, [
        owner,
        String(limit),
        String(leaseMs),
        nowArg(options.now, 'claimDueJobs'),
      ]),
      'claimDueJobs',
    );
    const now = asNumber(reply[0], 'claimDueJobs');
    const rows: { id: string; time: number | null; fence: number; liveBatches: number }[] = [];
    const restoring: Promise<Job | null>[] = [];
    for (let i = 1; i + 4 < reply.length; i += 5) {
      const id = asString(reply[i], 'claimDueJobs');
      const time = parseScore(reply[i + 1]);
      rows.push({
        id,
        time,
        fence: asNumber(reply[i + 3], 'claimDueJobs'),
        liveBatches: asNumber(reply[i + 4], 'claimDueJobs'),
      });
      restoring.push(this.#host.restore(id, reply[i + 2] ?? null, time));
    }
    const restored = await Promise.all(restoring);
    const jobs: (ClaimedJob & { time: number | null; id: string })[] = [];
    rows.forEach((row, i) => {
      const job = restored[i];
      if (job === null || job === undefined) return;
      jobs.push({
        job,
        fence: row.fence,
        liveBatches: row.liveBatches,
        id: row.id,
        time: row.time,
      });
    });
    // Redis orders equal run times by UTF-8 bytes; the contract orders ids by UTF-16 code units.
    jobs.sort(compareRunOrder);
    return {
      now,
      jobs: jobs.map(({ job, fence, liveBatches }) => ({ job, fence, liveBatches })),
    };
  }

  async commitClaims(
    owner: string,
    commits: readonly JobCommit[],
    options: CommitOptions,
  ): Promise<CommitResult> {
    checkName(owner, 'commitClaims', 'owner');
    const runLeaseMs = checkDuration(options.runLeaseMs, 'commitClaims', 'runLeaseMs');
    const now = nowArg(options.now, 'commitClaims');
    if (commits.length === 0) return { lost: [], won: [] };
    // Every job is serialized before Redis is touched: a job that cannot be stored fails the commit whole.
    const args = [owner, String(runLeaseMs), now];
    for (const commit of commits) commitArgs(commit, owner, this.#host, args);
    const [lost, won] = asArray(await this.#host.run(COMMIT_CLAIMS, args), 'commitClaims');
    return { lost: asStrings(lost, 'commitClaims'), won: asStrings(won, 'commitClaims') };
  }

  async updateFires(owner: string, updates: readonly FireUpdate[]): Promise<string[]> {
    checkName(owner, 'updateFires', 'owner');
    if (updates.length === 0) return [];
    const payload = updates.map((update) => {
      if (!OUTCOMES.has(update.state))
        throw new TypeError(`updateFires: ${JSON.stringify(update.state)} is not a fire outcome`);
      const error = update.error;
      return {
        fireId: checkName(update.fireId, 'updateFires', 'fireId'),
        state: update.state,
        at: checkTime(update.at, 'updateFires', 'at'),
        ...(error === undefined ? {} : { errorName: error.name, errorMessage: error.message }),
      };
    });
    return asStrings(
      await this.#host.run(UPDATE_FIRES, [owner, JSON.stringify(payload)]),
      'updateFires',
    );
  }

  async renewFireLeases(owner: string, leaseMs: number, now?: number): Promise<string[]> {
    return renewFireLeases((script, args) => this.#host.run(script, args), owner, leaseMs, now);
  }

  async reapExpiredFires(owner: string, options: ReapOptions): Promise<ReapResult> {
    checkName(owner, 'reapExpiredFires', 'owner');
    const limit = checkCount(options.limit, 'reapExpiredFires', 'limit');
    const runLeaseMs = checkDuration(options.runLeaseMs, 'reapExpiredFires', 'runLeaseMs');
    const now = nowArg(options.now, 'reapExpiredFires');
    const [abandonedReply, recoveredReply, corruptReply] = asArray(
      await this.#host.run(REAP_EXPIRED_FIRES, [owner, String(limit), String(runLeaseMs), now]),
      'reapExpiredFires',
    );
    const logger = this.#host.logger();
    for (const fireId of asStrings(corruptReply, 'reapExpiredFires'))
      logger.warn(
        `Job store (Redis): the fire record ${JSON.stringify(fireId)} cannot be read; the reaper left it as it is and dropped it from the live fires`,
      );
    const abandoned: FireRecord[] = [];
    for (const json of asStrings(abandonedReply, 'reapExpiredFires')) {
      const record = this.#readRecord(json);
      if (record !== null) abandoned.push(record);
    }
    const recovered: RecoveredFire[] = [];
    const taken = asArray(recoveredReply, 'reapExpiredFires');
    for (let i = 0; i + 2 < taken.length; i += 3) {
      const record = this.#readRecord(asString(taken[i], 'reapExpiredFires'));
      if (record === null) continue;
      const previous = taken[i + 2] === null ? null : asString(taken[i + 2], 'reapExpiredFires');
      const job = await this.#host.restore(record.jobId, taken[i + 1] ?? null, null);
      if (job !== null) {
        recovered.push({ fire: record, job, previousNode: previous });
        continue;
      }
      // Taken over, but its job cannot run here: recorded abandoned after all.
      const json = await this.#host.run(ABANDON_FIRE, [owner, record.fireId, previous ?? '', now]);
      const dropped = json === null ? null : this.#readRecord(asString(json, 'abandonFire'));
      if (dropped !== null) abandoned.push(dropped);
    }
    return { abandoned, recovered };
  }

  async releaseClaims(owner: string): Promise<void> {
    await this.#host.run(RELEASE_CLAIMS, [checkName(owner, 'releaseClaims', 'owner')]);
  }

  async checkIn(node: Omit<NodeRecord, 'lastSeen'>, now?: number): Promise<void> {
    const nodeId = checkName(node.nodeId, 'checkIn', 'nodeId');
    const record = {
      ...node,
      pid: checkTime(node.pid, 'checkIn', 'pid'),
      startedAt: checkTime(node.startedAt, 'checkIn', 'startedAt'),
      clockSkewMs: checkTime(node.clockSkewMs, 'checkIn', 'clockSkewMs'),
    };
    await this.#host.run(CHECK_IN, [nodeId, nodeCheckInJson(record), nowArg(now, 'checkIn')]);
  }

  async getNodes(): Promise<NodeRecord[]> {
    const reply = asArray(await this.#host.run(GET_NODES, []), 'getNodes');
    const nodes: NodeRecord[] = [];
    for (let i = 0; i + 2 < reply.length; i += 3) {
      const nodeId = asString(reply[i], 'getNodes');
      const json = reply[i + 2];
      try {
        if (json === null || json === undefined)
          throw new Error(`no check-in is stored for node ${JSON.stringify(nodeId)}`);
        nodes.push(
          parseNodeRecord(nodeId, asNumber(reply[i + 1], 'getNodes'), asString(json, 'getNodes')),
        );
      } catch (error) {
        this.#host
          .logger()
          .warn(`Job store (Redis): a node check-in cannot be read: ${messageOf(error)}`);
      }
    }
    return nodes;
  }

  async getFires(query: FireQuery): Promise<FireRecord[]> {
    const optionalTime = (time: number | undefined, name: string): string =>
      time === undefined ? '' : String(checkTime(time, 'getFires', name));
    const limit = checkCount(query.limit, 'getFires', 'limit');
    const { jobId, states } = query;
    if (jobId !== undefined && !isStorableId(jobId)) return [];
    if (states !== undefined) {
      for (const state of states)
        if (!isFireState(state))
          throw new TypeError(`getFires: ${JSON.stringify(state)} is not a fire state`);
      if (states.length === 0) return [];
    }
    const reply = asArray(
      await this.#host.run(GET_FIRES, [
        jobId ?? '',
        jobId === undefined ? '0' : '1',
        String(limit),
        states === undefined ? '' : JSON.stringify(states),
        optionalTime(query.from, 'from'),
        optionalTime(query.to, 'to'),
        optionalTime(query.after?.scheduledTime, 'after.scheduledTime'),
        query.after === undefined ? '' : checkName(query.after.fireId, 'getFires', 'after.fireId'),
      ]),
      'getFires',
    );
    const fires: FireRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const record = this.#readRecord(asString(reply[i + 1], 'getFires'), asString(reply[i]));
      if (record !== null) fires.push(record);
    }
    return fires.slice(0, limit);
  }

  wakeChannel(onError: (message: string) => void): WakeChannel | undefined {
    return this.#host.wakeChannel(onError);
  }

  identity(): string {
    return this.#host.identity();
  }

  leaseConnection(): LeaseConnection | undefined {
    return this.#host.leaseConnection();
  }

  /** A fire record, or null after logging why it cannot be read. */
  #readRecord(json: string, fireId?: string): FireRecord | null {
    let id = fireId;
    try {
      id ??= idOf(json);
      return parseFireRecord(id, json);
    } catch (error) {
      this.#host
        .logger()
        .warn(
          `Job store (Redis): the fire record ${id === undefined ? '' : `${JSON.stringify(id)} `}cannot be read and is skipped: ${messageOf(error)}`,
        );
      return null;
    }
  }
}

/**
 * Renews `owner`'s run leases through `run` (the store's connection, or the
 * lease worker's own): shared by the ledger and the lease renewer.
 */
export async function renewFireLeases(
  run: (script: RedisScript, args: readonly string[]) => Promise<unknown>,
  owner: string,
  leaseMs: number,
  now?: number,
): Promise<string[]> {
  checkName(owner, 'renewFireLeases', 'owner');
  const lease = checkDuration(leaseMs, 'renewFireLeases', 'leaseMs');
  return asStrings(
    await run(RENEW_FIRE_LEASES, [owner, String(lease), nowArg(now, 'renewFireLeases')]),
    'renewFireLeases',
  );
}

/** The fire id a record (written by the scripts) names; throws when it names none. */
function idOf(json: string): string {
  const id = (JSON.parse(json) as { fireId?: unknown } | null)?.fireId;
  if (typeof id !== 'string') throw new Error('it names no fire id');
  return id;
}

/** Appends a commit to the commit script's arguments, as it reads them. */
function commitArgs(commit: JobCommit, owner: string, host: RedisLedgerHost, args: string[]): void {
  const jobId = checkName(commit.jobId, 'commitClaims', 'jobId');
  const fence = checkCount(commit.fence, 'commitClaims', 'fence');
  let state = '';
  let score = '';
  if (commit.job !== null) {
    if (commit.job.id !== jobId)
      throw new TypeError(
        `commitClaims: the commit of job ${JSON.stringify(jobId)} carries job ${JSON.stringify(commit.job.id)}`,
      );
    [, state, score] = host.entry(commit.job);
  }
  const jobPrefix = lex(jobId);
  args.push(jobId, String(fence), state, score, jobPrefix, String(commit.fires.length));
  // The record's fields but those of the store's clock, which the script appends.
  const head = `{"jobId":${JSON.stringify(jobId)},"node":${JSON.stringify(owner)},"fence":${fence},"recovering":false,"attempt":1`;
  for (const fire of commit.fires) {
    if (!NEW_FIRE_STATES.has(fire.state))
      throw new TypeError(
        `commitClaims: a new fire cannot be ${JSON.stringify(fire.state)} (claimed, missed, coalesced or skipped_max_instances)`,
      );
    const fireId = checkName(fire.fireId, 'commitClaims', 'fireId');
    const time = checkTime(fire.scheduledTime, 'commitClaims', 'scheduledTime');
    const batchId =
      fire.batchId === null ? null : checkName(fire.batchId, 'commitClaims', 'batchId');
    const detail = fire.detail ?? null;
    if (detail !== null && typeof detail !== 'string')
      throw new TypeError(
        `commitClaims: a fire's detail must be text or null (got ${typeof detail})`,
      );
    let record = `${head},"fireId":${JSON.stringify(fireId)},"scheduledTime":${timeText(time)},"state":"${fire.state}"`;
    if (batchId !== null) record += `,"batchId":${JSON.stringify(batchId)}`;
    if (detail !== null) record += `,"detail":${JSON.stringify(detail)}`;
    args.push(
      fireId,
      slotOf(time, jobId),
      fire.state === 'claimed' ? '1' : '0',
      timeText(time),
      `${jobPrefix}${timeKey(time)}${fireId}`,
      record,
    );
  }
}

/** A node id, job id, fire id or batch id: text UTF-8 can carry. */
function checkName(value: string, method: string, name: string): string {
  if (!isStorableId(value))
    throw new TypeError(
      `${method}: ${name} must be a string without lone UTF-16 surrogates (got ${typeof value === 'string' ? JSON.stringify(value) : typeof value})`,
    );
  return value;
}

/** A positive integer: a limit or a fencing token. */
function checkCount(value: number, method: string, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${method}: ${name} must be a positive integer (got ${String(value)})`);
  return value;
}

/** A lease, in whole ms (at least 1). */
function checkDuration(value: number, method: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(
      `${method}: ${name} must be a positive number of ms (got ${String(value)})`,
    );
  return Math.max(1, Math.round(value));
}

/** An epoch ms time (or another whole number of ms) a JavaScript Date can hold. */
function checkTime(value: number, method: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_TIME)
    throw new RangeError(`${method}: ${name} must be a finite number of ms (got ${String(value)})`);
  return Math.round(value);
}

/** The `now` argument of a script: the given time, or `''` for the server's clock. */
function nowArg(now: number | undefined, method: string): string {
  return now === undefined ? '' : String(checkTime(now, method, 'now'));
}
