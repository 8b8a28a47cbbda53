/**
 * The cluster ledger (`../../ledger.ts`) of the SQL job store, on the three
 * databases:
 *
 * - **Claims** in one atomic step: PostgreSQL `update … where id in (select …
 *   for update skip locked limit n) returning`; MySQL/MariaDB a transaction
 *   of `select … for update skip locked` and an update of the rows it locked;
 *   SQLite one `update … returning` in a `begin immediate` transaction. Each
 *   claimed row comes back with its new fence and its live batches (counted
 *   in the same statement).
 * - **Commits** in one transaction: the job is written (or removed) only where
 *   its fence and claim owner still match; a user's write through the store
 *   moves the fence on (`../queries.ts`), so that it wins over a claim in
 *   flight. Fires are inserted where their (job, scheduled time) is free.
 * - **The clock**: PostgreSQL's and MariaDB's (milliseconds), SQLite's host.
 *
 * Table layout: `../migrations.ts` (`0002_cluster_ledger`).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Job } from '../../../jobs/job.ts';
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
  NewFire,
  NodeRecord,
  PurgeOptions,
  PurgeResult,
  ReapOptions,
  ReapResult,
  RecoveredFire,
} from '../../ledger.ts';
import { distinctRounds, paddedBatches } from '../batches.ts';
import type { SqlDialectName } from '../dialects.ts';
import { MAX_PADDED_ROWS } from '../queries.ts';
import type { InsertRow, JobRow } from '../rows.ts';
import type { SqlBackend } from '../sql-backend.ts';
import type { RunStatement } from '../statement-runner.ts';
import type { TableNames } from '../table-names.ts';
import { mergeFireUpdates } from './fire-updates.ts';
import { LEDGER_DIALECTS, type LedgerDialect } from './ledger-dialect.ts';
import {
  compareCodePoints,
  fireRecord,
  nodeRecord,
  numberOrNull,
  storedMaxInstances,
  wantsRecovery,
} from './ledger-rows.ts';
import {
  type ClaimRow,
  compileLedgerStatements,
  FIRE_COLUMNS,
  type FireRow,
  type LedgerStatements,
} from './ledger-statements.ts';
import type { FireValues, LedgerWrites, WriteContext } from './ledger-writes.ts';
import { mysqlWrites } from './mysql-writes.ts';
import { postgresWrites } from './postgres-writes.ts';
import { purgeSqlFires } from './purge.ts';
import { renewLeases } from './renew.ts';
import { sqliteWrites } from './sqlite-writes.ts';
import { storeNow } from './store-clock.ts';

/** What the ledger needs of its store. */
export interface SqlLedgerHost {
  readonly backend: SqlBackend;
  readonly names: TableNames;
  /** The job of each row, or null for a row that cannot be restored (reported, as every read reports it). */
  restoreRows(rows: readonly JobRow[]): Promise<(Job | null)[]>;
  /** The row of a job, serialized and checked. @throws SerializationError, JobTooLargeError */
  rowOf(job: Job): InsertRow;
  /** A job was written: it is no longer known as a row that cannot be restored. */
  written(id: string): void;
  leaseConnection(): LeaseConnection | undefined;
}

/** A transaction turned away for a passing reason (a deadlock) runs again, this many times at most. */
const TRANSACTION_ATTEMPTS = 5;

/** How each database writes the ledger's batches. */
const WRITES: Readonly<Record<SqlDialectName, (context: WriteContext) => LedgerWrites>> = {
  postgres: postgresWrites,
  mysql: mysqlWrites,
  sqlite: sqliteWrites,
};

export class SqlLedger implements ClusterLedger {
  readonly #host: SqlLedgerHost;
  /** The backend the statements were compiled for: a restarted store has a new one. */
  #compiledFor: SqlBackend | null = null;
  #dialectOf: LedgerDialect = LEDGER_DIALECTS.sqlite;
  #statementsOf: LedgerStatements | null = null;
  #writesOf: LedgerWrites | null = null;

