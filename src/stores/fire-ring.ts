/**
 * The fire history of a store no other process shares (the memory store): the
 * newest fires in a ring of fixed size, kept in the process. The scheduler
 * writes it as it plans and runs the store's jobs; `scheduler.getFires` and
 * `scheduler.explain` read it as they read a persistent store's ledger. A
 * ring and not a log: a scheduler running for months keeps the newest rows in
 * constant memory.
 *
 * Retention: a job's `history` applies as its fires end — `'off'` keeps no
 * row once a fire has ended (a decided fire is not kept at all), `'failures'`
 * no succeeded row — and the scheduler's age rules (`expire`) drop rows
 * before each read, as a persistent store's purge would.
 */
import { randomBytes } from 'node:crypto';
import type { FireHistory } from '../jobs/job-fields.ts';
import type { FireOutcome, FireQuery, FireRecord, FireState, PurgeOptions } from './ledger.ts';

/** Rows a memory store keeps unless told otherwise. */
export const DEFAULT_FIRE_RING_SIZE = 1000;

/** A fire as the ring holds it: a {@link FireRecord} the scheduler updates in place. */
type Row = { -readonly [K in keyof FireRecord]: FireRecord[K] };

/** What a fire is recorded with when it is planned (the ring gives it its id). */
export interface PlannedFire {
  readonly jobId: string;
  readonly scheduledTime: number;
  readonly state: 'claimed' | 'missed' | 'coalesced' | 'skipped_max_instances' | 'excluded';
  readonly node: string;
  readonly batchId: string | null;
  readonly at: number;
  readonly detail?: string | null;
  /** The job's `history` (default `'all'`). */
  readonly history?: FireHistory;
}

/** The age rules of a purge, applied to the rows of a ring. */
export type RingRetention = Omit<PurgeOptions, 'limit' | 'after'>;

export class FireRing {
  readonly capacity: number;
  readonly #rows: (Row | undefined)[];
  /** The `history` of each row's job: 0 `'all'`, 1 `'failures'`, 2 `'off'`. */
  readonly #histories: Uint8Array;
  /**
   * Fire ids are this prefix and a sequence number (base 36): the number
   * tells the row (`sequence mod capacity`), so an update finds its fire
   * without a map of ids, which at thousands of runs a second cost more than
   * the rest of the ring.
   */
  readonly #prefix = `${randomBytes(6).toString('hex')}-`;
  #sequence = 0;

