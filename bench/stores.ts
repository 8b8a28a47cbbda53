// Job store throughput: single `addJob` calls, bulk `addJobs` calls and due-job processing through a
// real AsyncScheduler, per store — SQLite (a file in os.tmpdir(), default durability), PostgreSQL
// (default durability, then again with the opt-in `durability: 'relaxed'`), MariaDB/MySQL, Redis,
// and the memory store for reference. Every store gets its own table / key prefix, dropped
// afterwards; a server that cannot be reached is reported and skipped.
//
// For the SQL servers, the `driver floor` column is what the bare driver reaches with the same
// single-row inserts (a prepared statement, one commit each, sequential) on the same server:
// the cost of the server's commit, which no store can go below without changing durability.
//
// Servers: POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), MYSQL_URL (default
// mysql://root@127.0.0.1:3306/test), REDIS_URL (default redis://127.0.0.1:6379).
//
// For quick trials: BENCH_STORES=sqlite,postgres,postgres-relaxed,mariadb,redis,memory runs only
// those stores, BENCH_STORE_CASES=single,bulk,due only those cases (default: all of both).

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { createConnection as createMysqlConnection } from 'mysql2/promise';
import pg from 'pg';
import { type JobStore, readJobDocument, type StoreContext, serializeJob } from '../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_ERROR,
  EVENT_JOB_MISSED,
  EVENT_JOBSTORE_ERROR,
  IntervalTrigger,
  Job,
  MemoryJobStore,
  RedisJobStore,
  SqlJobStore,
  type SqlJobStoreOptions,
  silentLogger,
} from '../src/index.ts';
import type { ClusterLedger } from '../src/stores/ledger.ts';
import { openDatabase, parseSqlUrl } from '../src/stores/sql/dialects.ts';
import { printTable } from './table.ts';

const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function sizeFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Jobs per timed sample of single adds (a sample also ends after SAMPLE_BUDGET_MS). */
const SINGLE_JOBS = sizeFromEnv('BENCH_STORE_SINGLE', 20_000);
/** Jobs per timed sample of bulk adds, in `addJobs` calls of BULK_BATCH jobs. */
const BULK_JOBS = sizeFromEnv('BENCH_STORE_BULK', 100_000);
const BULK_BATCH = 1_000;
/** Due jobs in the processing case. */
const DUE_JOBS = sizeFromEnv('BENCH_STORE_DUE', 10_000);
/** Timed samples per add case; the reported figure is their median. */
const SAMPLES = 3;
/** A sample stops adding after this long and is reported on the jobs it added. */
const SAMPLE_BUDGET_MS = 3_000;
/** Longest the due-job case may take from the due instant. */
const DUE_CAP_MS = 60_000;

const CASES = ['single', 'bulk', 'due'] as const;
type Case = (typeof CASES)[number];

/** The comma-separated names in environment variable `name` (lower case), or null when it is unset or empty. */
function listFromEnv(name: string): string[] | null {
  const names = (process.env[name] ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '');
  return names.length === 0 ? null : names;
}

const SELECTED_STORES = listFromEnv('BENCH_STORES');
const SELECTED_CASES = new Set<string>(listFromEnv('BENCH_STORE_CASES') ?? CASES);
const runsCase = (name: Case): boolean => SELECTED_CASES.has(name);

/** The store name of PostgreSQL with the opt-in relaxed durability (the default is the row named 'PostgreSQL'). */
const POSTGRES_RELAXED = "PostgreSQL, durability 'relaxed' (opt-in)";

const TARGETS = {
  SQLite: { single: 10_000, bulk: 100_000, due: 5_000 },
  PostgreSQL: { single: 3_000, bulk: 50_000, due: 5_000 },
  [POSTGRES_RELAXED]: { single: 3_000, bulk: 50_000, due: 5_000 },
  MariaDB: { single: 3_000, bulk: 50_000, due: null },
} as const satisfies Record<string, { single: number; bulk: number; due: number | null }>;

// ---------------------------------------------------------------------------------------------
// The task every due job runs, referenced by module path so persistent stores can restore it.

let runs = 0;

/** The no-op task of the due-job case (counts its runs). */
export function noopTask(): void {
  runs++;
}

const TASK_REF = `${import.meta.url}:noopTask`;

// ---------------------------------------------------------------------------------------------
// Stores

type BenchStore = JobStore;

