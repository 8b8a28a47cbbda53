// The stores the cluster and failover suites run on, and the processes they start open:
// a SQLite file in os.tmpdir() shared by processes on one host, PostgreSQL, MariaDB and Redis
// (POSTGRES_URL, MYSQL_URL, REDIS_URL, with the usual defaults on 127.0.0.1), each removed
// again after a run.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { JobStore } from '../src/extend.ts';
import { RedisJobStore, SqlJobStore } from '../src/index.ts';

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly table: string;
  cleanup(): Promise<void>;
}

/** The stores by key, each call a fresh table, file or key prefix named after `label`. */
export function storeTargets(label: string): Record<string, () => Target> {
  return {
    sqlite: () => {
      const file = join(
        os.tmpdir(),
        `horarium-bench-${label}-${randomBytes(4).toString('hex')}.sqlite`,
      );
      return {
        name: 'SQLite (one file, processes on one host)',
        url: `sqlite:${file}`,
        table: 'bench_jobs',
        cleanup: async () => {
          for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
        },
      };
    },
    postgres: () =>
      sqlTarget(
        'PostgreSQL',
        process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        label,
      ),
    mariadb: () =>
      sqlTarget('MariaDB', process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test', label),
    redis: () => {
      const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      const prefix = `bench.${label}.${randomBytes(4).toString('hex')}.`;
      return {
        name: 'Redis',
        url,
        table: prefix,
        cleanup: async () => {
          const client = new Redis(url);
          try {
            const keys = await client.keys(`${prefix}*`);
            if (keys.length > 0) await client.del(...keys);
          } finally {
            client.disconnect();
          }
        },
      };
    },
  };
}

function sqlTarget(name: string, url: string, label: string): Target {
  const table = `bench_${label}_${randomBytes(4).toString('hex')}`;
  return { name, url, table, cleanup: () => dropTablesLike(url, table) };
}

/** Drops the store's tables: the jobs table and every table named after it. */
async function dropTablesLike(url: string, table: string): Promise<void> {
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `select tablename as name from pg_tables where schemaname = current_schema() and tablename like $1`,
        [`${table}%`],
      );
      for (const row of rows) await client.query(`drop table if exists "${row.name}" cascade`);
    } finally {
      await client.end();
    }
    return;
  }
  const connection = await createConnection(url);
  try {
    const [rows] = await connection.query(
      'select table_name as name from information_schema.tables where table_schema = database() and table_name like ?',
      [`${table}%`],
    );
    for (const row of rows as { name: string }[])
      await connection.query(`drop table if exists \`${row.name}\``);
  } finally {
    await connection.end();
  }
}

/** The store of a target: a RedisJobStore for `redis://`, a SqlJobStore otherwise. */
export function openStore(url: string, table: string): JobStore {
  return url.startsWith('redis')
    ? new RedisJobStore({ url, keyPrefix: table })
    : new SqlJobStore({ url, tableName: table });
}
