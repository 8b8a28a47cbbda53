/**
 * What every SQL database must do beyond the store contract: migrations,
 * rows that cannot be restored, hostile ids and payloads, the id length limit,
 * bulk adds across statement chunks, and leaving an application's Kysely
 * instance open. Run by sql-sqlite, sql-postgres and sql-mariadb.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictingIdError,
  IntervalTrigger,
  InvalidJobOptionError,
  JobLookupError,
  JobTooLargeError,
  SqlJobStore,
  type SqlJobStoreOptions,
} from '../../src/index.ts';
import { serializeJob } from '../../src/jobs/serialization.ts';
import { jobChangeOf } from '../../src/stores/job-changes.ts';
import type { SqlBackend, SqlTestDatabase } from '../helpers/sql-backends.ts';
import { type RecordingStoreContext, storeTestContext } from '../helpers/store-context.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { describeLedgerInterleavings } from './ledger-interleavings.ts';
import {
  BASE_TIME,
  CONTRACT_TASK_REF,
  describeStoreContract,
  expectBatchUpdateNeverRestoresRemovedJobs,
  makeJob,
  type StoreUnderTest,
} from './store-contract.ts';

/** A store on a fresh table (or SQLite file) of `backend`, on the store's own connections. */
function freshStore(backend: SqlBackend): () => Promise<StoreUnderTest> {
  return async () => {
    const database = await backend.create();
    return {
      store: new SqlJobStore({
        url: database.url,
        tableName: database.tableName,
        sqliteDriver: backend.sqliteDriver,
      }),
      cleanup: () => database.cleanup(),
    };
  };
}

/** The contract, with a fresh table (or SQLite file) per test. */
export function describeSqlContract(backend: SqlBackend): void {
  describeStoreContract(`SqlJobStore (${backend.name})`, freshStore(backend));
}

/**
 * The cluster ledger contract, with a fresh table (or SQLite file) per test:
 * on the store's own connections, and on an application's Kysely instance.
 */
export function describeSqlLedger(backend: SqlBackend): void {
  describeLedgerContract(`SqlJobStore (${backend.name})`, freshStore(backend));
  describeLedgerContract(`SqlJobStore (${backend.name}, an application's Kysely)`, async () => {
    const database = await backend.create();
    return {
      store: new SqlJobStore({ db: database.db, tableName: database.tableName }),
      cleanup: () => database.cleanup(),
    };
  });
  describeLedgerInterleavings(`SqlJobStore (${backend.name})`, freshStore(backend));
}

/** Ids with quotes, semicolons, case, trailing spaces, combining marks and emoji. */
const HOSTILE_IDS = [
  "it's",
  'say "hi"',
  'a; drop table x; --',
  "'); delete from horarium_jobs; --",
  'back\\slash',
  '%_like_%',
  'tab\there',
  'line\nbreak',
  'emoji 😀🎉',
  '日本語のジョブ',
  'A',
  'a',
  'a ',
  ' a',
  'é',
  'e\u0301',
  '',
];