interface Backend {
  readonly name: string;
  /** What BENCH_STORES calls it. */
  readonly key: string;
  /** Opens the helper connection (checks reachability); returns the server version. */
  open(): Promise<string>;
  /** A new, unstarted store instance on the backend's table / key prefix. */
  store(): BenchStore;
  /** SQL servers: single-row inserts per second of the bare driver (after the store created its table). */
  driverFloor?(): Promise<number>;
  /** Removes every trace of the benchmark (tables, files, keys) and closes the helper connection. */
  cleanup(): Promise<void>;
}

function uniqueName(): string {
  return `horarium_bench_${randomBytes(5).toString('hex')}`;
}

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

async function dropTables(db: AnyDb, table: string): Promise<void> {
  for (const name of [table, `${table}_migrations`, `${table}_migrations_lock`]) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}

function sqliteBackend(): Backend {
  const path = join(
    os.tmpdir(),
    `horarium-bench-${process.pid}-${randomBytes(6).toString('hex')}.db`,
  );
  const table = uniqueName();
  return {
    name: 'SQLite',
    key: 'sqlite',
    async open() {
      // The driver the store's default ('auto') picks on this Node.
      const { db, runner } = await openDatabase<unknown>(parseSqlUrl('sqlite::memory:'), {
        durability: 'normal',
        busyTimeout: 5000,
        sqliteDriver: 'auto',
        poolSize: undefined,
        connectTimeout: 10_000,
        onPoolError: () => {},
        onSessionSetupError: () => {},
      });
      const { driver } = runner as { driver?: string };
      const { rows } = await sql<{ v: string }>`select sqlite_version() as v`.execute(db);
      await db.destroy();
      return `SQLite ${rows[0]!.v} (${driver}, WAL, synchronous=NORMAL) at ${path}`;
    },
    store: () => new SqlJobStore({ url: `sqlite:${path}`, tableName: table }),
    async cleanup() {
      for (const suffix of ['', '-wal', '-shm', '-journal'])
        await rm(path + suffix, { force: true });
    },
  };
}

interface ServerSqlBackendOptions {
  readonly name: string;
  readonly key: string;
  readonly dialect: 'postgres' | 'mysql';
  readonly url: string;
  /** Store options beyond url and tableName. */
  readonly storeOptions?: Partial<SqlJobStoreOptions>;
}

function serverSqlBackend({
  name,
  key,
  dialect,
  url,
  storeOptions = {},
}: ServerSqlBackendOptions): Backend {
  const table = uniqueName();
  const relaxed = storeOptions.durability === 'relaxed';
  let db: AnyDb | null = null;
  return {
    name,
    key,
    async open() {
      db =
        dialect === 'postgres'
          ? new Kysely({
              dialect: new PostgresDialect({
                pool: new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 3000 }),
              }),
            })
          : new Kysely({
              dialect: new MysqlDialect({
                pool: createPool({ uri: url, connectionLimit: 1, connectTimeout: 3000 }),
              }),
            });
      if (dialect === 'postgres') {
        const { rows } = await sql<{
          v: string;
          commit: string;
        }>`select version() as v, current_setting('synchronous_commit') as commit`.execute(db);
        const version = String(rows[0]?.v ?? '?').split(',')[0]!;
        const commit = relaxed ? "off on the store's sessions" : (rows[0]?.commit ?? '?');
        return `${version}, synchronous_commit=${commit}`;
      }
      const { rows } = await sql<{
        v: string;
        flush: string;
      }>`select version() as v, @@innodb_flush_log_at_trx_commit as flush`.execute(db);
      return `MariaDB/MySQL ${String(rows[0]?.v ?? '?')}, innodb_flush_log_at_trx_commit=${String(rows[0]?.flush ?? '?')}`;
    },
    store: () => new SqlJobStore({ url, tableName: table, ...storeOptions }),
    driverFloor: () =>
      dialect === 'postgres'
        ? postgresDriverFloor(url, table, relaxed)
        : mysqlDriverFloor(url, table),
    async cleanup() {
      if (db === null) return;
      try {
        await dropTables(db, table);
      } finally {
        await db.destroy();
        db = null;
      }
    },
  };
}

/** Sequential single-row inserts per second through `insert(i)`, removed afterwards with `clear()`. */
async function measureFloor(
  insert: (i: number) => Promise<unknown>,
  clear: () => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < 200; i++) await insert(i);
  await clear();
  const t0 = performance.now();
  let added = 0;
  while (added < SINGLE_JOBS) {
    await insert(added);
    added++;
    if ((added & 63) === 0 && performance.now() - t0 > SAMPLE_BUDGET_MS) break;
  }
  const rate = (added * 1000) / (performance.now() - t0);
  await clear();
  return rate;
}

