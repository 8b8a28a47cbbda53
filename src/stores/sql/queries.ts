/**
 * The SQL job store's statements, built with Kysely once per store (Kysely's
 * builders cost more per call than a database round trip on SQLite) and run
 * many times with new arguments: the single-row statements, PostgreSQL's
 * array statements, and the statements of many rows (multi-row inserts,
 * MySQL's locks, upserts and deletes of a batch) in a few fixed sizes.
 */
import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { SqlDialectName } from './dialects.ts';

/** The job table as Kysely sees it; any table name maps to it. */
export interface JobsTable {
  id: string;
  /** pg returns bigint as text, mysql2 and SQLite as number; a hand-edited SQLite row may hold anything. */
  next_run_time: number | string | bigint | null;
  /** Text as written; a hand-edited row may hold something else. */
  job_state: unknown;
  /** The node holding the job's claim (cluster ledger), or null. */
  lease_owner: string | null;
  /** Until when the claim holds, store-clock epoch ms. */
  lease_until: number | string | null;
  /** The fencing token: +1 on every claim and on every write of the job by the store's API. */
  fence?: number | string;
}

export type JobsDatabase = Record<string, JobsTable>;

/** The placeholder value of argument `i` in a query compiled once (see {@link Template}). */
export function slot(i: number): string {
  return `\u{e000}horarium-argument-${i}\u{e000}`;
}
const SLOT = /^\u{e000}horarium-argument-(\d+)\u{e000}$/u;

/**
 * A query built and compiled once and run with new arguments: values given
 * as `slot(i)` when it was built are replaced with argument `i`.
 */
export class Template {
  readonly #query: CompiledQuery;
  /** Per parameter of the compiled query: the argument it takes, or -1 for a constant. */
  readonly #slots: readonly number[];
  /** Do the parameters take the arguments as they come (parameter i = argument i)? */
  readonly #inOrder: boolean;

  constructor(query: CompiledQuery) {
    this.#query = query;
    this.#slots = query.parameters.map((parameter) => {
      const match = typeof parameter === 'string' ? SLOT.exec(parameter) : null;
      return match === null ? -1 : Number(match[1]);
    });
    this.#inOrder = this.#slots.every((at, i) => at === i);
  }

  /** The query with these arguments. */
  bind(args: readonly unknown[]): CompiledQuery {
    const { query, queryId, sql: text, parameters } = this.#query;
    if (this.#inOrder && args.length === parameters.length) {
      return { query, queryId, sql: text, parameters: args };
    }
    const slots = this.#slots;
    const values = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const at = slots[i]!;
      values[i] = at === -1 ? parameters[i] : args[at];
    }
    return { query, queryId, sql: text, parameters: values };
  }
}

/** The store's queries on one table. */
export interface Queries {
  /** (id, next_run_time, job_state) */
  insert: Template;
  /** (id, next_run_time, job_state) */
  update: Template;
  /** (id) */
  remove: Template;
  /** (id) */
  lookup: Template;
  /** (id) */
  exists: Template;
  /** (now in epoch ms) */
  due: Template;
  nextRunTime: Template;
  all: Template;
  removeAll: Template;
  /** PostgreSQL: (ids[], next_run_times[], job_states[]), returns the ids updated */
  updateMany: Template;
  /** PostgreSQL: (ids[]), returns the ids removed */
  removeMany: Template;
  /** The `limit` first (id, next_run_time) pairs by run time, paused jobs left out; a statement of one use. */
  firstRunTimes(limit: number): CompiledQuery;
}

/**
 * What a write of a job through the store's API (`updateJob`, `updateJobs`)
 * sets besides the job: the fence moves on, so that a claim taken before the
 * write commits nothing (the user's change wins), and the claim is released,
 * so that any node may claim the job as changed at once.
 */
const USER_WRITE = {
  fence: sql<number>`fence + 1`,
  lease_owner: null,
  lease_until: null,
} as const;

export const BEGIN_IMMEDIATE: CompiledQuery = CompiledQuery.raw('begin immediate');
export const COMMIT: CompiledQuery = CompiledQuery.raw('commit');
export const ROLLBACK: CompiledQuery = CompiledQuery.raw('rollback');

export function compileQueries(db: Kysely<JobsDatabase>, table: string): Queries {
  const columns = ['id', 'next_run_time', 'job_state'] as const;
  const t = sql.table(table);
  const arrays = sql`unnest(${slot(0)}::text[], ${slot(1)}::bigint[], ${slot(2)}::text[])`;
  return {
    insert: new Template(
      db
        .insertInto(table)
        .values({ id: slot(0), next_run_time: slot(1), job_state: slot(2) })
        .compile(),
    ),
    update: new Template(
      db
        .updateTable(table)
        .set({ next_run_time: slot(1), job_state: slot(2), ...USER_WRITE })
        .where('id', '=', slot(0))
        .compile(),
    ),
    remove: new Template(db.deleteFrom(table).where('id', '=', slot(0)).compile()),
    lookup: new Template(db.selectFrom(table).select(columns).where('id', '=', slot(0)).compile()),
    exists: new Template(db.selectFrom(table).select('id').where('id', '=', slot(0)).compile()),
    due: new Template(
      db
        .selectFrom(table)
        .select(columns)
        .where('next_run_time', '<=', slot(0))
        .orderBy('next_run_time')
        .orderBy('id')
        .compile(),
    ),
    nextRunTime: new Template(
      db
        .selectFrom(table)
        .select((eb) => eb.fn.min('next_run_time').as('next'))
        .compile(),
    ),
    all: new Template(
      db
        .selectFrom(table)
        .select(columns)
        .orderBy(sql`next_run_time is null`)
        .orderBy('next_run_time')
        .orderBy('id')
        .compile(),
    ),
    removeAll: new Template(db.deleteFrom(table).compile()),
    updateMany: new Template(
      sql`update ${t} as t set next_run_time = v.next_run_time, job_state = v.job_state,
        fence = t.fence + 1, lease_owner = null, lease_until = null
        from ${arrays} as v(id, next_run_time, job_state)
        where t.id = v.id returning t.id`.compile(db),
    ),
    removeMany: new Template(
      sql`delete from ${t} where id = any(${slot(0)}::text[]) returning id`.compile(db),
    ),
    firstRunTimes: (limit) =>
      db
        .selectFrom(table)
        .select(['id', 'next_run_time'])
        .where('next_run_time', 'is not', null)
        .orderBy('next_run_time')
        .orderBy('id')
        .limit(limit)
        .compile(),
  };
}

