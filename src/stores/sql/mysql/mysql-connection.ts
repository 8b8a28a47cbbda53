/**
 * Opens a mysql2 pool for the SQL job store (MySQL 8, MariaDB 10.6+): utf8mb4,
 * UPDATE counting the rows it matched, and sessions without
 * NO_BACKSLASH_ESCAPES, which mysql2's inlined parameters need.
 */

import { CompiledQuery, Kysely, MysqlDialect, type MysqlPool } from 'kysely';
import { redactSecretsIn, redactUrl } from '../../../config/redact-url.ts';
import { messageOf } from '../../common.ts';
import { loadDriver, type OpenOptions, SqlStoreSetupError, type SqlTarget } from '../dialects.ts';
import type { JobsDatabase } from '../queries.ts';
import type { SqlSession } from '../sql-backend.ts';
import { type MysqlCallbackPool, MysqlPoolRunner } from './mysql-runner.ts';

/** Opens a pool on the server `target` names: under Kysely, and under the store's own runner. */
export async function openMysql(target: SqlTarget, options: OpenOptions): Promise<SqlSession> {
  if (target.dialect !== 'mysql') throw new TypeError(`not a MySQL target: ${target.dialect}`);
  const mysql = await loadDriver(() => import('mysql2'), 'mysql2', 'mysql2@3', 'MySQL/MariaDB');
  const pool = mysql.createPool({
    uri: target.url,
    charset: 'UTF8MB4_GENERAL_CI',
    // UPDATE reports the rows it matched, not only those it changed.
    flags: ['+FOUND_ROWS'],
    supportBigNumbers: true,
    connectTimeout: options.connectTimeout,
    ...(options.poolSize === undefined ? {} : { connectionLimit: options.poolSize }),
  });
  pool.on('connection', (connection) => connection.on('error', options.onPoolError));
  const db = new Kysely<JobsDatabase>({
    dialect: new MysqlDialect({
      pool: pool as unknown as MysqlPool,
      // mysql2 inlines parameters with backslash escapes; NO_BACKSLASH_ESCAPES would
      // make those escapes literal, so our sessions never run with it.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          CompiledQuery.raw(
            "set session sql_mode = replace(@@session.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
          ),
        );
      },
    }),
  });
  try {
    // Within connectTimeout, also against a server that accepts and never answers.
    await db.executeQuery(CompiledQuery.raw('select 1'));
  } catch (error) {
    await db.destroy();
    throw new SqlStoreSetupError(
      `Cannot connect to MySQL/MariaDB at ${redactUrl(target.url)}: ${redactSecretsIn(messageOf(error), target.url)}`,
      { cause: error },
    );
  }
  return { db, runner: new MysqlPoolRunner(pool as unknown as MysqlCallbackPool), owned: true };
}