/** A job state as the store writes it, for the driver floor's rows. */
function floorState(): string {
  return serializeJob(makeJobs('floor', 1, FUTURE)[0]!);
}

async function postgresDriverFloor(url: string, table: string, relaxed: boolean): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (relaxed) await client.query('set synchronous_commit = off');
    const state = floorState();
    const text = `insert into "${table}" (id, next_run_time, job_state) values ($1, $2, $3)`;
    return await measureFloor(
      (i) => client.query({ name: 'floor_insert', text, values: [`floor-${i}`, FUTURE, state] }),
      () => client.query(`delete from "${table}" where id like 'floor-%'`),
    );
  } finally {
    await client.end();
  }
}

async function mysqlDriverFloor(url: string, table: string): Promise<number> {
  const connection = await createMysqlConnection({ uri: url, charset: 'UTF8MB4_GENERAL_CI' });
  try {
    const state = floorState();
    const text = `insert into \`${table}\` (id, next_run_time, job_state) values (?, ?, ?)`;
    return await measureFloor(
      (i) => connection.execute(text, [`floor-${i}`, FUTURE, state]),
      () => connection.query(`delete from \`${table}\` where id like 'floor-%'`),
    );
  } finally {
    await connection.end();
  }
}

function redisBackend(): Backend {
  const keyPrefix = `${uniqueName()}.`;
  let client: Redis | null = null;
  return {
    name: 'Redis',
    key: 'redis',
    async open() {
      client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      await client.connect();
      const info = await client.info('server');
      return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
    },
    store: () => new RedisJobStore({ url: REDIS_URL, keyPrefix }),
    async cleanup() {
      if (client === null) return;
      try {
        await client.del(`${keyPrefix}jobs`, `${keyPrefix}run_times`);
      } finally {
        client.disconnect();
        client = null;
      }
    },
  };
}

function memoryBackend(): Backend {
  return {
    name: 'memory',
    key: 'memory',
    open: async () => 'in-process',
    store: () => new MemoryJobStore(),
    cleanup: async () => {},
  };
}

// ---------------------------------------------------------------------------------------------
// Jobs

/** Owns the jobs the add cases build and restores stored ones; never started. */
const owner = new AsyncScheduler({ logger: silentLogger });

const context: StoreContext = {
  logger: silentLogger,
  async restoreJob(document) {
    const state = readJobDocument(document);
    const func = await owner.resolveFunction(state.funcRef);
    return new Job(owner, { ...state, func }, 'default');
  },
  restoreFailed(failure) {
    throw new Error(`bench: job ${failure.jobId} could not be restored`, { cause: failure.error });
  },
};

/** `count` jobs running `noopTask` every hour from `next`, ids `${prefix}-<i>`. */
function makeJobs(prefix: string, count: number, next: number): Job[] {
  const trigger = new IntervalTrigger({ hours: 1, startDate: next, timezone: 'UTC' });
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) {
    jobs.push(
      new Job(
        owner,
        {
          id: `${prefix}-${i}`,
          name: 'noopTask',
          func: noopTask,
          funcRef: TASK_REF,
          args: [],
          trigger,
          executor: 'default',
          coalesce: true,
          maxInstances: 1,
          misfireGraceTime: null,
          timeout: null,
          recover: false,
          history: 'all',
          nextRunTime: new Date(next),
        },
        'default',
      ),
    );
  }
  return jobs;
}

/** Far enough ahead that nothing added in the add cases is due. */
const FUTURE = Date.UTC(2100, 0, 1);

// ---------------------------------------------------------------------------------------------
// Cases

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Jobs per second of sequential `addJob` calls: median of SAMPLES samples after a warm-up. */
async function measureSingle(store: BenchStore): Promise<number> {
  for (const job of makeJobs('warm', 1_000, FUTURE)) await store.addJob(job);
  await store.removeAllJobs();
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const jobs = makeJobs(`single${s}`, SINGLE_JOBS, FUTURE);
    const t0 = performance.now();
    let added = 0;
    for (const job of jobs) {
      await store.addJob(job);
      added++;
      if ((added & 255) === 0 && performance.now() - t0 > SAMPLE_BUDGET_MS) break;
    }
    rates.push((added * 1000) / (performance.now() - t0));
    await store.removeAllJobs();
  }
  return median(rates);
}