  /** `host.backend` is read at each call: the ledger exists before its store starts. */
  constructor(host: SqlLedgerHost) {
    this.#host = host;
  }

  get #backend(): SqlBackend {
    const backend = this.#host.backend;
    if (backend !== this.#compiledFor) {
      const dialect = LEDGER_DIALECTS[backend.dialect];
      const statements = compileLedgerStatements(
        backend.db as unknown as Kysely<unknown>,
        this.#host.names,
        dialect,
      );
      this.#dialectOf = dialect;
      this.#statementsOf = statements;
      this.#writesOf = WRITES[backend.dialect]({
        backend,
        names: this.#host.names,
        dialect,
        statements,
        retry: (attempt) => this.#retry(attempt),
        transaction: (work) => this.#transaction(work),
      });
      this.#compiledFor = backend;
    }
    return backend;
  }

  get #dialect(): LedgerDialect {
    void this.#backend;
    return this.#dialectOf;
  }

  get #statements(): LedgerStatements {
    void this.#backend;
    return this.#statementsOf as LedgerStatements;
  }

  get #writes(): LedgerWrites {
    void this.#backend;
    return this.#writesOf as LedgerWrites;
  }

  now(): Promise<number> {
    return storeNow(this.#backend.run, this.#statements, undefined);
  }

  async claimDueJobs(options: ClaimOptions): Promise<Claim> {
    const { owner, leaseMs } = options;
    const limit = Math.floor(options.limit);
    if (!(limit >= 1)) return { now: options.now ?? (await this.now()), jobs: [] };
    const statements = this.#statements;
    let now: number;
    let rows: ClaimRow[];
    switch (this.#dialect.name) {
      case 'postgres': {
        const result = await this.#backend.run<ClaimRow>(
          statements.claimPostgres.rows(limit).bind([options.now ?? null, owner, leaseMs]),
        );
        rows = result.rows;
        const first = rows[0];
        now =
          options.now ??
          (first === undefined ? await this.now() : (numberOrNull(first.now) as number));
        break;
      }
      case 'sqlite': {
        now = options.now ?? Date.now();
        const at = now;
        rows = await this.#transaction(
          async (run) =>
            (await run<ClaimRow>(statements.claimSqlite.rows(limit).bind([at, owner, leaseMs])))
              .rows,
        );
        break;
      }
      case 'mysql': {
        ({ now, rows } = await this.#transaction(async (run) => {
          const at = await storeNow(run, statements, options.now);
          const locked = (await run<ClaimRow>(statements.lockDue.rows(limit).bind([at]))).rows;
          const ids = locked.map((row) => row.id);
          for (const batch of paddedBatches(ids, MAX_PADDED_ROWS))
            await run(
              statements.claimLocked.rows(batch.length).bind([owner, at + leaseMs, ...batch]),
            );
          // The rows are locked: their fence is the one read, plus this claim.
          const claimed = locked.map((row) => ({
            ...row,
            fence: (numberOrNull(row.fence) ?? 0) + 1,
          }));
          return { now: at, rows: claimed };
        }));
        break;
      }
    }
    rows.sort(
      (a, b) =>
        (numberOrNull(a.next_run_time) ?? 0) - (numberOrNull(b.next_run_time) ?? 0) ||
        compareCodePoints(a.id, b.id),
    );
    const restored = await this.#host.restoreRows(rows);
    const jobs: ClaimedJob[] = [];
    rows.forEach((row, i) => {
      const job = restored[i];
      if (job === null || job === undefined) return;
      jobs.push({
        job,
        fence: numberOrNull(row.fence) ?? 0,
        liveBatches: numberOrNull(row.live_batches) ?? 0,
      });
    });
    return { now, jobs };
  }

  /** Queued and replaced fires (`overlap`) are kept. */
  readonly overlap = true;

  async commitClaims(
    owner: string,
    commits: readonly JobCommit[],
    options: CommitOptions,
  ): Promise<CommitResult> {
    // Every job is serialized before the database is touched.
    const rows = commits.map((commit) =>
      commit.job === null ? null : this.#host.rowOf(commit.job),
    );
    const retryStates = commits.map((commit) =>
      commit.retryJob === undefined ? null : this.#host.rowOf(commit.retryJob).job_state,
    );
    const writes = this.#writes;
    const inserted = await this.#transaction(async (run) => {
      const won = new Set<string>();
      const replaced = new Set<string>();
      const lostAt = new Set<number>();
      // A job committed twice in one call is written twice, in order: once per round.
      const rounds = distinctRounds([...commits.keys()], (i) => (commits[i] as JobCommit).jobId);
      for (const round of rounds) {
        const jobs = round.map((i) => {
          const { jobId, fence } = commits[i] as JobCommit;
          return { jobId, fence, row: rows[i] ?? null };
        });
        const { now, written } = await writes.writeJobs(run, owner, jobs, options.now);
        const fires: FireValues[] = [];
        for (const i of round) {
          const commit = commits[i] as JobCommit;
          if (!written.has(commit.jobId)) {
            lostAt.add(i);
            continue;
          }
          if (commit.fires.length === 0) continue;
          if (now === null) throw new Error("the database's clock read nothing");
          if (commit.overlap !== undefined)
            for (const id of await makeRoom(run, this.#statements, commit, now)) replaced.add(id);
          const recoverState =
            retryStates[i] ?? recoveryState(commit, rows[i] ?? null, written.get(commit.jobId));
          for (const fire of commit.fires)
            fires.push(fireValues(fire, commit, owner, now, options.runLeaseMs, recoverState));
        }
        if (fires.length > 0) for (const id of await writes.insertFires(run, fires)) won.add(id);
      }
      return { won, lostAt, replaced };
    });
    const lost: string[] = [];
    const won: string[] = [];
    for (const [i, commit] of commits.entries()) {
      if (inserted.lostAt.has(i)) {
        lost.push(commit.jobId);
        continue;
      }
      if (rows[i] !== null) this.#host.written(commit.jobId);
      for (const fire of commit.fires) if (inserted.won.has(fire.fireId)) won.push(fire.fireId);
    }
    if (inserted.replaced.size === 0) return { lost, won };
    return { lost, won, replaced: [...inserted.replaced] };
  }

  async updateFires(owner: string, updates: readonly FireUpdate[]): Promise<string[]> {
    if (updates.length === 0) return [];
    // One write per fire: its updates in order come to one (see fire-updates.ts).
    const merged = mergeFireUpdates(updates);
    const changed = await this.#writes.updateFires(owner, merged.writes);
    return merged.refused(changed);
  }

  renewFireLeases(owner: string, leaseMs: number, now?: number): Promise<string[]> {
    return renewLeases(
      { backend: this.#backend, statements: this.#statements, dialect: this.#dialect },
      owner,
      leaseMs,
      now,
    );
  }

  async reapExpiredFires(owner: string, options: ReapOptions): Promise<ReapResult> {
    const limit = Math.floor(options.limit);
    if (!(limit >= 1)) return { abandoned: [], recovered: [] };
    const statements = this.#statements;
    const taken = await this.#transaction(async (run) => {
      const now = await storeNow(run, statements, options.now);
      const { rows } = await run<FireRow>(statements.expiredFires.rows(limit).bind([now]));
      const abandoned: FireRecord[] = [];
      const recovered: { fire: FireRecord; row: JobRow; previousNode: string | null }[] = [];
      const retries: { fire: FireRecord; row: JobRow }[] = [];
      for (const row of rows) {
        const fire = fireRecord(row);
        const { rows: jobs } = await run<JobRow & { fence: unknown }>(
          statements.jobOfFire.bind([fire.jobId]),
        );
        const job = jobs[0];
        if (fire.state === 'retried' || fire.state === 'queued') {
          const taken = await takeRetry(run, statements, owner, fire, row, job, now, options);
          if (taken !== null) retries.push(taken);
          continue;
        }
        // The job as it is now decides; a job gone since leaves the state kept with the fire.
        let source: JobRow | null = null;
        if (job !== undefined) source = wantsRecovery(job.job_state) ? job : null;
        else if (typeof row.job_state === 'string')
          source = { id: fire.jobId, next_run_time: null, job_state: row.job_state };
        if (source === null) {
          const result = await run(statements.abandonExpired.bind([now, fire.fireId]));
          if (result.numAffectedRows)
            abandoned.push({ ...fire, state: 'abandoned', finishedAt: now });
          continue;
        }
        // Taken over with the job's next fence: the dead node's writes, and any claim of
        // the job in flight, are stale from now on.
        let fence = fire.fence + 1;
        if (job !== undefined) {
          await run(statements.bumpFence.bind([fire.jobId]));
          fence = (numberOrNull(job.fence) ?? 0) + 1;
        }
        const leaseUntil = now + options.runLeaseMs;
        const result = await run(
          statements.recoverFire.bind([owner, fence, leaseUntil, now, fire.fireId]),
        );
        if (!result.numAffectedRows) continue;
        recovered.push({
          fire: { ...takenBy(fire, owner, fence, leaseUntil, now), recovering: true },
          row: source,
          previousNode: fire.node,
        });
      }
      const { rows: next } = await run<{ next: unknown }>(statements.nextRetry.bind([]));
      const nextRetryAt = numberOrNull(next[0]?.next);
      return { now, abandoned, recovered, retries, nextRetryAt };
    });
    const abandoned = taken.abandoned;
    const recovered: RecoveredFire[] = [];
    const retries: RecoveredFire[] = [];
    const all = [
      ...taken.recovered,
      ...taken.retries.map((r) => ({ ...r, previousNode: r.fire.node })),
    ];
    const jobs = await this.#host.restoreRows(all.map((r) => r.row));
    for (const [i, { fire, previousNode }] of all.entries()) {
      const job = jobs[i];
      if (job !== null && job !== undefined) {
        if (i < taken.recovered.length) recovered.push({ fire, job, previousNode });
        else retries.push({ fire, job });
        continue;
      }
      // Its job cannot be restored here (reported): it cannot run again, so it ends abandoned.
      const detail = 'its job could not be restored to run it again';
      await this.#backend.run(statements.abandonHeld.bind([taken.now, detail, fire.fireId, owner]));
      abandoned.push({
        ...fire,
        node: previousNode,
        state: 'abandoned',
        finishedAt: taken.now,
        detail,
      });
    }
    return { abandoned, recovered, retries, nextRetryAt: taken.nextRetryAt };
  }

  async releaseClaims(owner: string): Promise<void> {
    await this.#backend.run(this.#statements.releaseClaims.bind([owner]));
  }

  async checkIn(node: Omit<NodeRecord, 'lastSeen'>, now?: number): Promise<void> {
    const statements = this.#statements;
    const lastSeen = await storeNow(this.#backend.run, statements, now);
    await this.#backend.run(
      statements.checkIn.bind([
        node.nodeId,
        node.hostname,
        node.pid,
        node.version,
        node.startedAt,
        lastSeen,
        Math.round(node.clockSkewMs),
      ]),
    );
  }

  async getNodes(): Promise<NodeRecord[]> {
    const { rows } = await this.#backend.run<Record<string, unknown>>(
      this.#statements.nodes.bind([]),
    );
    return rows.map(nodeRecord);
  }

  async getFires(query: FireQuery): Promise<FireRecord[]> {
    const limit = Math.floor(query.limit);
    if (!(limit >= 1) || query.states?.length === 0) return [];
    const conditions: RawBuilder<unknown>[] = [];
    if (query.jobId !== undefined) conditions.push(sql`job_id = ${query.jobId}`);
    if (query.states !== undefined)
      conditions.push(sql`state in (${sql.join(query.states.map((state) => sql`${state}`))})`);
    if (query.from !== undefined) conditions.push(sql`scheduled_time >= ${query.from}`);
    if (query.to !== undefined) conditions.push(sql`scheduled_time <= ${query.to}`);
    const { after } = query;
    if (after !== undefined)
      // The first condition alone bounds the index range; the second breaks ties by fire id.
      conditions.push(
        sql`scheduled_time <= ${after.scheduledTime} and (scheduled_time < ${after.scheduledTime} or fire_id < ${after.fireId})`,
      );
    const where = conditions.length === 0 ? sql`` : sql`where ${sql.join(conditions, sql` and `)}`;
    const columns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
    const query_ = sql`select ${columns} from ${sql.table(this.#host.names.fires)} ${where}
      order by scheduled_time desc, fire_id desc limit ${sql.lit(limit)}`;
    const { rows } = await this.#backend.runOnce<FireRow>(query_.compile(this.#backend.db));
    return rows.map(fireRecord);
  }

  async oldestFire(jobId: string): Promise<FireRecord | undefined> {
    const columns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
    const query = sql`select ${columns} from ${sql.table(this.#host.names.fires)}
      where job_id = ${jobId} order by scheduled_time limit 1`;
    const { rows } = await this.#backend.runOnce<FireRow>(query.compile(this.#backend.db));
    const row = rows[0];
    return row === undefined ? undefined : fireRecord(row);
  }

  purgeFires(options: PurgeOptions): Promise<PurgeResult> {
    return purgeSqlFires(this.#backend, this.#host.names, options);
  }

  leaseConnection(): LeaseConnection | undefined {
    return this.#host.leaseConnection();
  }

  /**
   * Runs `work` in one transaction, again from the start (up to
   * TRANSACTION_ATTEMPTS times) when the database turns it away for a
   * deadlock: it was rolled back, so nothing of it stays.
   */
  #transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    return this.#retry(() => this.#backend.transaction(work));
  }

  /** Runs `attempt` (one statement, or a transaction) again while the database turns it away for a deadlock. */
  async #retry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let count = 1; ; count++) {
      try {
        return await attempt();
      } catch (error) {
        if (count >= TRANSACTION_ATTEMPTS || !this.#dialect.isTransient(error)) throw error;
      }
    }
  }
}