/** Code-point order, as the databases' binary collations compare ids. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function describeSqlStore(backend: SqlBackend): void {
  describe(`SqlJobStore (${backend.name})`, () => {
    let database: SqlTestDatabase;
    const started: SqlJobStore[] = [];

    beforeEach(async () => {
      database = await backend.create();
    });

    afterEach(async () => {
      for (const store of started.splice(0)) await store.shutdown();
      await database.cleanup();
    });

    async function startStore(
      options: Partial<SqlJobStoreOptions> = {},
      context: RecordingStoreContext = storeTestContext(),
    ): Promise<{ store: SqlJobStore; context: RecordingStoreContext }> {
      const store = new SqlJobStore({
        ...(options.db === undefined ? { url: database.url } : {}),
        tableName: database.tableName,
        sqliteDriver: backend.sqliteDriver,
        ...options,
      });
      await store.start(context, 'default');
      started.push(store);
      return { store, context };
    }

    const table = () => database.tableName;

    async function rowCount(): Promise<number> {
      const { rows } = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table())}`.execute(database.db);
      return Number(rows[0]!.n);
    }

    async function editState(
      id: string,
      edit: (state: Record<string, unknown>) => unknown,
    ): Promise<void> {
      const row = await database.db
        .selectFrom(table())
        .select('job_state')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const edited = edit(JSON.parse(row.job_state) as Record<string, unknown>);
      await setState(id, typeof edited === 'string' ? edited : JSON.stringify(edited));
    }

    async function setState(id: string, text: string): Promise<void> {
      await database.db
        .updateTable(table())
        .set({ job_state: text })
        .where('id', '=', id)
        .execute();
    }

    /** The job table's index as releases before 0009 made it. */
    async function undoClaimOrderIndex(): Promise<void> {
      const drop = database.db.schema.dropIndex(`ix_${table()}_due_order`);
      await (backend.dialect === 'mysql' ? drop.on(table()) : drop).execute();
      await database.db.schema
        .createIndex(`ix_${table()}_next_run_time`)
        .on(table())
        .column('next_run_time')
        .execute();
    }

    /** Undoes `0005_fire_retention` by hand: the fires table as the releases before it made it. */
    async function undoFireRetention(db: SqlTestDatabase['db']): Promise<void> {
      const index = `ix_${table()}_fires_history`;
      await (backend.dialect === 'mysql'
        ? db.schema.dropIndex(index).on(`${table()}_fires`)
        : db.schema.dropIndex(index)
      ).execute();
      await db.schema.alterTable(`${table()}_fires`).dropColumn('history').execute();
    }

    describe('schema and migrations', () => {
      it('creates the table with its index and migration record, and a second start on the same table changes nothing', async () => {
        const { store: first } = await startStore();
        expect(first.dialect).toBe(backend.dialect);
        await first.addJob(makeJob('kept', BASE_TIME));
        const { store: second } = await startStore();
        expect((await second.getAllJobs()).map((job) => job.id)).toEqual(['kept']);
        const { rows } = await sql<{
          name: string;
        }>`select name from ${sql.table(`${table()}_migrations`)}`.execute(database.db);
        expect(rows.map((row) => row.name).sort()).toEqual([
          '0001_create_jobs_table',
          '0002_cluster_ledger',
          '0003_fire_state_index',
          '0004_job_changes',
          '0005_fire_retention',
          '0006_calendars',
          '0008_store_outages',
          '0009_claim_order_index',
        ]);
        const tables = await database.db.introspection.getTables();
        const jobs = tables.find((t) => t.name === table());
        expect(jobs?.columns.map((column) => column.name).sort()).toEqual([
          'fence',
          'id',
          'job_state',
          'lease_owner',
          'lease_until',
          'next_run_time',
        ]);
        const names = tables.map((t) => t.name);
        expect(names).toContain(`${table()}_fires`);
        expect(names).toContain(`${table()}_nodes`);
        expect(names).toContain(`${table()}_job_changes`);
        expect(names).toContain(`${table()}_outages`);
      });

      it('upgrades a table of the cluster-ledger release in place: the job change log and the outage log are added, empty, and its jobs and fires are kept', async () => {
        // The previous release's layout: the change log's migration undone by hand.
        const { store: first } = await startStore();
        await first.addJob(makeJob('kept', BASE_TIME));
        await first.ledger.checkIn(
          {
            nodeId: 'n',
            hostname: 'h',
            pid: 1,
            version: '0',
            startedAt: BASE_TIME,
            clockSkewMs: 0,
          },
          BASE_TIME,
        );
        await first.shutdown();
        const db = database.db;
        await db.schema.dropTable(`${table()}_job_changes`).execute();
        await db.schema.dropTable(`${table()}_outages`).execute();
        await undoClaimOrderIndex();
        await db.schema.dropTable(`${table()}_calendars`).execute();
        await undoFireRetention(db);
        await db
          .deleteFrom(`${table()}_migrations` as never)
          .where('name' as never, 'in', [
            '0004_job_changes',
            '0005_fire_retention',
            '0006_calendars',
            '0008_store_outages',
            '0009_claim_order_index',
          ] as never)
          .execute();
        const { store } = await startStore();
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['kept']);
        expect((await store.ledger.getNodes()).map((node) => node.nodeId)).toEqual(['n']);
        expect(await store.jobChanges.getJobChanges('kept')).toEqual([]);
        await store.jobChanges.recordJobChanges([
          jobChangeOf('paused', makeJob('kept', null), 'n'),
        ]);
        expect(
          (await store.jobChanges.getJobChanges('kept')).map((c) => [c.version, c.kind]),
        ).toEqual([[1, 'paused']]);
        expect(await store.outages.getOutages({ from: 0, to: Date.now(), limit: 10 })).toEqual([]);
      });

      it('upgrades a table of the first release in place: its jobs are kept, unclaimed at fence 0, and claimable', async () => {
        // The first release's layout: the ledger's migration undone by hand.
        const { store: first } = await startStore();
        await first.shutdown();
        const db = database.db;
        await db.schema.dropTable(`${table()}_fires`).execute();
        await db.schema.dropTable(`${table()}_nodes`).execute();
        await db.schema.dropTable(`${table()}_job_changes`).execute();
        await db.schema.dropTable(`${table()}_outages`).execute();
        await undoClaimOrderIndex();
        await db.schema.dropTable(`${table()}_calendars`).execute();
        for (const column of ['lease_owner', 'lease_until', 'fence'])
          await db.schema.alterTable(table()).dropColumn(column).execute();
        await db
          .deleteFrom(`${table()}_migrations` as never)
          .where('name' as never, 'in', [
            '0002_cluster_ledger',
            '0003_fire_state_index',
            '0004_job_changes',
            '0005_fire_retention',
            '0006_calendars',
            '0008_store_outages',
            '0009_claim_order_index',
          ] as never)
          .execute();
        // Rows as the first release wrote them (id, next_run_time, job_state).
        for (const job of [makeJob('due', BASE_TIME), makeJob('paused', null)]) {
          await db
            .insertInto(table())
            .values({
              id: job.id,
              next_run_time: Number.isNaN(job.nextRunTimeMs) ? null : job.nextRunTimeMs,
              job_state: serializeJob(job),
            })
            .execute();
        }
        const { store } = await startStore();
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['due', 'paused']);
        const claim = await store.ledger.claimDueJobs({
          owner: 'n',
          limit: 10,
          leaseMs: 1000,
          now: BASE_TIME,
        });
        expect(claim.jobs.map((c) => [c.job.id, c.fence, c.liveBatches])).toEqual([['due', 1, 0]]);
        expect(await store.ledger.getFires({ limit: 10 })).toEqual([]);
      });

      it('refuses to start on a table migrated by a newer Horarium', async () => {
        const { store } = await startStore();
        await store.shutdown();
        await database.db
          .insertInto(`${table()}_migrations`)
          .values({ name: '9999_from_the_future', timestamp: new Date().toISOString() } as never)
          .execute();
        const newer = new SqlJobStore({
          url: database.url,
          tableName: table(),
          sqliteDriver: backend.sqliteDriver,
        });
        await expect(newer.start(storeTestContext(), 'default')).rejects.toThrow(/newer Horarium/);
      });
    });

    describe('rows that cannot be restored', () => {
      it('skips them in every read, reports each once per read with its id and run time, and keeps the rows', async () => {
        const { store, context } = await startStore();
        await store.addJobs([
          makeJob('good', BASE_TIME + 1000),
          makeJob('json', BASE_TIME - 3000),
          makeJob('module', BASE_TIME - 2000),
          makeJob('export', BASE_TIME - 1000),
          makeJob('type', BASE_TIME),
          makeJob('paused', null),
        ]);
        await setState('json', '{"version": 1, "id": "json", trunc');
        await editState('module', (state) => ({
          ...state,
          funcRef: 'file:///nonexistent/horarium-gone.js:task',
        }));
        await editState('export', (state) => ({
          ...state,
          funcRef: CONTRACT_TASK_REF.replace(/:contractTask$/, ':renamedTask'),
        }));
        await editState('type', (state) => ({ ...state, maxInstances: 'three' }));
        const broken = ['json', 'module', 'export', 'type'];

        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good', 'paused']);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(broken);
        expect(context.failures.map((failure) => failure.nextRunTime?.getTime())).toEqual([
          BASE_TIME - 3000,
          BASE_TIME - 2000,
          BASE_TIME - 1000,
          BASE_TIME,
        ]);
        for (const failure of context.failures) expect(failure.error).toBeInstanceOf(Error);
        expect(String(context.failures[0]!.error)).toMatch(/not valid JSON/);
        expect(String(context.failures[3]!.error)).toMatch(/maxInstances/);

        context.failures.length = 0;
        expect((await store.getDueJobs(new Date(BASE_TIME + 1000))).map((job) => job.id)).toEqual([
          'good',
        ]);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(broken);

        context.failures.length = 0;
        expect(await store.lookupJob('module')).toBeNull();
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['module']);

        expect(await rowCount()).toBe(6);
        await store.updateJob(makeJob('good', BASE_TIME + 5000));
        expect((await store.lookupJob('good'))?.nextRunTime).toEqual(new Date(BASE_TIME + 5000));
      });

      it('does not report broken due rows as the next run time, so the scheduler never spins on them', async () => {
        const { store, context } = await startStore();
        await store.addJobs([
          makeJob('broken', BASE_TIME - 60_000),
          makeJob('later', BASE_TIME + 60_000),
        ]);
        await setState('broken', 'not json');
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME - 60_000));
        expect(await store.getDueJobs(new Date(BASE_TIME))).toEqual([]);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['broken']);
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 60_000));

        // Repaired by hand: the next read restores it, and it counts again.
        const good = await database.db
          .selectFrom(table())
          .select('job_state')
          .where('id', '=', 'later')
          .executeTakeFirstOrThrow();
        await setState('broken', good.job_state.replace('"id":"later"', '"id":"broken"'));
        expect((await store.getDueJobs(new Date(BASE_TIME))).map((job) => job.id)).toEqual([
          'broken',
        ]);
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME - 60_000));
      });

      it('reports a row whose state names another job', async () => {
        const { store, context } = await startStore();
        await store.addJobs([makeJob('a', BASE_TIME), makeJob('b', BASE_TIME)]);
        await editState('a', (state) => ({ ...state, id: 'b' }));
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['b']);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['a']);
        expect(String(context.failures[0]!.error)).toMatch(/state of job "b"/);
      });

      it('takes the next run time from the next_run_time column, so editing it reschedules the job', async () => {
        const { store } = await startStore();
        await store.addJob(makeJob('moved', BASE_TIME + 60_000));
        await database.db
          .updateTable(table())
          .set({ next_run_time: BASE_TIME - 5 })
          .where('id', '=', 'moved')
          .execute();
        const [due] = await store.getDueJobs(new Date(BASE_TIME));
        expect(due?.nextRunTime).toEqual(new Date(BASE_TIME - 5));
      });
    });

    describe('hostile input', () => {
      const hostile = HOSTILE_IDS;

      it('stores, finds, orders, updates and removes ids with quotes, semicolons, case, trailing spaces and emoji', async () => {
        const { store } = await startStore();
        for (const id of hostile) await store.addJob(makeJob(id, BASE_TIME));
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(
          [...hostile].sort(byCodePoint),
        );
        for (const id of hostile) {
          expect((await store.lookupJob(id))?.id).toBe(id);
          await expect(store.addJob(makeJob(id, null))).rejects.toBeInstanceOf(ConflictingIdError);
          await store.updateJob(makeJob(id, BASE_TIME + 1000));
        }
        expect(await store.getDueJobs(new Date(BASE_TIME))).toEqual([]);
        for (const id of hostile) await store.removeJob(id);
        expect(await store.getAllJobs()).toEqual([]);
        expect(await rowCount()).toBe(0);
      });

      it('names its own database and the fix when it refuses an id with NUL', async () => {
        const { store } = await startStore();
        const database = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' }[
          backend.dialect
        ];
        for (const job of [makeJob('nul\u0000byte', BASE_TIME)]) {
          const error = await store.addJob(job).catch((thrown: unknown) => thrown);
          expect(error).toBeInstanceOf(InvalidJobOptionError);
          expect(String(error)).toContain(`cannot be stored in the SQL job store on ${database}`);
          expect(String(error)).toContain('Remove the NUL character from the id.');
          await expect(store.addJobs([job])).rejects.toThrow(`SQL job store on ${database}`);
        }
        expect(await rowCount()).toBe(0);
      });

      it('refuses ids with NUL or an unpaired surrogate at addJob with a clear error, and never finds them', async () => {
        const { store } = await startStore();
        for (const id of ['nul\u0000byte', 'lone \uD83D surrogate', 'lone \uDE00 low']) {
          const error: unknown = await store
            .addJob(makeJob(id, BASE_TIME))
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidJobOptionError);
          expect(String(error)).toMatch(/NUL|surrogate/);
          expect(await store.lookupJob(id)).toBeNull();
          await expect(store.removeJob(id)).rejects.toBeInstanceOf(JobLookupError);
          await expect(store.updateJob(makeJob(id, null))).rejects.toBeInstanceOf(JobLookupError);
        }
        expect(await rowCount()).toBe(0);
      });

      it('accepts a 191-character id (emoji count once) and refuses 192 characters with a clear error', async () => {
        const { store } = await startStore();
        const longest = '😀'.repeat(190) + 'x';
        await store.addJob(makeJob(longest, BASE_TIME));
        expect((await store.lookupJob(longest))?.id).toBe(longest);
        const tooLong = 'x'.repeat(192);
        await expect(store.addJob(makeJob(tooLong, BASE_TIME))).rejects.toThrow(
          /is 192 characters long; the SQL job store holds ids of at most 191 characters/,
        );
        await expect(
          store.addJobs([makeJob('ok', BASE_TIME), makeJob(tooLong, null)]),
        ).rejects.toBeInstanceOf(InvalidJobOptionError);
        expect(await store.lookupJob(tooLong)).toBeNull();
        expect(await rowCount()).toBe(1);
      });

      it('round-trips a 5 MB argument', async () => {
        const { store } = await startStore();
        const big = `${'x'.repeat(5 * 1024 * 1024)}'; drop table t; -- 😀`;
        await store.addJob(makeJob('big', BASE_TIME, { args: [big, { quote: '\'"\\' }] }));
        const found = await store.lookupJob('big');
        expect(found?.args[0]).toBe(big);
        expect(found?.args[1]).toEqual({ quote: '\'"\\' });
      });
    });

    describe('large jobs', () => {
      /** A job whose argument is 17 MiB of text: over MySQL's and MariaDB's default max_allowed_packet (16 MiB). */
      const bigJob = (id: string) =>
        makeJob(id, BASE_TIME, { args: ['x'.repeat(17 * 1024 * 1024)] });

      it('stores a 17 MiB job, or refuses it with JobTooLargeError where the server takes less (MySQL/MariaDB); the next add works', async () => {
        const { store } = await startStore();
        if (backend.dialect === 'mysql') {
          const failure = await store.addJob(bigJob('big')).catch((error: unknown) => error);
          expect(failure).toBeInstanceOf(JobTooLargeError);
          const error = failure as JobTooLargeError;
          expect(error.jobId).toBe('big');
          expect(error.bytes).toBeGreaterThan(17 * 1024 * 1024);
          expect(error.bytes).toBeGreaterThan(error.limit);
          expect(error.message).toMatch(/"big".*17\.0 MiB.*max_allowed_packet.*smaller arguments/);
          await expect(store.addJobs([makeJob('small', BASE_TIME), bigJob('big')])).rejects.toThrow(
            JobTooLargeError,
          );
          expect(await rowCount()).toBe(0);
          await store.addJob(makeJob('big', BASE_TIME));
          await expect(store.updateJob(bigJob('big'))).rejects.toThrow(JobTooLargeError);
          await expect(store.updateJobs([bigJob('big')])).rejects.toThrow(JobTooLargeError);
          expect((await store.lookupJob('big'))?.args).toEqual(['contract', 1]);
        } else {
          await store.addJob(bigJob('big'));
          expect((await store.lookupJob('big'))?.args[0]).toHaveLength(17 * 1024 * 1024);
        }
        await store.addJob(makeJob('after', BASE_TIME));
        expect((await store.lookupJob('after'))?.id).toBe('after');
      });
    });

    describe('bulk adds', () => {
      const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });

      it('adds 1,200 jobs across several statements in one transaction', async () => {
        const { store } = await startStore();
        const jobs = Array.from({ length: 1200 }, (_, i) =>
          makeJob(`job${i}`, BASE_TIME + i, { trigger }),
        );
        await store.addJobs(jobs);
        expect(await rowCount()).toBe(1200);
        expect((await store.getDueJobs(new Date(BASE_TIME + 2))).map((job) => job.id)).toEqual([
          'job0',
          'job1',
          'job2',
        ]);
      });

      it('adds none of 1,200 jobs when one in the last statement exists, and names it', async () => {
        const { store } = await startStore();
        await store.addJob(makeJob('job1150', null));
        const jobs = Array.from({ length: 1200 }, (_, i) =>
          makeJob(`job${i}`, BASE_TIME + i, { trigger }),
        );
        const error: unknown = await store.addJobs(jobs).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictingIdError);
        expect((error as ConflictingIdError).jobId).toBe('job1150');
        expect(await rowCount()).toBe(1);
      });

      it('names an id of the table before a later repeat within the batch', async () => {
        const { store } = await startStore();
        await store.addJob(makeJob('b', null));
        const error: unknown = await store
          .addJobs([makeJob('a', BASE_TIME), makeJob('b', BASE_TIME), makeJob('a', null)])
          .catch((e: unknown) => e);
        expect((error as ConflictingIdError).jobId).toBe('b');
        expect(await rowCount()).toBe(1);
      });
    });

    describe('bulk adds in multi-row statements', () => {
      const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
      const jobsFrom = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) =>
          makeJob(`${prefix}-${String(i).padStart(3, '0')}`, BASE_TIME + i, { trigger }),
        );

      it('adds batches of every size from 1 to 70 rows, reusing each statement shape', async () => {
        const { store } = await startStore();
        let total = 0;
        for (let size = 1; size <= 70; size++) {
          await store.addJobs(jobsFrom(`b${size}`, size));
          total += size;
        }
        // A second round runs the statements each connection has prepared already.
        await store.addJobs(jobsFrom('again', 70));
        expect(await rowCount()).toBe(total + 70);
        const found = await store.lookupJob('b37-036');
        expect(found?.nextRunTime).toEqual(new Date(BASE_TIME + 36));
        expect(found?.args).toEqual(['contract', 1]);
      });

      it('names the first existing id in batch order when it sits inside a statement', async () => {
        const { store } = await startStore();
        await store.addJobs([makeJob('job-150', null), makeJob('job-070', null)]);
        const error: unknown = await store.addJobs(jobsFrom('job', 200)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictingIdError);
        expect((error as ConflictingIdError).jobId).toBe('job-070');
        expect(await rowCount()).toBe(2);
      });
    });

    describe('batch updates and removals', () => {
      it('updateJobs and removeJobs skip an id with NUL, which no row can hold, beside the others', async () => {
        const { store } = await startStore();
        await store.addJobs([makeJob('moved', BASE_TIME), makeJob('kept', BASE_TIME)]);
        const missing = await store.updateJobs([
          makeJob('nul\u0000', BASE_TIME),
          makeJob('moved', BASE_TIME + 1000),
        ]);
        expect(missing).toEqual(['nul\u0000']);
        expect(await store.removeJobs(['nul\u0000', 'kept'])).toEqual(['nul\u0000']);
        expect(
          (await store.getAllJobs()).map((job) => [job.id, job.nextRunTime?.getTime() ?? null]),
        ).toEqual([['moved', BASE_TIME + 1000]]);
      });

      it('updateJobs writes 1,200 jobs in one call', async () => {
        const { store } = await startStore();
        const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
        const jobs = Array.from({ length: 1200 }, (_, i) =>
          makeJob(`job${i}`, BASE_TIME, { trigger }),
        );
        await store.addJobs(jobs);
        const moved = jobs.map((job, i) => job.withNextRunTime(new Date(BASE_TIME + 60_000 + i)));
        expect(await store.updateJobs(moved)).toEqual([]);
        expect(await store.getDueJobs(new Date(BASE_TIME + 59_999))).toEqual([]);
        expect((await store.getDueJobs(new Date(BASE_TIME + 60_001))).map((job) => job.id)).toEqual(
          ['job0', 'job1'],
        );
      });

      it('updateJobs writes batches of every size from 1 to 70 and of 1,100 jobs, skipping the missing ids among them', async () => {
        const { store } = await startStore();
        const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
        const ids = Array.from({ length: 1100 }, (_, i) => `job-${String(i).padStart(4, '0')}`);
        await store.addJobs(ids.map((id) => makeJob(id, BASE_TIME, { trigger })));
        let time = BASE_TIME;
        const sizes = [...Array.from({ length: 70 }, (_, i) => i + 1), 1100];
        for (const size of sizes) {
          time += 1000;
          const batch = ids.slice(0, size).map((id) => makeJob(id, time, { trigger }));
          // A missing id in the middle of the batch, and one at the end.
          batch.splice(size >> 1, 0, makeJob(`gone-${size}`, time, { trigger }));
          if (size % 2 === 0) batch.push(makeJob(`also-gone-${size}`, time, { trigger }));
          const expected = [`gone-${size}`, ...(size % 2 === 0 ? [`also-gone-${size}`] : [])];
          expect(await store.updateJobs(batch)).toEqual(expected);
          const { rows } = await sql<{ n: number | string }>`
            select count(*) as n from ${sql.table(table())} where next_run_time = ${time}`.execute(
            database.db,
          );
          expect(Number(rows[0]!.n)).toBe(size);
        }
        expect(await rowCount()).toBe(1100);
        expect((await store.lookupJob('job-1099'))?.nextRunTime).toEqual(new Date(time));
      });

      it('updateJobs writes a batch of small jobs and a 2.5 MB one (a statement padded with copies of the large one would pass MySQL’s 16 MiB packet limit)', async () => {
        const { store } = await startStore();
        const big = 'x'.repeat(2.5 * 1024 * 1024);
        const jobs = Array.from({ length: 26 }, (_, i) =>
          makeJob(`job-${String(i).padStart(2, '0')}`, BASE_TIME, i === 25 ? { args: [big] } : {}),
        );
        await store.addJobs(jobs);
        const moved = jobs.map((job) => job.withNextRunTime(new Date(BASE_TIME + 1000)));
        expect(await store.updateJobs(moved)).toEqual([]);
        expect(await store.getDueJobs(new Date(BASE_TIME))).toEqual([]);
        expect((await store.lookupJob('job-25'))?.args).toEqual([big]);
      });

      it('updateJobs and removeJobs find ids with quotes, emoji, case and trailing spaces exactly', async () => {
        const { store } = await startStore();
        const stored = HOSTILE_IDS.filter((id) => id !== 'a ' && id !== 'A');
        await store.addJobs(stored.map((id) => makeJob(id, BASE_TIME)));
        // 'a ' and 'A' are not stored: 'a' must not stand in for them.
        expect(
          await store.updateJobs(HOSTILE_IDS.map((id) => makeJob(id, BASE_TIME + 1000))),
        ).toEqual(['A', 'a ']);
        expect(await store.getDueJobs(new Date(BASE_TIME))).toEqual([]);
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(
          [...stored].sort(byCodePoint),
        );
        expect(await store.removeJobs(['a ', ...HOSTILE_IDS, 'é'])).toEqual(['a ', 'A', 'a ', 'é']);
        expect(await rowCount()).toBe(0);
      });

      it('removeJobs removes 1,100 ids in one call and returns the missing ones among them', async () => {
        const { store } = await startStore();
        const ids = Array.from({ length: 1100 }, (_, i) => `job-${i}`);
        await store.addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
        await store.addJob(makeJob('kept', BASE_TIME));
        expect(await store.removeJobs([...ids.slice(0, 600), 'x', ...ids.slice(600), 'y'])).toEqual(
          ['x', 'y'],
        );
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['kept']);
      });

      it('updateJobs never brings back a job that another store removes meanwhile', async () => {
        const { store } = await startStore();
        const { store: other } = await startStore();
        await expectBatchUpdateNeverRestoresRemovedJobs(store, other);
      });
    });

    describe('stored format', () => {
      it('restores a row written by Horarium 0.1.0 and writes it back byte for byte', async () => {
        const { store } = await startStore();
        // The text Horarium 0.1.0 stored for this job (JSON.stringify of its document).
        const text =
          `{"version":1,"id":"old","name":"contractTask","funcRef":${JSON.stringify(CONTRACT_TASK_REF)},` +
          '"args":["contract",{"at":{"$t":"Date","v":"2025-01-01T00:00:00.000Z"}}],' +
          '"trigger":{"type":"interval","version":1,"minutes":5,"startDate":"2025-01-01T00:00:00.000Z","endDate":null,"timezone":"UTC","jitter":null},' +
          '"executor":"default","coalesce":true,"maxInstances":1,"misfireGraceTime":null,"timeout":null,' +
          '"nextRunTime":"2025-01-01T00:05:00.000Z"}';
        const time = Date.UTC(2025, 0, 1, 0, 5);
        await database.db
          .insertInto(table())
          .values({ id: 'old', next_run_time: time, job_state: text })
          .execute();
        const job = await store.lookupJob('old');
        expect(job?.args).toEqual(['contract', { at: new Date(Date.UTC(2025, 0, 1)) }]);
        expect(job?.nextRunTime).toEqual(new Date(time));
        await store.updateJob(job!);
        const row = await database.db
          .selectFrom(table())
          .select('job_state')
          .where('id', '=', 'old')
          .executeTakeFirstOrThrow();
        expect(row.job_state).toBe(text);
      });
    });

    describe('connections', () => {
      it('uses an existing Kysely instance and leaves it open at shutdown', async () => {
        const { store } = await startStore({ db: database.db });
        await store.addJob(makeJob('shared', BASE_TIME));
        await store.shutdown();
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
        expect(Number(rows[0]!.one)).toBe(1);
        expect(await rowCount()).toBe(1);
      });

      it('updates a job with its unchanged state without a lookup error', async () => {
        const { store } = await startStore();
        const job = makeJob('same', BASE_TIME);
        await store.addJob(job);
        await store.updateJob(job);
        await store.updateJob(job);
        expect((await store.lookupJob('same'))?.nextRunTime).toEqual(new Date(BASE_TIME));
      });

      it('fails clearly when used before start, and can start again after shutdown', async () => {
        const store = new SqlJobStore({
          url: database.url,
          tableName: table(),
          sqliteDriver: backend.sqliteDriver,
        });
        await expect(store.getAllJobs()).rejects.toThrow(/not started/);
        await store.start(storeTestContext(), 'default');
        await store.addJob(makeJob('a', BASE_TIME));
        await expect(store.start(storeTestContext(), 'default')).rejects.toThrow(/already started/);
        await store.shutdown();
        await store.shutdown();
        await store.start(storeTestContext(), 'default');
        started.push(store);
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['a']);
      });
    });
  });
}