/** Jobs per second of `addJobs` calls of BULK_BATCH jobs (one by one when the store has no addJobs). */
async function measureBulk(store: BenchStore): Promise<number> {
  const addBatch = async (batch: readonly Job[]): Promise<void> => {
    if (store.addJobs !== undefined) await store.addJobs(batch);
    else for (const job of batch) await store.addJob(job);
  };
  await addBatch(makeJobs('warm', BULK_BATCH, FUTURE));
  await store.removeAllJobs();
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const jobs = makeJobs(`bulk${s}`, BULK_JOBS, FUTURE);
    const t0 = performance.now();
    let added = 0;
    while (added < jobs.length) {
      await addBatch(jobs.slice(added, added + BULK_BATCH));
      added = Math.min(added + BULK_BATCH, jobs.length);
      if (performance.now() - t0 > SAMPLE_BUDGET_MS) break;
    }
    rates.push((added * 1000) / (performance.now() - t0));
    await store.removeAllJobs();
  }
  return median(rates);
}

/**
 * Passes every call to the store it wraps and counts the jobs whose new next run time (after
 * `due`) the scheduler has persisted: `updateJob`/`updateJobs` calls that resolved.
 */
class PersistCounter implements JobStore {
  readonly shared: boolean | undefined;
  readonly ledger?: ClusterLedger;
  persisted = 0;
  updateJobs?: (jobs: readonly Job[]) => Promise<string[]>;
  removeJobs?: (ids: readonly string[]) => Promise<string[]>;
  readonly #inner: BenchStore;
  readonly #due: number;

