/**
 * The cluster ledger of the Redis job store (`ledger.ts` is the protocol):
 * every operation is made of calls of the Lua scripts of
 * `redis-ledger-scripts.ts` on the store's keys (`redis-keys.ts`), each
 * atomic on standalone Redis and on Redis Cluster, its clock the server's
 * `TIME`. An operation on many jobs or fires is cut into calls of bounded
 * size (`redis-ledger-slices.ts`), as a script holds the server alone; each
 * job's claim and commit, and each fire's update, stays within one call. This side checks what
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
  PurgeOptions,
  PurgeResult,
  ReapOptions,
  ReapResult,
  RecoveredFire,
} from '../ledger.ts';
import { isFireState } from '../ledger.ts';
import type { WakeChannel } from '../wake.ts';
import { FireLeaseRenewal } from './redis-lease-renewal.ts';
import { checkCount, checkDuration, checkName, checkTime, nowArg } from './redis-ledger-checks.ts';
import {
  ABANDON_FIRE,
  CHECK_IN,
  CLAIM_DUE_JOBS,
  COMMIT_CLAIMS,
  GET_FIRES,
  GET_NODES,
  LEDGER_NOW,
  OLDEST_FIRE,
  PURGE_FIRES,
  REAP_EXPIRED_FIRES,
  RELEASE_CLAIMS,
  UPDATE_FIRES,
} from './redis-ledger-scripts.ts';
import {
  CLAIM_SLICE,
  COMMIT_SLICE,
  FIRES_SLICE,
  REAP_BUDGET,
  REAP_SLICE,
  UPDATE_SLICE,
} from './redis-ledger-slices.ts';
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
  'excluded',
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
  'retried',
]);

export class RedisLedger implements ClusterLedger {
  readonly #host: RedisLedgerHost;
  readonly #renewal: FireLeaseRenewal;

  constructor(host: RedisLedgerHost) {
    this.#host = host;
    this.#renewal = new FireLeaseRenewal((script, args) => host.run(script, args));
  }

  async now(): Promise<number> {
    return asNumber(await this.#host.run(LEDGER_NOW, []), 'now');
  }

  async claimDueJobs(options: ClaimOptions): Promise<Claim> {
    const owner = checkName(options.owner, 'claimDueJobs', 'owner');
    const limit = checkCount(options.limit, 'claimDueJobs', 'limit');
    const leaseMs = String(checkDuration(options.leaseMs, 'claimDueJobs', 'leaseMs'));
    let at = nowArg(options.now, 'claimDueJobs');
    let now: number | undefined;
    const rows: { id: string; time: number | null; fence: number; liveBatches: number }[] = [];
    const restoring: Promise<Job | null>[] = [];
    // In slices of CLAIM_SLICE jobs, all at the first slice's now, each going on where the one
    // before it stopped looking, until `limit` jobs are claimed or every due job was looked at.
    let offset = '0';
    for (let left = limit; left > 0; ) {
      const slice = Math.min(left, CLAIM_SLICE);
      const reply = asArray(
        await this.#host.run(CLAIM_DUE_JOBS, [owner, String(slice), leaseMs, at, offset]),
        'claimDueJobs',
      );
      now ??= asNumber(reply[0], 'claimDueJobs');
      at = String(now);
      for (let i = 2; i + 4 < reply.length; i += 5) {
        const id = asString(reply[i], 'claimDueJobs');
        const time = parseScore(reply[i + 1]);
        rows.push({
          id,
          time,
          fence: asNumber(reply[i + 3], 'claimDueJobs'),
          liveBatches: asNumber(reply[i + 4], 'claimDueJobs'),
        });
        restoring.push(this.#host.restore(id, reply[i + 2] ?? null, time));
        left--;
      }
      offset = asString(reply[1], 'claimDueJobs');
      if (offset === '') break;
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
      now: now as number,
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
    const perJob = commits.map((commit) => commitArgs(commit, owner, this.#host));
    const lost: string[] = [];
    const won: string[] = [];
    // In slices of at most COMMIT_SLICE fires (a job's commit is never split), each atomic: a job's
    // commit stands alone, so a failure after some slices is a commit whose outcome is unknown,
    // as when the reply of one script is lost: nothing runs, and the reaper finds any fire written.
    for (let first = 0; first < perJob.length; ) {
      const args = [owner, String(runLeaseMs), now];
      let fires = 0;
      let last = first;
      while (last < perJob.length) {
        const job = perJob[last] as CommitArgs;
        // A job without fires still costs about one (its own write).
        const size = Math.max(1, job.fires);
        if (last > first && fires + size > COMMIT_SLICE) break;
        for (const arg of job.args) args.push(arg);
        fires += size;
        last++;
      }
      const [lostReply, wonReply] = asArray(
        await this.#host.run(COMMIT_CLAIMS, args),
        'commitClaims',
      );
      for (const id of asStrings(lostReply, 'commitClaims')) lost.push(id);
      for (const id of asStrings(wonReply, 'commitClaims')) won.push(id);
      first = last;
    }
    return { lost, won };
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
        ...(update.retryAt === undefined
          ? {}
          : { retryAt: checkTime(update.retryAt, 'updateFires', 'retryAt') }),
      };
    });
    // In slices of UPDATE_SLICE, in order: an update stands alone, and a fire's updates keep their order.
    const refused: string[] = [];
    for (let first = 0; first < payload.length; first += UPDATE_SLICE) {
      const slice = JSON.stringify(payload.slice(first, first + UPDATE_SLICE));
      const reply = await this.#host.run(UPDATE_FIRES, [owner, slice]);
      for (const id of asStrings(reply, 'updateFires')) refused.push(id);
    }
    return refused;
  }

  async renewFireLeases(owner: string, leaseMs: number, now?: number): Promise<string[]> {
    return this.#renewal.renew(owner, leaseMs, now);
  }

  async reapExpiredFires(owner: string, options: ReapOptions): Promise<ReapResult> {
    checkName(owner, 'reapExpiredFires', 'owner');
    const limit = checkCount(options.limit, 'reapExpiredFires', 'limit');
    const runLeaseMs = checkDuration(options.runLeaseMs, 'reapExpiredFires', 'runLeaseMs');
    const now = nowArg(options.now, 'reapExpiredFires');
    const abandoned: FireRecord[] = [];
    const recovered: RecoveredFire[] = [];
    const retries: RecoveredFire[] = [];
    let nextRetryAt: number | null = null;
    // In slices: one script call reaps at most REAP_SLICE fires and looks at REAP_BUDGET entries.
    for (let left = limit; left > 0; ) {
      const slice = Math.min(left, REAP_SLICE);
      const [abandonedReply, recoveredReply, corruptReply, more, retriedReply, postponed] = asArray(
        await this.#host.run(REAP_EXPIRED_FIRES, [
          owner,
          String(slice),
          String(runLeaseMs),
          now,
          String(REAP_BUDGET),
        ]),
        'reapExpiredFires',
      );
      left -= await this.#reaped(owner, now, abandonedReply, recoveredReply, corruptReply, {
        abandoned,
        recovered,
      });
      left -= await this.#retriesTaken(owner, now, retriedReply, { abandoned, retries });
      if (typeof postponed === 'string' && postponed !== '') {
        const at = Number(postponed);
        if (nextRetryAt === null || at < nextRetryAt) nextRetryAt = at;
      }
      if (more !== '1') break;
    }
    return { abandoned, recovered, retries, nextRetryAt };
  }

  /** Reads the retries one reaper slice took into `result`; returns how many. */
  async #retriesTaken(
    owner: string,
    now: string,
    reply: unknown,
    result: { abandoned: FireRecord[]; retries: RecoveredFire[] },
  ): Promise<number> {
    const taken = reply === undefined ? [] : asArray(reply, 'reapExpiredFires');
    for (let i = 0; i + 1 < taken.length; i += 2) {
      const record = this.#readRecord(asString(taken[i], 'reapExpiredFires'));
      if (record === null) continue;
      const job = await this.#host.restore(record.jobId, taken[i + 1] ?? null, null);
      if (job !== null) {
        result.retries.push({ fire: record, job, previousNode: record.node });
        continue;
      }
      // Taken, but its job cannot run here: recorded abandoned after all.
      const json = await this.#host.run(ABANDON_FIRE, [owner, record.fireId, '', now]);
      const dropped = json === null ? null : this.#readRecord(asString(json, 'abandonFire'));
      if (dropped !== null) result.abandoned.push(dropped);
    }
    return Math.floor(taken.length / 2);
  }

  /** Reads one reaper slice's reply into `result`; returns how many fires it reaped. */
  async #reaped(
    owner: string,
    now: string,
    abandonedReply: unknown,
    recoveredReply: unknown,
    corruptReply: unknown,
    result: { abandoned: FireRecord[]; recovered: RecoveredFire[] },
  ): Promise<number> {
    const logger = this.#host.logger();
    for (const fireId of asStrings(corruptReply, 'reapExpiredFires'))
      logger.warn(
        `Job store (Redis): the fire record ${JSON.stringify(fireId)} cannot be read; the reaper left it as it is and dropped it from the live fires`,
      );
    const abandonedTexts = asStrings(abandonedReply, 'reapExpiredFires');
    for (const json of abandonedTexts) {
      const record = this.#readRecord(json);
      if (record !== null) result.abandoned.push(record);
    }
    const taken = asArray(recoveredReply, 'reapExpiredFires');
    for (let i = 0; i + 2 < taken.length; i += 3) {
      const record = this.#readRecord(asString(taken[i], 'reapExpiredFires'));
      if (record === null) continue;
      const previous = taken[i + 2] === null ? null : asString(taken[i + 2], 'reapExpiredFires');
      const job = await this.#host.restore(record.jobId, taken[i + 1] ?? null, null);
      if (job !== null) {
        result.recovered.push({ fire: record, job, previousNode: previous });
        continue;
      }
      // Taken over, but its job cannot run here: recorded abandoned after all.
      const json = await this.#host.run(ABANDON_FIRE, [owner, record.fireId, previous ?? '', now]);
      const dropped = json === null ? null : this.#readRecord(asString(json, 'abandonFire'));
      if (dropped !== null) result.abandoned.push(dropped);
    }
    return abandonedTexts.length + Math.floor(taken.length / 3);
  }

  async releaseClaims(owner: string): Promise<void> {
    checkName(owner, 'releaseClaims', 'owner');
    // In HSCAN steps: however many claims the store holds, no call holds the server long.
    let cursor = '0';
    do {
      cursor = asString(await this.#host.run(RELEASE_CLAIMS, [owner, cursor]), 'releaseClaims');
    } while (cursor !== '0');
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
    const from = optionalTime(query.from, 'from');
    const to = optionalTime(query.to, 'to');
    let afterTime = optionalTime(query.after?.scheduledTime, 'after.scheduledTime');
    let afterId =
      query.after === undefined ? '' : checkName(query.after.fireId, 'getFires', 'after.fireId');
    // In slices: one call reads at most FIRES_SLICE fires, the next goes on after the last it read.
    const fires: FireRecord[] = [];
    for (let left = limit; left > 0; ) {
      const reply = asArray(
        await this.#host.run(GET_FIRES, [
          jobId ?? '',
          jobId === undefined ? '0' : '1',
          String(left),
          states === undefined ? '' : JSON.stringify(states),
          from,
          to,
          afterTime,
          afterId,
          String(FIRES_SLICE),
        ]),
        'getFires',
      );
      for (let i = 3; i + 1 < reply.length; i += 2) {
        const record = this.#readRecord(asString(reply[i + 1], 'getFires'), asString(reply[i]));
        if (record !== null) fires.push(record);
      }
      left -= asNumber(reply[2], 'getFires');
      afterTime = asString(reply[0], 'getFires');
      afterId = asString(reply[1], 'getFires');
      if (afterTime === '') break;
    }
    return fires.slice(0, limit);
  }

  async oldestFire(jobId: string): Promise<FireRecord | undefined> {
    if (!isStorableId(jobId)) return undefined;
    const json = await this.#host.run(OLDEST_FIRE, [jobId]);
    if (json === null || json === undefined) return undefined;
    return this.#readRecord(asString(json, 'oldestFire')) ?? undefined;
  }

  async purgeFires(options: PurgeOptions): Promise<PurgeResult> {
    // Whole ms: a cut-off, or the pass's place (PURGE_START lies before every Date).
    const time = (value: number, name: string) => {
      if (!Number.isSafeInteger(value))
        throw new RangeError(`purgeFires: ${name} must be a whole number of ms (got ${value})`);
      return String(value);
    };
    const { after } = options;
    const keep =
      options.keepPerJob === 0 ? 0 : checkCount(options.keepPerJob, 'purgeFires', 'keepPerJob');
    const reply = asArray(
      await this.#host.run(PURGE_FIRES, [
        time(Math.round(options.succeededBefore), 'succeededBefore'),
        time(Math.round(options.otherBefore), 'otherBefore'),
        String(keep),
        String(checkCount(options.limit, 'purgeFires', 'limit')),
        after === undefined ? '' : time(after.scheduledTime, 'after.scheduledTime'),
        after === undefined ? '' : after.fireId,
      ]),
      'purgeFires',
    );
    const nextTime = asString(reply[1], 'purgeFires');
    return {
      removed: asNumber(reply[0], 'purgeFires'),
      next:
        nextTime === ''
          ? null
          : { scheduledTime: Number(nextTime), fireId: asString(reply[2], 'purgeFires') },
    };
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