/** A fire as the reaper's takeover leaves it: claimed by `owner` with a new fence and lease. */
function takenBy(
  fire: FireRecord,
  owner: string,
  fence: number,
  leaseUntil: number,
  now: number,
): FireRecord {
  return {
    ...fire,
    state: 'claimed',
    node: owner,
    fence,
    leaseUntil,
    claimedAt: now,
    startedAt: null,
  };
}

/**
 * Room for a commit of a job at `maxInstances` (its `overlap`): `'queue'` —
 * the job's queued fire gives its place to this commit's; `'replace'` — its
 * oldest live batch is cancelled (returned: its node aborts it when it finds
 * its lease gone).
 */
async function makeRoom(
  run: RunStatement,
  statements: LedgerStatements,
  commit: JobCommit,
  now: number,
): Promise<string[]> {
  if (commit.overlap === 'queue') {
    await run(statements.supersedeQueued.bind([now, commit.jobId]));
    return [];
  }
  const { rows } = await run<{ batch: unknown }>(statements.oldestLive.bind([commit.jobId, now]));
  const batch = rows[0]?.batch;
  if (batch === undefined || batch === null) return [];
  const { rows: fires } = await run<{ fire_id: unknown }>(
    statements.batchFires.bind([commit.jobId, String(batch)]),
  );
  const replaced: string[] = [];
  const detail = 'replaced by a newer fire of its job (overlap: replace)';
  for (const { fire_id } of fires) {
    const result = await run(statements.replaceFire.bind([now, detail, String(fire_id)]));
    if (result.numAffectedRows) replaced.push(String(fire_id));
  }
  return replaced;
}