  constructor(inner: BenchStore, due: number) {
    this.#inner = inner;
    this.#due = due;
    this.shared = inner.shared;
    // A shared store runs its due jobs through claims: count what its commits persist.
    const ledger = inner.ledger;
    if (ledger !== undefined) {
      this.ledger = new Proxy(ledger, {
        get: (target, name) => {
          if (name === 'commitClaims')
            return async (...call: Parameters<ClusterLedger['commitClaims']>) => {
              const result = await target.commitClaims(...call);
              const lost = new Set(result.lost);
              for (const commit of call[1])
                if (commit.job !== null && !lost.has(commit.jobId)) this.#count(commit.job);
              return result;
            };
          const value: unknown = Reflect.get(target, name);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }
    const { updateJobs, removeJobs } = inner;
    if (updateJobs !== undefined) {
      this.updateJobs = async (jobs) => {
        const missing = new Set(await updateJobs.call(inner, jobs));
        for (const job of jobs) if (!missing.has(job.id)) this.#count(job);
        return [...missing];
      };
    }
    if (removeJobs !== undefined) this.removeJobs = (ids) => removeJobs.call(inner, ids);
  }

  #count(job: Job): void {
    if (job.nextRunTime !== null && job.nextRunTime.getTime() > this.#due) this.persisted++;
  }

  start(context: StoreContext, alias: string): Promise<void> {
    return this.#inner.start(context, alias);
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
  lookupJob(id: string): Promise<Job | null> {
    return this.#inner.lookupJob(id);
  }
  getDueJobs(now: Date): Promise<Job[]> {
    return this.#inner.getDueJobs(now);
  }
  getNextRunTime(): Promise<Date | null> {
    return this.#inner.getNextRunTime();
  }
  getAllJobs(): Promise<Job[]> {
    return this.#inner.getAllJobs();
  }
  addJob(job: Job): Promise<void> {
    return this.#inner.addJob(job);
  }
  async addJobs(jobs: readonly Job[]): Promise<void> {
    if (this.#inner.addJobs !== undefined) await this.#inner.addJobs(jobs);
    else for (const job of jobs) await this.#inner.addJob(job);
  }
  async updateJob(job: Job): Promise<void> {
    await this.#inner.updateJob(job);
    this.#count(job);
  }
  removeJob(id: string): Promise<void> {
    return this.#inner.removeJob(id);
  }
  removeAllJobs(): Promise<void> {
    return this.#inner.removeAllJobs();
  }
}

interface DueResult {
  /** From the due instant until every job has run and its next run time is persisted (ms). */
  readonly totalMs: number;
  /** From the due instant until the last run started (ms). */
  readonly lastRunMs: number;
  readonly ran: number;
  readonly persisted: number;
  /** Errors the scheduler reported (job errors, misses, store errors). */
  readonly errors: number;
  /** Jobs found in the store afterwards with the expected next run time. */
  readonly verified: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * DUE_JOBS jobs due at the same whole second, in a started AsyncScheduler whose store holds them:
 * the time from that instant until all have run and their next run times (one hour later) are
 * persisted. The jobs are added (in bulk) while the scheduler is paused, then it resumes before
 * the due instant.
 */
async function measureDue(backend: Backend, addRate: number): Promise<DueResult> {
  let leadMs = 1_500 + Math.ceil((2 * DUE_JOBS * 1000) / Math.max(addRate, 1_000));
  for (let attempt = 0; ; attempt++) {
    const due = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
    const inner = backend.store();
    const store = new PersistCounter(inner, due);
    const scheduler = new AsyncScheduler({ jobstores: { default: store }, logger: silentLogger });
    let errors = 0;
    scheduler.addListener(
      () => {
        errors++;
      },
      EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOBSTORE_ERROR,
    );
    await scheduler.start({ paused: true });
    try {
      const jobs = makeJobs('due', DUE_JOBS, due);
      for (let i = 0; i < jobs.length; i += BULK_BATCH) {
        await store.addJobs(jobs.slice(i, i + BULK_BATCH));
      }
      runs = 0;
      scheduler.resume();
      if (Date.now() > due - 200) {
        if (attempt >= 2)
          throw new Error('bench: could not add the due jobs before the due instant');
        leadMs *= 3;
        await store.removeAllJobs();
        continue;
      }
      let lastRun = 0;
      await sleep(due - Date.now());
      for (;;) {
        if (runs >= DUE_JOBS && lastRun === 0) lastRun = Date.now();
        if (runs >= DUE_JOBS && store.persisted >= DUE_JOBS) break;
        if (Date.now() - due > DUE_CAP_MS) break;
        await sleep(1);
      }
      const end = Date.now();
      scheduler.pause();
      const after = await inner.getAllJobs();
      const verified = after.filter((job) => job.nextRunTime?.getTime() === due + 3_600_000).length;
      await store.removeAllJobs();
      return {
        totalMs: end - due,
        lastRunMs: (lastRun || end) - due,
        ran: runs,
        persisted: store.persisted,
        errors,
        verified,
      };
    } finally {
      await scheduler.shutdown();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmt(value: number | null): string {
  return value === null ? '—' : intFormat.format(value);
}

function printHeader(): void {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  console.log('Horarium job store benchmark: jobs per second (higher is better)');
  console.log(
    `node ${process.version}, ${os.platform()}-${os.arch()}, ${cpus.length} × ${model}, ` +
      `load average ${os.loadavg()[0]?.toFixed(2) ?? '?'}`,
  );
  console.log(
    `single: sequential await store.addJob(job), median of ${SAMPLES} samples of ${fmt(SINGLE_JOBS)} jobs ` +
      `(or ${SAMPLE_BUDGET_MS / 1000} s); bulk: store.addJobs() of ${fmt(BULK_BATCH)} jobs, median of ` +
      `${SAMPLES} samples of ${fmt(BULK_JOBS)} jobs (or ${SAMPLE_BUDGET_MS / 1000} s)`,
  );
  console.log(
    `due: ${fmt(DUE_JOBS)} interval jobs due at one whole second in a started AsyncScheduler, no-op task by ` +
      'module path; from the due instant until all have run and their next run times are persisted',
  );
  console.log(
    'driver floor (SQL servers): the bare driver inserting the same rows one by one, a prepared statement ' +
      `and a commit each, one sample of ${fmt(SINGLE_JOBS)} rows (or ${SAMPLE_BUDGET_MS / 1000} s): what the server's commit allows`,
  );
}

interface Row {
  readonly name: string;
  readonly version: string;
  readonly single: number | null;
  /** The bare driver's single-row inserts per second on the same server (SQL servers only). */
  readonly floor: number | null;
  readonly bulk: number | null;
  readonly due: DueResult | null;
  readonly error: string | null;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

export async function run(): Promise<void> {
  printHeader();
  const backends: Backend[] = [
    sqliteBackend(),
    serverSqlBackend({
      name: 'PostgreSQL',
      key: 'postgres',
      dialect: 'postgres',
      url: POSTGRES_URL,
    }),
    serverSqlBackend({
      name: POSTGRES_RELAXED,
      key: 'postgres-relaxed',
      dialect: 'postgres',
      url: POSTGRES_URL,
      storeOptions: { durability: 'relaxed' },
    }),
    serverSqlBackend({ name: 'MariaDB', key: 'mariadb', dialect: 'mysql', url: MYSQL_URL }),
    redisBackend(),
    memoryBackend(),
  ].filter((backend) => SELECTED_STORES === null || SELECTED_STORES.includes(backend.key));
  const rows: Row[] = [];
  for (const backend of backends) {
    let version = '?';
    let single: number | null = null;
    let floor: number | null = null;
    let bulk: number | null = null;
    let due: DueResult | null = null;
    let error: string | null = null;
    try {
      version = await backend.open();
      const store = backend.store();
      await store.start(context, 'default');
      try {
        if (runsCase('single')) {
          single = await measureSingle(store);
          floor = (await backend.driverFloor?.()) ?? null;
        }
        if (runsCase('bulk')) bulk = await measureBulk(store);
      } finally {
        await store.shutdown();
      }
      if (runsCase('due')) due = await measureDue(backend, bulk ?? 10_000);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    } finally {
      try {
        await backend.cleanup();
      } catch (caught) {
        console.log(`WARNING: cleaning up after ${backend.name} failed: ${String(caught)}`);
      }
    }
    rows.push({ name: backend.name, version, single, floor, bulk, due, error });
    console.log(`${backend.name}: ${error === null ? version : `SKIPPED — ${error}`}`);
  }

  console.log();
  printTable(
    [
      'store',
      'single adds/s',
      'driver floor/s',
      'bulk adds/s',
      'due runs/s',
      'due: last run',
      'due: persisted',
    ],
    rows.map((r) => [
      r.name,
      fmt(r.single),
      fmt(r.floor),
      fmt(r.bulk),
      r.due === null ? '—' : fmt((r.due.ran * 1000) / Math.max(r.due.totalMs, 1)),
      r.due === null ? '—' : `${fmt(r.due.lastRunMs)} ms`,
      r.due === null ? '—' : `${fmt(r.due.totalMs)} ms`,
    ]),
  );
  for (const r of rows) {
    const d = r.due;
    if (
      d !== null &&
      (d.ran < DUE_JOBS || d.persisted < DUE_JOBS || d.verified < DUE_JOBS || d.errors > 0)
    ) {
      console.log(
        `WARNING: ${r.name} due case: ${fmt(d.ran)} ran, ${fmt(d.persisted)} persisted, ` +
          `${fmt(d.verified)} found rescheduled, ${fmt(d.errors)} errors (of ${fmt(DUE_JOBS)})`,
      );
    }
  }

  console.log('\n--- targets ---');
  for (const [name, target] of Object.entries(TARGETS)) {
    const r = rows.find((row) => row.name === name);
    if (r === undefined && SELECTED_STORES !== null) continue;
    if (r === undefined || r.error !== null) {
      console.log(`MISS  ${name}: not measured (${r?.error ?? 'no result'})`);
      continue;
    }
    const floor = r.floor === null ? '' : ` (bare driver on this server: ${fmt(r.floor)}/s)`;
    if (runsCase('single')) {
      console.log(
        `${verdict((r.single ?? 0) >= target.single)}  ${name} single addJob >= ${fmt(target.single)}/s: ${fmt(r.single)}/s${floor}`,
      );
    }
    if (runsCase('bulk')) {
      console.log(
        `${verdict((r.bulk ?? 0) >= target.bulk)}  ${name} bulk addJobs >= ${fmt(target.bulk)}/s: ${fmt(r.bulk)}/s`,
      );
    }
    if (target.due !== null && runsCase('due')) {
      const d = r.due;
      const rate = d === null ? 0 : (d.ran * 1000) / Math.max(d.totalMs, 1);
      const complete = d !== null && d.ran >= DUE_JOBS && d.persisted >= DUE_JOBS;
      console.log(
        `${verdict(complete && rate >= target.due)}  ${name} due-job processing >= ${fmt(target.due)} runs/s: ` +
          `${fmt(rate)} runs/s${complete ? '' : ' (incomplete)'}`,
      );
    }
  }
  console.log(
    `note: 'PostgreSQL' is the store's default, fully durable (a write resolves after the server flushed it). ` +
      `${JSON.stringify(POSTGRES_RELAXED)} sets synchronous_commit = off on the store's sessions: ` +
      'a crash of the server or its machine may lose the last fraction of a second of writes.',
  );
}
