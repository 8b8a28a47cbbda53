/**
 * Shared pieces of the durability tests (test/stores/crash-restart.test.ts,
 * outage.test.ts, hostile-input.test.ts): the backends they run against, the
 * skip-or-fail rule for a missing server, the run log the fixture jobs write,
 * and small waiting helpers for tests on real timers.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { JobStore } from '../../src/extend.ts';
import { RedisJobStore, type SqliteDriverName, SqlJobStore } from '../../src/index.ts';
import type { RunRecord } from '../fixtures/durability-jobs.ts';
import { describeWithService } from './services.ts';
import {
  MYSQL_URL,
  mysqlBackend,
  nodeSqliteBackend,
  POSTGRES_URL,
  postgresBackend,
  type SqlBackend,
  sqliteBackend,
  unreachable,
} from './sql-backends.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One store for one test: what `durability-child.ts` and the test's own scheduler open. */
export interface DurableStoreTarget {
  /** `sqlite:/tmp/…`, `postgres://…`, `mysql://…` or `redis://…`. */
  url: string;
  /** The SQL table name or the Redis key prefix. */
  name: string;
  /** SQLite: the driver the stores open the file with (default 'auto'). */
  sqliteDriver?: SqliteDriverName;
  /** Drops the table / deletes the keys (and files). */
  cleanup(): Promise<void>;
}

export interface DurableBackend {
  name: 'SQLite' | 'SQLite (node:sqlite)' | 'PostgreSQL' | 'MariaDB' | 'Redis';
  /** Where its server is, for messages. */
  url: string;
  /** Null when the server answers, else why not. */
  unreachable(): Promise<string | null>;
  create(): Promise<DurableStoreTarget>;
}

function fromSql(backend: SqlBackend, name: DurableBackend['name'], url: string): DurableBackend {
  return {
    name,
    url,
    unreachable: () => unreachable(backend),
    async create() {
      const database = await backend.create();
      return {
        url: database.url,
        name: database.tableName,
        sqliteDriver: backend.sqliteDriver,
        cleanup: () => database.cleanup(),
      };
    },
  };
}

export function openRedis(url = REDIS_URL): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {});
  return client;
}

export async function redisUnreachable(url = REDIS_URL): Promise<string | null> {
  const probe = openRedis(url);
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    probe.disconnect();
  }
}

/** A fresh key prefix; every key the test creates starts with it. */
export function uniqueRedisPrefix(): string {
  return `horarium-durability:${process.pid}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix` (the prefix is ours: no glob characters in it). */
export async function deleteRedisKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const client = openRedis(url);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export const redisBackend: DurableBackend = {
  name: 'Redis',
  url: REDIS_URL,
  unreachable: () => redisUnreachable(),
  async create() {
    const prefix = uniqueRedisPrefix();
    return { url: REDIS_URL, name: prefix, cleanup: () => deleteRedisKeys(prefix) };
  },
};

export const durableBackends: Record<DurableBackend['name'], DurableBackend> = {
  SQLite: fromSql(sqliteBackend, 'SQLite', 'sqlite:<tmpdir>'),
  'SQLite (node:sqlite)': fromSql(nodeSqliteBackend, 'SQLite (node:sqlite)', 'sqlite:<tmpdir>'),
  PostgreSQL: fromSql(postgresBackend, 'PostgreSQL', POSTGRES_URL),
  MariaDB: fromSql(mysqlBackend, 'MariaDB', MYSQL_URL),
  Redis: redisBackend,
};

/** Asks every backend whether its server answers: null when it does, else why not. */
export async function reachability(
  backends: readonly DurableBackend[],
): Promise<Map<DurableBackend['name'], string | null>> {
  const reasons = await Promise.all(backends.map((backend) => backend.unreachable()));
  return new Map(backends.map((backend, i) => [backend.name, reasons[i] ?? null]));
}

/**
 * Registers `register`'s tests when the backend's server answers (`reason`
 * null). Otherwise, under CI=true, one failing test names the missing service;
 * elsewhere the tests are skipped with that message.
 */
export function describeBackend(
  title: string,
  backend: DurableBackend,
  reason: string | null | undefined,
  register: () => void,
): void {
  describeWithService(title, backend.name, backend.url, reason ?? null, register);
}

/** A fresh run log path under os.tmpdir(). */
export function tempRunLog(label: string): string {
  return join(
    tmpdir(),
    `horarium-${label.replace(/[^\w-]+/g, '-')}-${process.pid}-${randomBytes(5).toString('hex')}.runlog`,
  );
}

/** Every record in the run log (an absent file has none). */
export function readRunLog(path: string): RunRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [id, scheduled, pid, at] = line.split(' ');
    // A line cut short by SIGKILL cannot happen with one appendFileSync, but be strict about it.
    if (id === undefined || scheduled === undefined || pid === undefined || at === undefined)
      throw new Error(`Malformed run log line ${JSON.stringify(line)} in ${path}`);
    records.push({ id, scheduled: Date.parse(scheduled), pid: Number(pid), at: Number(at) });
  }
  return records;
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** Scheduled run times (epoch ms) that occur more than once, as ISO strings with their count. */
export function doubledRuns(records: readonly RunRecord[], id: string): string[] {
  const counts = new Map<number, number>();
  for (const record of records) {
    if (record.id !== id) continue;
    counts.set(record.scheduled, (counts.get(record.scheduled) ?? 0) + 1);
  }
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([time, count]) => `${new Date(time).toISOString()} ×${count}`);
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs` with `what` and `details()`. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  details: () => string = () => '',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) {
      const extra = details();
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${extra ? `: ${extra}` : ''}`,
      );
    }
    await sleep(20);
  }
}

export { sleep };

/** Polls `check` every 50 ms until it holds, failing after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The job store of `target`: a RedisJobStore for `redis://`, a SqlJobStore otherwise. */
export function openStore(target: DurableStoreTarget): JobStore {
  return target.url.startsWith('redis')
    ? new RedisJobStore({ url: target.url, keyPrefix: target.name })
    : new SqlJobStore({
        url: target.url,
        tableName: target.name,
        sqliteDriver: target.sqliteDriver,
      });
}
