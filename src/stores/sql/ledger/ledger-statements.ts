/**
 * The cluster ledger's statements, compiled once per store (see `Template`
 * in `../queries.ts`): arguments are given as `slot(i)` and bound per call.
 * Statements whose shape depends on a count (a `limit`, an `in` list) are
 * compiled once per count.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { SizedStatements, slot, Template } from '../queries.ts';
import type { TableNames } from '../table-names.ts';
import type { LedgerDialect } from './ledger-dialect.ts';

/** The columns of a fire row, in the order `insertFire` takes them. */
export const FIRE_COLUMNS = [
  'fire_id',
  'job_id',
  'scheduled_time',
  'state',
  'node',
  'fence',
  'batch_id',
  'lease_until',
  'claimed_at',
  'started_at',
  'finished_at',
  'recovering',
  'attempt',
  'error_name',
  'error_message',
  'detail',
  'job_state',
  'history',
] as const;

/** A fire row as read: every column as the driver returns it (bigint may come as text). */
export type FireRow = Record<(typeof FIRE_COLUMNS)[number], unknown>;

/** A claimed job row as read. */
export interface ClaimRow {
  id: string;
  next_run_time: unknown;
  job_state: unknown;
  fence: unknown;
  live_batches: unknown;
  /** PostgreSQL's claim returns the clock it claimed with. */
  now?: unknown;
}

export interface LedgerStatements {
  /** () → now */
  clock: Template | null;
  /** PostgreSQL, one statement: (now or null, owner, leaseMs) → ClaimRow[] with `now`. */
  claimPostgres: SizedStatements;
  /** SQLite, one statement in a write transaction: (now, owner, leaseMs) → ClaimRow[]. */
  claimSqlite: SizedStatements;
  /** MySQL: (now) → ClaimRow[] (old fence), rows locked. */
  lockDue: SizedStatements;
  /** MySQL: (owner, leaseUntil, ids…) */
  claimLocked: SizedStatements;
  /** SQLite: (id, fence, next_run_time, job_state, owner) */
  commitJob: Template;
  /**
   * One fire: FIRE_COLUMNS. On SQLite a taken slot skips it; MySQL fails
   * instead (it inserts one fire at a time a batch that met a taken slot).
   */
  insertFire: Template;
  /** SQLite: (state, startedAt or null, finishedAt or null, errorName, errorMessage, fireId, owner, leaseUntil or null) */
  updateFire: Template;
  /** (leaseUntil, owner, now) → fire_id, where `updateReturning` */
  renewReturning: Template;
  /** (leaseUntil, owner, now) */
  renew: Template;
  /** (owner, leaseUntil) → fire_id */
  renewed: Template;
  /** (now) → FireRow[], locked: live fires whose lease expired, and retries now due */
  expiredFires: SizedStatements;
  /** () → next: the earliest time a waiting retry is due, or null */
  nextRetry: Template;
  /** (jobId, now) → live: the job's live batches (what maxInstances counts) */
  liveBatches: Template;
  /** (owner, fence, leaseUntil, now, fireId): a due retry taken, its attempt + 1 */
  takeRetry: Template;
  /** (retryAt, fireId): a due retry that must wait (its job runs maxInstances times) */
  postponeRetry: Template;
  /** (now, detail, fireId): a retry (or queued fire) that will not run */
  dropRetry: Template;
  /** (now, jobId): the job's queued fire gives its place to a later one */
  supersedeQueued: Template;
  /** (jobId, now) → batch: the job's oldest live batch */
  oldestLive: Template;
  /** (jobId, batch) → fire_id: the live fires of a batch */
  batchFires: Template;
  /** (now, detail, fireId): a live fire cancelled for `overlap: 'replace'` */
  replaceFire: Template;
  /** (id) → id, next_run_time, job_state, fence; locked */
  jobOfFire: Template;
  /** (id) */
  bumpFence: Template;
  /** (owner, fence, leaseUntil, now, fireId) */
  recoverFire: Template;
  /** (now, fireId) */
  abandonExpired: Template;
  /** (now, detail, fireId, owner) */
  abandonHeld: Template;
  /** (owner) */
  releaseClaims: Template;
  /** (nodeId, hostname, pid, version, startedAt, lastSeen, clockSkewMs) */
  checkIn: Template;
  /** () → node rows */
  nodes: Template;
}

/** The fire states whose run lease is live, as a SQL list. */
export const LIVE: RawBuilder<unknown> = sql.raw("('claimed', 'running')");
/** Fires waiting for their turn: retries, and fires queued for `maxInstances` (due at their `lease_until`). */
const WAITING: RawBuilder<unknown> = sql.raw("('retried', 'queued')");
/** The states the reaper looks at: live fires (their lease may have expired) and waiting ones. */
const REAPED: RawBuilder<unknown> = sql.raw("('claimed', 'running', 'retried', 'queued')");