/** The fire id a record (written by the scripts) names; throws when it names none. */
function idOf(json: string): string {
  const id = (JSON.parse(json) as { fireId?: unknown } | null)?.fireId;
  if (typeof id !== 'string') throw new Error('it names no fire id');
  return id;
}

/** One job's commit as the commit script reads it, and its number of fires. */
interface CommitArgs {
  readonly args: string[];
  readonly fires: number;
}

/** A job's commit as the commit script reads it. */
function commitArgs(commit: JobCommit, owner: string, host: RedisLedgerHost): CommitArgs {
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
  const history = commit.history === 'failures' || commit.history === 'off' ? commit.history : '';
  const args = [
    jobId,
    String(fence),
    state,
    score,
    jobPrefix,
    String(commit.fires.length),
    history,
  ];
  // The record's fields but those of the store's clock, which the script appends.
  let head = `{"jobId":${JSON.stringify(jobId)},"node":${JSON.stringify(owner)},"fence":${fence},"recovering":false,"attempt":1`;
  if (history !== '') head += `,"history":"${history}"`;
  for (const fire of commit.fires) {
    if (!NEW_FIRE_STATES.has(fire.state))
      throw new TypeError(
        `commitClaims: a new fire cannot be ${JSON.stringify(fire.state)} (claimed, missed, coalesced, skipped_max_instances or excluded)`,
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
  return { args, fires: commit.fires.length };
}