  constructor(capacity: number = DEFAULT_FIRE_RING_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`a fire ring holds a whole number of rows, 1 or more (got ${capacity})`);
    this.capacity = capacity;
    this.#rows = new Array<Row | undefined>(capacity);
    this.#histories = new Uint8Array(capacity);
  }

  /** Records a planned fire, in place of the oldest row once the ring is full; returns its id. */
  add(fire: PlannedFire): string {
    const sequence = this.#sequence++;
    const slot = sequence % this.capacity;
    const fireId = this.#prefix + sequence.toString(36);
    const decided = fire.state !== 'claimed';
    const history = HISTORY_CODES[fire.history ?? 'all'];
    // A decided fire of a job that keeps no history has ended already: no row.
    if (decided && history === OFF) return fireId;
    this.#histories[slot] = history;
    const old = this.#rows[slot];
    if (old === undefined) {
      this.#rows[slot] = {
        fireId,
        jobId: fire.jobId,
        scheduledTime: fire.scheduledTime,
        state: fire.state,
        node: fire.node,
        fence: 0,
        batchId: fire.batchId,
        leaseUntil: null,
        claimedAt: decided ? null : fire.at,
        startedAt: null,
        finishedAt: decided ? fire.at : null,
        recovering: false,
        attempt: 1,
        errorName: null,
        errorMessage: null,
        detail: fire.detail ?? null,
      };
    } else {
      // The oldest row is written over in place: no garbage per fire.
      old.fireId = fireId;
      old.jobId = fire.jobId;
      old.scheduledTime = fire.scheduledTime;
      old.state = fire.state;
      old.node = fire.node;
      old.batchId = fire.batchId;
      old.claimedAt = decided ? null : fire.at;
      old.startedAt = null;
      old.finishedAt = decided ? fire.at : null;
      old.errorName = null;
      old.errorMessage = null;
      old.detail = fire.detail ?? null;
      old.attempt = 1;
      old.leaseUntil = null;
    }
    return fireId;
  }

  /** The slot of a fire this ring gave the id of, while it holds it. */
  #slotOf(fireId: string): number | undefined {
    if (!fireId.startsWith(this.#prefix)) return undefined;
    const sequence = Number.parseInt(fireId.slice(this.#prefix.length), 36);
    if (!Number.isSafeInteger(sequence)) return undefined;
    const slot = sequence % this.capacity;
    return this.#rows[slot]?.fireId === fireId ? slot : undefined;
  }

  /** The row of a fire this ring gave the id of, while it holds it. */
  #rowOf(fireId: string): Row | undefined {
    const slot = this.#slotOf(fireId);
    return slot === undefined ? undefined : this.#rows[slot];
  }

  /** A start or an outcome; ignored for a fire the ring no longer holds. */
  update(
    fireId: string,
    state: FireOutcome | 'queued',
    at: number,
    error?: { readonly name: string; readonly message: string },
  ): void {
    const slot = this.#slotOf(fireId);
    if (slot === undefined) return;
    const row = this.#rows[slot] as Row;
    const history = this.#histories[slot];
    // An ended fire of a job that keeps less history leaves no row (a fire waiting
    // for its retry or its turn has not ended).
    const ended = state !== 'running' && state !== 'retried' && state !== 'queued';
    if (ended && (history === OFF || (history === FAILURES && state === 'succeeded'))) {
      this.#rows[slot] = undefined;
      return;
    }
    row.state = state;
    if (state === 'running') row.startedAt = at;
    else if (state !== 'queued') row.finishedAt = at;
    if (error !== undefined) {
      row.errorName = error.name;
      row.errorMessage = error.message;
    }
  }

  /**
   * A run of a fire failed and the fire waits for its next attempt until
   * `retryAt` (kept as its `leaseUntil`, as a shared store's ledger keeps it).
   * Returns the fire's scheduled time, or undefined for a fire the ring no longer holds.
   */
  retried(
    fireId: string,
    at: number,
    retryAt: number,
    error?: { readonly name: string; readonly message: string },
  ): number | undefined {
    const row = this.#rowOf(fireId);
    if (row === undefined) return undefined;
    this.update(fireId, 'retried', at, error);
    row.leaseUntil = retryAt;
    return row.scheduledTime;
  }

  /** The next attempt of a `retried` fire starts: it is `claimed` again; returns its attempt number. */
  rerun(fireId: string, at: number): number | undefined {
    const row = this.#rowOf(fireId);
    if (row === undefined || row.state !== 'retried') return undefined;
    row.state = 'claimed';
    row.attempt += 1;
    row.claimedAt = at;
    row.startedAt = null;
    row.finishedAt = null;
    row.leaseUntil = null;
    return row.attempt;
  }

  /** The attempt {@link rerun} started could not start after all: the fire waits again until `retryAt`. */
  rerunRefused(fireId: string, retryAt: number): void {
    const row = this.#rowOf(fireId);
    if (row === undefined || row.state !== 'claimed') return;
    row.state = 'retried';
    row.attempt -= 1;
    row.leaseUntil = retryAt;
  }

  /** Fires as a ledger lists them (see {@link FireQuery}): newest first, copies. */
  getFires(query: FireQuery): FireRecord[] {
    const limit = Math.floor(query.limit);
    if (!(limit >= 1)) return [];
    const states =
      query.states === undefined ? undefined : new Set<FireState>(query.states as FireState[]);
    const { jobId, from, to, after } = query;
    const found: Row[] = [];
    for (const row of this.#rows) {
      if (row === undefined) continue;
      if (jobId !== undefined && row.jobId !== jobId) continue;
      if (states !== undefined && !states.has(row.state)) continue;
      if (from !== undefined && row.scheduledTime < from) continue;
      if (to !== undefined && row.scheduledTime > to) continue;
      if (
        after !== undefined &&
        (row.scheduledTime > after.scheduledTime ||
          (row.scheduledTime === after.scheduledTime && row.fireId >= after.fireId))
      )
        continue;
      found.push(row);
    }
    found.sort(newestFirst);
    return found.slice(0, limit).map((row) => ({ ...row }));
  }

  /** The oldest fire kept (of `jobId`, when given). */
  oldest(jobId?: string): FireRecord | undefined {
    let oldest: Row | undefined;
    for (const row of this.#rows) {
      if (row === undefined || (jobId !== undefined && row.jobId !== jobId)) continue;
      if (oldest === undefined || newestFirst(row, oldest) > 0) oldest = row;
    }
    return oldest === undefined ? undefined : { ...oldest };
  }

  /**
   * Drops the rows a persistent store's purge would remove by age (see
   * `PurgeOptions`): final rows past their cut-off that are not among the
   * newest `keepPerJob` of their job.
   */
  expire(rules: RingRetention): void {
    const byJob = new Map<string, Row[]>();
    for (const row of this.#rows) {
      if (row === undefined) continue;
      const rows = byJob.get(row.jobId);
      if (rows === undefined) byJob.set(row.jobId, [row]);
      else rows.push(row);
    }
    for (const rows of byJob.values()) {
      if (rows.length <= rules.keepPerJob) continue;
      rows.sort(newestFirst);
      for (const row of rows.slice(rules.keepPerJob)) {
        if (row.state === 'claimed' || row.state === 'running') continue;
        const before = row.state === 'succeeded' ? rules.succeededBefore : rules.otherBefore;
        const ended = Math.max(row.scheduledTime, row.finishedAt ?? row.scheduledTime);
        const slot = ended < before ? this.#slotOf(row.fireId) : undefined;
        if (slot !== undefined) this.#rows[slot] = undefined;
      }
    }
  }

  /** Forgets every fire. */
  clear(): void {
    this.#rows.fill(undefined);
  }
}

const FAILURES = 1;
const OFF = 2;
const HISTORY_CODES: Readonly<Record<FireHistory, number>> = {
  all: 0,
  failures: FAILURES,
  off: OFF,
};

function newestFirst(a: Row, b: Row): number {
  return (
    b.scheduledTime - a.scheduledTime || (a.fireId < b.fireId ? 1 : a.fireId > b.fireId ? -1 : 0)
  );
}