/** How long a due retry waits before it asks again while its job runs `maxInstances` times, ms. */
const RETRY_BUSY_MS = 1000;

/**
 * A `retried` (or `queued`) fire now due, in the reaper's transaction: taken
 * by `owner` (a retry as its next attempt; the job's next fence) when its job runs fewer than
 * `maxInstances` times, postponed when it runs that many, recorded cancelled
 * when its job is gone and the fire kept no state to run it with.
 */
async function takeRetry(
  run: RunStatement,
  statements: LedgerStatements,
  owner: string,
  fire: FireRecord,
  row: FireRow,
  job: (JobRow & { fence: unknown }) | undefined,
  now: number,
  options: ReapOptions,
): Promise<{ fire: FireRecord; row: JobRow } | null> {
  let source: JobRow | null = job ?? null;
  if (source === null && typeof row.job_state === 'string')
    source = { id: fire.jobId, next_run_time: null, job_state: row.job_state };
  if (source === null) {
    await run(
      statements.dropRetry.bind([now, 'its job was removed before its retry', fire.fireId]),
    );
    return null;
  }
  // A retry counts toward maxInstances: it waits while the job runs that many times.
  const { rows } = await run<{ live: unknown }>(statements.liveBatches.bind([fire.jobId, now]));
  if ((numberOrNull(rows[0]?.live) ?? 0) >= storedMaxInstances(source.job_state)) {
    await run(statements.postponeRetry.bind([now + RETRY_BUSY_MS, fire.fireId]));
    return null;
  }
  let fence = fire.fence + 1;
  if (job !== undefined) {
    await run(statements.bumpFence.bind([fire.jobId]));
    fence = (numberOrNull(job.fence) ?? 0) + 1;
  }
  const leaseUntil = now + options.runLeaseMs;
  const result = await run(statements.takeRetry.bind([owner, fence, leaseUntil, now, fire.fireId]));
  if (!result.numAffectedRows) return null;
  return {
    fire: {
      ...takenBy(fire, owner, fence, leaseUntil, now),
      finishedAt: null,
      recovering: false,
      attempt: fire.state === 'retried' ? fire.attempt + 1 : fire.attempt,
    },
    row: source,
  };
}

