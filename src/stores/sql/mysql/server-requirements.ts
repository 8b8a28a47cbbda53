/**
 * What the SQL store needs of a MySQL or MariaDB server to share it between
 * schedulers: `SELECT … FOR UPDATE SKIP LOCKED` (MySQL 8.0.1, MariaDB 10.6),
 * and, with binary logging on, a row-based or mixed binlog format — under
 * statement-based logging a SKIP LOCKED statement is unsafe to replicate, as
 * replicas could lock and change other rows than the source did.
 */
import { type Kysely, sql } from 'kysely';
import { SqlStoreSetupError } from '../sql-errors.ts';

export interface MysqlServerFacts {
  /** `select version()`: `8.0.36`, `10.11.19-MariaDB-0+deb12u1`, … */
  readonly version: string;
  readonly logBin: boolean;
  readonly binlogFormat: string;
}

/** Why the server cannot host a shared store, or null when it can. */
export function mysqlServerProblem(facts: MysqlServerFacts): string | null {
  const mariadb = /mariadb/i.test(facts.version);
  const [major = 0, minor = 0, patch = 0] = (/^(\d+)\.(\d+)\.(\d+)/.exec(facts.version) ?? [])
    .slice(1)
    .map(Number);
  const [needMajor, needMinor, needPatch] = mariadb ? [10, 6, 0] : [8, 0, 1];
  const atLeast =
    major !== needMajor
      ? major > needMajor
      : minor !== needMinor
        ? minor > needMinor
        : patch >= needPatch;
  if (!atLeast) {
    const product = mariadb ? 'MariaDB' : 'MySQL';
    return `${product} ${facts.version} is older than ${needMajor}.${needMinor}${mariadb ? '' : `.${needPatch}`}, which the SQL job store needs (SELECT … FOR UPDATE SKIP LOCKED, so that several schedulers can share the table): upgrade the server`;
  }
  if (facts.logBin && facts.binlogFormat.toUpperCase() === 'STATEMENT')
    return "binary logging is on with binlog_format=STATEMENT, under which the SQL job store's SELECT … FOR UPDATE SKIP LOCKED is unsafe to replicate: set binlog_format=ROW (or MIXED) on the server";
  return null;
}

/** Reads the facts of the server behind `db` and refuses one the store cannot share. @throws SqlStoreSetupError */
export async function checkMysqlServer<DB>(db: Kysely<DB>, where: string): Promise<void> {
  const { rows } = await sql<{ version: string; log_bin: number | string; binlog_format: string }>`
    select version() as version, @@log_bin as log_bin, @@binlog_format as binlog_format`.execute(
    db,
  );
  const row = rows[0];
  if (row === undefined) return;
  const problem = mysqlServerProblem({
    version: String(row.version),
    logBin: Number(row.log_bin) === 1 || String(row.log_bin).toUpperCase() === 'ON',
    binlogFormat: String(row.binlog_format),
  });
  if (problem !== null) throw new SqlStoreSetupError(`${where}: ${problem}`);
}