/**
 * The most rows one multi-row insert holds, per dialect. SQLite gains
 * nothing beyond a few dozen rows a statement (the work is in the B-tree,
 * not the call); the servers gain from fewer, larger statements, within
 * their parameter limits (65,535 on both) at three parameters a row.
 */
export const MAX_INSERT_ROWS: Readonly<Record<SqlDialectName, number>> = {
  sqlite: 64,
  postgres: 1000,
  mysql: 1000,
};

/**
 * The row counts of the inserts that add `rows` rows: as many of `max` as
 * fit, then the binary digits of the rest (1000 rows at 64 a statement:
 * 15 × 64, 32, 8). So a store compiles no more than log2(`max`) + 2 shapes
 * of insert, and a database that prepares statements prepares each once.
 */
export function insertSizes(rows: number, max: number): number[] {
  const sizes: number[] = [];
  let rest = rows;
  for (; rest >= max; rest -= max) sizes.push(max);
  for (let size = 2 ** Math.floor(Math.log2(Math.max(rest, 1))); rest > 0; size /= 2) {
    if (rest >= size) {
      sizes.push(size);
      rest -= size;
    }
  }
  return sizes;
}

/**
 * The statement sizes (rows a statement has room for) that carry `rows`
 * rows, each a power of two of at most `max` (itself a power of two): a
 * statement with more room than rows is filled up with a repeat of its last
 * row, which the statements that take padding (`IN` lists, upserts of rows
 * already locked) treat as the row itself. Padding stays within a fifth of a
 * statement; past that the rest is split (600 rows at 1024: 512, 64, 16, 8),
 * so the scheduler's batches of 125, 250, 500 and 1000 jobs are one statement each.
 */
export function paddedSizes(rows: number, max: number): number[] {
  const sizes: number[] = [];
  let rest = rows;
  for (; rest >= max; rest -= max) sizes.push(max);
  while (rest > 0) {
    const up = 2 ** Math.ceil(Math.log2(rest));
    if ((up - rest) * 4 <= rest) {
      sizes.push(up);
      break;
    }
    const down = up / 2;
    sizes.push(down);
    rest -= down;
  }
  return sizes;
}

/** The most rows one padded MySQL batch statement (a lock, an upsert, a delete) holds. */
export const MAX_PADDED_ROWS = 1024;

/** Statements whose shape depends on a row count, each compiled once per count. */
export class SizedStatements {
  readonly #build: (rows: number) => CompiledQuery;
  readonly #byRows = new Map<number, Template>();

  /** `build(rows)` compiles the statement for `rows` rows, its values given as `slot(i)`. */
  constructor(build: (rows: number) => CompiledQuery) {
    this.#build = build;
  }

  /** The statement for `rows` rows. */
  rows(rows: number): Template {
    let template = this.#byRows.get(rows);
    if (template === undefined) {
      template = new Template(this.#build(rows));
      this.#byRows.set(rows, template);
    }
    return template;
  }
}

/** The slots of `rows` (id, next_run_time, job_state) rows, one row after another. */
function rowSlots(rows: number): { id: string; next_run_time: string; job_state: string }[] {
  return Array.from({ length: rows }, (_, i) => ({
    id: slot(3 * i),
    next_run_time: slot(3 * i + 1),
    job_state: slot(3 * i + 2),
  }));
}

function idSlots(ids: number): string[] {
  return Array.from({ length: ids }, (_, i) => slot(i));
}

/** The store's statements whose shape depends on a row count. */
export interface BatchStatements {
  /** Multi-row inserts; arguments: the rows' columns one row after another. */
  insert: SizedStatements;
  /** MySQL: `select id … where id in (…) for update`; arguments: the ids. */
  lock: SizedStatements;
  /**
   * MySQL: multi-row inserts that replace the row with the same id; only for
   * ids locked in the same transaction (else it would add rows); arguments as `insert`.
   */
  upsert: SizedStatements;
  /** `delete … where id in (…)`; arguments: the ids. */
  remove: SizedStatements;
}

export function batchStatements(db: Kysely<JobsDatabase>, table: string): BatchStatements {
  return {
    insert: new SizedStatements((rows) => db.insertInto(table).values(rowSlots(rows)).compile()),
    lock: new SizedStatements((ids) =>
      db.selectFrom(table).select('id').where('id', 'in', idSlots(ids)).forUpdate().compile(),
    ),
    upsert: new SizedStatements((rows) =>
      db
        .insertInto(table)
        .values(rowSlots(rows))
        .onDuplicateKeyUpdate({
          // VALUES(column): the value the row would have inserted. MySQL 8.0.20+ deprecates
          // it (a warning) for a row alias, which MariaDB does not have.
          next_run_time: sql<number>`values(next_run_time)`,
          job_state: sql<string>`values(job_state)`,
          ...USER_WRITE,
        })
        .compile(),
    ),
    remove: new SizedStatements((ids) =>
      db.deleteFrom(table).where('id', 'in', idSlots(ids)).compile(),
    ),
  };
}
