/**
 * Kysely's `SqliteDatabase` over `node:sqlite`'s `DatabaseSync` (Node ≥ 22.13),
 * reading what better-sqlite3 reads, so that the store and Kysely see the
 * same rows through either driver.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

interface NodeSqliteStatement {
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate?(...parameters: unknown[]): IterableIterator<unknown>;
  columns?(): unknown[];
  setReadBigInts(enabled: boolean): void;
}

interface NodeSqliteConnection {
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}

export interface NodeSqliteModule {
  DatabaseSync: new (path: string) => NodeSqliteConnection;
}

export async function loadNodeSqlite(): Promise<NodeSqliteModule | null> {
  // A variable specifier keeps TypeScript (whose Node 20 types lack node:sqlite) out of it.
  const specifier = 'node:sqlite';
  try {
    const module: unknown = await import(specifier);
    const DatabaseSync = (module as Partial<NodeSqliteModule>).DatabaseSync;
    return typeof DatabaseSync === 'function' ? { DatabaseSync } : null;
  } catch {
    return null;
  }
}

/** Statements that return rows, for `node:sqlite` versions without `columns()` (before 22.16). */
const READER = /^\s*(?:select|with|pragma|values|explain)\b|\breturning\b/i;
/** Statements that write and return rows: running one again to read its rows would write twice. */
const RETURNING = /\breturning\b/i;

/** Did `node:sqlite` refuse to read an INTEGER that does not fit a number? */
function isOutOfRange(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_OUT_OF_RANGE';
}

/** Turns the BigInts of a row read with `setReadBigInts(true)` into numbers, in place. */
function bigIntsToNumbers(row: unknown): unknown {
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (typeof value === 'bigint') record[key] = Number(value);
  }
  return row;
}

/**
 * All rows of a statement, with every INTEGER as a number. `node:sqlite`
 * throws ERR_OUT_OF_RANGE for an INTEGER beyond `Number.MAX_SAFE_INTEGER`
 * where better-sqlite3 returns the nearest number, so that one hand-edited row (a `next_run_time`
 * of 2^62, say) would fail every read of the table instead of being reported
 * as a row that cannot be restored. Such a read runs again with BigInts,
 * turned into numbers; a statement that writes reads BigInts from the start.
 */
function readAll(
  statement: NodeSqliteStatement,
  writes: boolean,
  parameters: readonly unknown[],
): unknown[] {
  if (!writes) {
    try {
      return statement.all(...parameters);
    } catch (error) {
      if (!isOutOfRange(error)) throw error;
    }
  }
  statement.setReadBigInts(true);
  try {
    return statement.all(...parameters).map(bigIntsToNumbers);
  } finally {
    statement.setReadBigInts(false);
  }
}

/** The rows of a statement one by one, with every INTEGER as a number (see {@link readAll}). */
function* readEach(
  statement: NodeSqliteStatement,
  parameters: readonly unknown[],
): IterableIterator<unknown> {
  statement.setReadBigInts(true);
  try {
    const rows =
      typeof statement.iterate === 'function'
        ? statement.iterate(...parameters)
        : statement.all(...parameters);
    for (const row of rows) yield bigIntsToNumbers(row);
  } finally {
    statement.setReadBigInts(false);
  }
}

/**
 * Kysely's `SqliteDatabase` over `node:sqlite`'s `DatabaseSync`, reading what
 * better-sqlite3 reads: numbers for INTEGERs, even unsafe ones.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: NodeSqliteConnection;

  constructor(db: NodeSqliteConnection) {
    this.#db = db;
  }

  close(): void {
    this.#db.close();
  }

  prepare(sql: string): SqliteStatement {
    const statement = this.#db.prepare(sql);
    const reader =
      typeof statement.columns === 'function' ? statement.columns().length > 0 : READER.test(sql);
    const writes = RETURNING.test(sql);
    return {
      reader,
      all: (parameters) => readAll(statement, writes, parameters),
      run: (parameters) => statement.run(...parameters),
      iterate: (parameters) => readEach(statement, parameters),
    };
  }
}