/** `slot(i)` as a statement argument. */
export function arg(i: number): RawBuilder<unknown> {
  return sql`${slot(i)}`;
}

export function compileLedgerStatements(
  db: Kysely<unknown>,
  names: TableNames,
  dialect: LedgerDialect,
): LedgerStatements {
  const T = sql.table(names.jobs);
  const F = sql.table(names.fires);
  const N = sql.table(names.nodes);
  const skipLocked = sql.raw(dialect.skipLocked);
  const forUpdate = sql.raw(dialect.forUpdate);
  const clock = dialect.clock === null ? null : sql.raw(dialect.clock);
  const compile = (query: RawBuilder<unknown>) => new Template(query.compile(db));
  const sized = (build: (n: number) => RawBuilder<unknown>) =>
    new SizedStatements((n) => build(n).compile(db));
  const liveBatches = (job: RawBuilder<unknown>, now: RawBuilder<unknown>) =>
    sql`(select count(distinct coalesce(f.batch_id, f.fire_id)) from ${F} f
      where f.job_id = ${job} and f.state in ${LIVE} and f.lease_until >= ${now})`;
  const columns = sql.join(FIRE_COLUMNS.map((column) => sql.ref(column)));
  const onConflict = dialect.onConflictDoNothing
    ? sql`on conflict (job_id, scheduled_time) do nothing`
    : sql``;
  const checkInValues = sql.join(Array.from({ length: 7 }, (_, i) => arg(i)));
  const nodeColumns = sql`node_id, hostname, pid, version, started_at, last_seen, clock_skew_ms`;
  const updated = ['hostname', 'pid', 'version', 'started_at', 'last_seen', 'clock_skew_ms'];
  const upsertNode =
    dialect.name === 'mysql'
      ? sql`on duplicate key update ${sql.join(updated.map((c) => sql`${sql.ref(c)} = values(${sql.ref(c)})`))}`
      : sql`on conflict (node_id) do update set ${sql.join(updated.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`;
  return {
    clock: clock === null ? null : compile(sql`select ${clock} as now`),
    claimPostgres: sized(
      (
        n,
      ) => sql`with c as (select coalesce(cast(${arg(0)} as bigint), ${clock ?? sql`null`}) as now),
        d as (select j.id from ${T} j, c
          where j.next_run_time <= c.now and (j.lease_until is null or j.lease_until < c.now)
          order by j.next_run_time, j.id limit ${sql.lit(n)} for update of j skip locked)
        update ${T} as j set lease_owner = ${arg(1)}, lease_until = c.now + cast(${arg(2)} as bigint),
          fence = j.fence + 1
        from d, c where j.id = d.id
        returning j.id, j.next_run_time, j.job_state, j.fence, c.now as now,
          ${liveBatches(sql`j.id`, sql`c.now`)} as live_batches`,
    ),
    claimSqlite: sized(
      (n) => sql`update ${T} set lease_owner = ${arg(1)}, lease_until = ${arg(0)} + ${arg(2)},
          fence = fence + 1
        where id in (select id from ${T}
          where next_run_time <= ${arg(0)} and (lease_until is null or lease_until < ${arg(0)})
          order by next_run_time, id limit ${sql.lit(n)})
        returning id, next_run_time, job_state, fence,
          ${liveBatches(sql`${T}.id`, arg(0))} as live_batches`,
    ),
    lockDue: sized(
      (n) => sql`select j.id, j.next_run_time, j.job_state, j.fence,
          ${liveBatches(sql`j.id`, arg(0))} as live_batches
        from ${T} j
        where j.next_run_time <= ${arg(0)} and (j.lease_until is null or j.lease_until < ${arg(0)})
        order by j.next_run_time, j.id limit ${sql.lit(n)} ${skipLocked}`,
    ),
    claimLocked: sized(
      (n) => sql`update ${T} set lease_owner = ${arg(0)}, lease_until = ${arg(1)}, fence = fence + 1
        where id in (${sql.join(Array.from({ length: n }, (_, i) => arg(i + 2)))})`,
    ),
    commitJob: compile(
      sql`update ${T} set next_run_time = ${arg(2)}, job_state = ${arg(3)},
        lease_owner = null, lease_until = null
        where id = ${arg(0)} and fence = ${arg(1)} and lease_owner = ${arg(4)}`,
    ),
    insertFire: compile(
      sql`insert into ${F} (${columns})
        values (${sql.join(FIRE_COLUMNS.map((_, i) => arg(i)))}) ${onConflict}`,
    ),
    updateFire: compile(
      sql`update ${F} set state = ${arg(0)}, started_at = coalesce(${arg(1)}, started_at),
        finished_at = ${arg(2)}, error_name = ${arg(3)}, error_message = ${arg(4)},
        lease_until = coalesce(${arg(7)}, lease_until)
        where fire_id = ${arg(5)} and node = ${arg(6)} and state in ${LIVE}`,
    ),
    renewReturning: compile(
      sql`update ${F} set lease_until = ${arg(0)}
        where node = ${arg(1)} and state in ${LIVE} and lease_until >= ${arg(2)}
        returning fire_id`,
    ),
    renew: compile(
      sql`update ${F} set lease_until = ${arg(0)}
        where node = ${arg(1)} and state in ${LIVE} and lease_until >= ${arg(2)}`,
    ),
    renewed: compile(
      sql`select fire_id from ${F}
        where node = ${arg(0)} and state in ${LIVE} and lease_until = ${arg(1)}`,
    ),
    expiredFires: sized(
      (n) => sql`select ${columns} from ${F}
        where state in ${REAPED} and lease_until < ${arg(0)}
        order by lease_until, fire_id limit ${sql.lit(n)} ${skipLocked}`,
    ),
    nextRetry: compile(sql`select min(lease_until) as next from ${F} where state in ${WAITING}`),
    liveBatches: compile(sql`select ${liveBatches(arg(0), arg(1))} as live`),
    takeRetry: compile(
      // MySQL assigns left to right, each seeing the ones before: attempt reads the old state.
      sql`update ${F} set attempt = case when state = 'retried' then attempt + 1 else attempt end,
        state = 'claimed', node = ${arg(0)}, fence = ${arg(1)},
        lease_until = ${arg(2)}, claimed_at = ${arg(3)}, started_at = null, finished_at = null,
        recovering = 0
        where fire_id = ${arg(4)} and state in ${WAITING} and lease_until < ${arg(3)}`,
    ),
    postponeRetry: compile(
      sql`update ${F} set lease_until = ${arg(0)} where fire_id = ${arg(1)} and state in ${WAITING}`,
    ),
    dropRetry: compile(
      sql`update ${F} set state = 'cancelled', finished_at = ${arg(0)}, detail = ${arg(1)}
        where fire_id = ${arg(2)} and state in ${WAITING}`,
    ),
    supersedeQueued: compile(
      sql`update ${F} set state = 'skipped_max_instances', finished_at = ${arg(0)},
        detail = 'a later fire took its place in the queue'
        where job_id = ${arg(1)} and state = 'queued'`,
    ),
    oldestLive: compile(
      sql`select coalesce(batch_id, fire_id) as batch from ${F}
        where job_id = ${arg(0)} and state in ${LIVE} and lease_until >= ${arg(1)}
        order by claimed_at, fire_id limit 1`,
    ),
    batchFires: compile(
      sql`select fire_id from ${F}
        where job_id = ${arg(0)} and state in ${LIVE} and coalesce(batch_id, fire_id) = ${arg(1)}`,
    ),
    replaceFire: compile(
      sql`update ${F} set state = 'cancelled', finished_at = ${arg(0)}, detail = ${arg(1)}
        where fire_id = ${arg(2)} and state in ${LIVE}`,
    ),
    jobOfFire: compile(
      sql`select id, next_run_time, job_state, fence from ${T} where id = ${arg(0)} ${forUpdate}`,
    ),
    bumpFence: compile(
      sql`update ${T} set fence = fence + 1, lease_owner = null, lease_until = null
        where id = ${arg(0)}`,
    ),
    recoverFire: compile(
      sql`update ${F} set state = 'claimed', node = ${arg(0)}, fence = ${arg(1)},
        lease_until = ${arg(2)}, claimed_at = ${arg(3)}, started_at = null, recovering = 1
        where fire_id = ${arg(4)} and state in ${LIVE} and lease_until < ${arg(3)}`,
    ),
    abandonExpired: compile(
      sql`update ${F} set state = 'abandoned', finished_at = ${arg(0)}
        where fire_id = ${arg(1)} and state in ${LIVE} and lease_until < ${arg(0)}`,
    ),
    abandonHeld: compile(
      sql`update ${F} set state = 'abandoned', finished_at = ${arg(0)}, detail = ${arg(1)}
        where fire_id = ${arg(2)} and node = ${arg(3)} and state in ${LIVE}`,
    ),
    releaseClaims: compile(
      sql`update ${T} set lease_owner = null, lease_until = null where lease_owner = ${arg(0)}`,
    ),
    checkIn: compile(
      sql`insert into ${N} (${nodeColumns}) values (${checkInValues}) ${upsertNode}`,
    ),
    nodes: compile(sql`select ${nodeColumns} from ${N} order by last_seen desc, node_id`),
  };
}
