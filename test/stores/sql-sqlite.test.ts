/**
 * SqlJobStore on SQLite through better-sqlite3 (files under os.tmpdir()): the
 * store contract, the SQL store suite, what either SQLite driver must do
 * (sqlite-driver-suite.ts), and what is particular to this file's cases:
 * URLs, configuration and the durability options.
 * Skipped on Node 24, where better-sqlite3 12 can abort the process
 * (sql-node-sqlite.test.ts runs the same suites on node:sqlite).
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, SqlJobStore, SqlStoreSetupError } from '../../src/index.ts';
import { createJobStore } from '../../src/scheduler/plugins.ts';
import { parseSqlUrl } from '../../src/stores/sql/dialects.ts';
import {
  BETTER_SQLITE3_SAFE,
  BETTER_SQLITE3_UNSAFE_REASON,
  openSqliteKysely,
  sqliteBackend,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeSqlContract, describeSqlLedger, describeSqlStore } from './sql-store-suite.ts';
import { describeSqliteDriver } from './sqlite-driver-suite.ts';

describe.skipIf(!BETTER_SQLITE3_SAFE)(
  BETTER_SQLITE3_SAFE
    ? 'SQLite through better-sqlite3'
    : `${BETTER_SQLITE3_UNSAFE_REASON}: SQLite tests on the better-sqlite3 driver skipped`,
  () => {
    describeSqlContract(sqliteBackend);
    describeSqlLedger(sqliteBackend);
    describeSqlStore(sqliteBackend);

    describe('SqlJobStore (SQLite) on better-sqlite3, as on either driver', () => {
      describeSqliteDriver('better-sqlite3');
    });

    describe('SqlJobStore (SQLite) specifics', () => {
      it('parses SQLite URLs in its own and in SQLAlchemy form, and refuses others clearly', () => {
        expect(parseSqlUrl('sqlite:jobs.db')).toEqual({ dialect: 'sqlite', path: 'jobs.db' });
        expect(parseSqlUrl('sqlite:/var/lib/jobs.db')).toEqual({
          dialect: 'sqlite',
          path: '/var/lib/jobs.db',
        });
        expect(parseSqlUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
        expect(parseSqlUrl('sqlite://')).toEqual({ dialect: 'sqlite', path: ':memory:' });
        expect(parseSqlUrl('sqlite:///rel.db')).toEqual({ dialect: 'sqlite', path: 'rel.db' });
        expect(parseSqlUrl('sqlite:////abs/x.db')).toEqual({
          dialect: 'sqlite',
          path: '/abs/x.db',
        });
        expect(parseSqlUrl('postgresql://u@h/db').dialect).toBe('postgres');
        expect(parseSqlUrl('mariadb://u@h/db')).toEqual({
          dialect: 'mysql',
          url: 'mysql://u@h/db',
        });
        expect(() => parseSqlUrl('sqlite:')).toThrow(/no file path/);
        expect(() => parseSqlUrl('sqlite://host/x.db')).toThrow(/no host/);
        expect(() => parseSqlUrl('oracle://scott:tiger@h/db')).toThrow(
          /Unsupported database URL "oracle:\/\/scott:\*\*\*@h\/db"/,
        );
      });

      it('is created from configuration as type "sql", and names the option at fault', () => {
        const store = createJobStore('main', {
          type: 'sql',
          url: 'sqlite::memory:',
          busyTimeout: '2',
        });
        expect(store).toBeInstanceOf(SqlJobStore);
        expect(store.shared).toBe(true);
        const fails = (entry: Record<string, unknown>, message: RegExp) => {
          const error: unknown = (() => {
            try {
              createJobStore('main', { type: 'sql', ...entry });
            } catch (e) {
              return e;
            }
          })();
          expect(error).toBeInstanceOf(ConfigurationError);
          expect(String(error)).toMatch(message);
        };
        fails({}, /needs a url/);
        fails(
          { url: 'sqlite::memory:', tabelName: 'x' },
          /jobstores\.main\.tabelName: unknown SQL job store option \(did you mean "tableName"\?\)/,
        );
        fails({ url: 'sqlite::memory:', busyTimeout: 'soon' }, /jobstores\.main\.busyTimeout/);
        fails(
          { url: 'sqlite::memory:', durability: 'extra' },
          /durability: expected "normal" or "full"/,
        );
        fails({ url: 'sqlite::memory:', tableName: 'jobs; drop' }, /Invalid job store table name/);
        fails({ url: 'ftp://x' }, /jobstores\.main\.url: Unsupported database URL/);
      });

      it("accepts durability 'relaxed' for a PostgreSQL URL only, and says why elsewhere", async () => {
        const fails = (options: Record<string, unknown>, message: RegExp) => {
          expect(() => createJobStore('main', { type: 'sql', ...options })).toThrow(
            expect.objectContaining({
              name: 'ConfigurationError',
              message: expect.stringMatching(message),
            }),
          );
        };
        expect(
          createJobStore('main', { type: 'sql', url: 'postgres://h/db', durability: 'relaxed' }),
        ).toBeInstanceOf(SqlJobStore);
        fails(
          { url: 'mysql://h/db', durability: 'relaxed' },
          /jobstores\.main\.durability: .*server-wide setting \(innodb_flush_log_at_trx_commit\)/,
        );
        fails(
          { url: 'sqlite::memory:', durability: 'relaxed' },
          /jobstores\.main\.durability: .*SQLite takes 'normal' \(the default\) or 'full'/,
        );
        const db = openSqliteKysely(':memory:');
        try {
          fails({ db, durability: 'relaxed' }, /connections the store opens from a url/);
        } finally {
          await db.destroy();
        }
      });

      it.runIf(!process.getBuiltinModule?.('node:sqlite'))(
        'explains how to get SQLite when node:sqlite is asked for but absent',
        async () => {
          const store = new SqlJobStore({ url: 'sqlite::memory:', sqliteDriver: 'node:sqlite' });
          const error: unknown = await store
            .start(storeTestContext(), 'default')
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(SqlStoreSetupError);
          expect(String(error)).toMatch(/Node ≥ 22\.13.*better-sqlite3/);
        },
      );
    });
  },
);