/**
 * The job state a commit's run fires keep, for a job that asks for its
 * crashed runs to be run again (`recover: true`): the job as written, or, for
 * a job the commit removed, as it was claimed. Null for any other.
 */
function recoveryState(
  commit: JobCommit,
  row: InsertRow | null,
  claimedState: unknown,
): string | null {
  if (!commit.fires.some((fire) => fire.state === 'claimed')) return null;
  if (row !== null) return commit.job?.recover === true ? row.job_state : null;
  return wantsRecovery(claimedState) ? (claimedState as string) : null;
}

/** The values of a new fire's row, in FIRE_COLUMNS order. */
function fireValues(
  fire: NewFire,
  { jobId, fence, history }: JobCommit,
  owner: string,
  now: number,
  runLeaseMs: number,
  recoverState: string | null,
): unknown[] {
  const runs = fire.state === 'claimed';
  // A queued fire waits, due now, for an instance of its job to end (see takeRetry).
  const waits = fire.state === 'queued';
  return [
    fire.fireId,
    jobId,
    fire.scheduledTime,
    fire.state,
    owner,
    fence,
    fire.batchId,
    runs ? now + runLeaseMs : waits ? now : null,
    now,
    null,
    runs || waits ? null : now,
    0,
    1,
    null,
    null,
    fire.detail ?? null,
    runs || waits ? recoverState : null,
    history === undefined || history === 'all' ? null : history,
  ];
}
