/**
 * Opens a pg pool for the SQL job store, with its error listeners and, for
 * `durability: 'relaxed'`, `synchronous_commit = off` on each connection.
 */

import { CompiledQuery, Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import { redactSecretsIn, redactUrl } from '../../../config/redact-url.ts';
import { messageOf } from '../../common.ts';
import { loadDriver, type OpenOptions, SqlStoreSetupError, type SqlTarget } from '../dialects.ts';
import type { JobsDatabase } from '../queries.ts';
import type { SqlSession } from '../sql-backend.ts';
import { type PgPool, PostgresPoolRunner } from './postgres-runner.ts';

/** Opens a pool on the server `target` names: under Kysely, and under the store's own runner. */
export async function openPostgres(target: SqlTarget, options: OpenOptions): Promise<SqlSession> {
  if (target.dialect !== 'postgres')
    throw new TypeError(`not a PostgreSQL target: ${target.dialect}`);
  const pg = await loadDriver(() => import('pg'), 'pg', 'pg@8', 'PostgreSQL');
  const pool = new pg.default.Pool({
    connectionString: target.url,
    connectionTimeoutMillis: options.connectTimeout,
    ...(options.poolSize === undefined ? {} : { max: options.poolSize }),
  });
  pool.on('error', options.onPoolError);
  // pg emits 'error' on a client that is checked out (mid-query or mid-transaction)
  // when its connection drops; pg-pool only listens while clients are idle, so
  // without this listener a network outage would be an uncaught exception.
  pool.on('connect', (client) => client.on('error', options.onPoolError));
  if (options.durability === 'relaxed') {
    // pg queues this before any statement on the new connection. Should it fail,
    // the connection stays fully durable, which errs on the safe side.
    pool.on('connect', (client) => {
      client.query('set synchronous_commit = off').catch(options.onSessionSetupError);
    });
  }
  const db = new Kysely<JobsDatabase>({
    dialect: new PostgresDialect({ pool: pool as PostgresPool }),
  });
  try {
    // Within connectionTimeoutMillis, also against a server that accepts and never answers.
    await db.executeQuery(CompiledQuery.raw('select 1'));
  } catch (error) {
    await db.destroy();
    throw new SqlStoreSetupError(
      `Cannot connect to PostgreSQL at ${redactUrl(target.url)}: ${redactSecretsIn(messageOf(error), target.url)}`,
      { cause: error },
    );
  }
  return { db, runner: new PostgresPoolRunner(pool as unknown as PgPool), owned: true };
}
