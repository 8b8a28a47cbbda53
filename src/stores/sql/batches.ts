/**
 * How the SQL backends cut a batch of rows or ids into statements: within a
 * row count and about BATCH_CHARS characters of job state per statement,
 * in the few statement sizes of `queries.ts`, so that each size is compiled
 * and prepared once.
 */
import type { CompiledQuery } from 'kysely';
import { insertSizes, paddedSizes, type SizedStatements } from './queries.ts';
import type { InsertRow } from './rows.ts';

/** A statement carries about this many characters of job state at most (MySQL's max_allowed_packet is 16 MiB by default). */
export const BATCH_CHARS: number = 4 * 1024 * 1024;

/**
 * Characters of job state in one padded statement at most, on a database
 * that takes `bytes` in one (MySQL's packet): a character takes up to 3
 * bytes, and padding adds up to a quarter.
 */
export function paddedBatchChars(bytes: number): number {
  return Math.max(1, Math.min(BATCH_CHARS, Math.floor(bytes / 3 / 1.25)));
}

/**
 * The position of the first row whose id repeats an earlier row's, or
 * `rows.length` when every id is distinct.
 */
export function firstRepeat(rows: readonly InsertRow[]): number {
  const seen = new Set<string>();
  const repeat = rows.findIndex((row) => seen.has(row.id) || !seen.add(row.id));
  return repeat === -1 ? rows.length : repeat;
}

/** The characters an item adds to a statement: a row's job state, or an id. */
function charsOf(item: InsertRow | string): number {
  return typeof item === 'string' ? item.length : item.job_state.length;
}

/**
 * Batches of at most `maxRows` items and about `maxChars` characters of job
 * state (or id), or of what `sizeOf` counts for other items.
 */
export function chunks<T extends InsertRow | string>(
  items: readonly T[],
  maxRows: number,
  maxChars?: number,
): Generator<T[]>;
export function chunks<T>(
  items: readonly T[],
  maxRows: number,
  maxChars: number,
  sizeOf: (item: T) => number,
): Generator<T[]>;
export function* chunks<T>(
  items: readonly T[],
  maxRows: number,
  maxChars: number = BATCH_CHARS,
  sizeOf: (item: T) => number = charsOf as (item: T) => number,
): Generator<T[]> {
  let chunk: T[] = [];
  let chars = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (chunk.length > 0 && (chunk.length >= maxRows || chars + size > maxChars)) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(item);
    chars += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * `rows` in the batches of one multi-row insert each: at most `maxRows` rows
 * and about `maxChars` characters, in the few sizes of {@link insertSizes}.
 */
export function* insertBatches(
  rows: readonly InsertRow[],
  maxRows: number,
  maxChars: number = BATCH_CHARS,
): Generator<InsertRow[]> {
  for (const chunk of chunks(rows, maxRows, maxChars)) yield* insertSizedBatches(chunk, maxRows);
}

/**
 * `items` in batches of the statement sizes of {@link paddedSizes}, each
 * filled up to its size with repeats of one of its items: the last id, or
 * the row (or item) that `sizeOf` finds smallest, so that padding adds at
 * most a quarter to a statement's size.
 */
export function paddedBatches<T extends InsertRow | string>(
  items: readonly T[],
  max: number,
): Generator<T[]>;
export function paddedBatches<T>(
  items: readonly T[],
  max: number,
  sizeOf: (item: T) => number,
): Generator<T[]>;
export function* paddedBatches<T>(
  items: readonly T[],
  max: number,
  sizeOf: (item: T) => number = charsOf as (item: T) => number,
): Generator<T[]> {
  let at = 0;
  for (const size of paddedSizes(items.length, max)) {
    const batch = items.slice(at, at + size);
    at += batch.length;
    let filler = batch[batch.length - 1] as T;
    if (batch.length < size && typeof filler !== 'string') {
      for (const item of batch) if (sizeOf(item) < sizeOf(filler)) filler = item;
    }
    while (batch.length < size) batch.push(filler);
    yield batch;
  }
}

/** `items` in batches of the statement sizes of {@link insertSizes} (no padding: each item once). */
export function* insertSizedBatches<T>(items: readonly T[], max: number): Generator<T[]> {
  let at = 0;
  for (const size of insertSizes(items.length, max)) {
    yield items.slice(at, at + size);
    at += size;
  }
}

/** The statement of `statements` for `rows` (an insert or upsert), with their columns as arguments. */
export function rowsStatement(
  statements: SizedStatements,
  rows: readonly InsertRow[],
): CompiledQuery {
  const args = new Array<unknown>(rows.length * 3);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    args[3 * i] = row.id;
    args[3 * i + 1] = row.next_run_time;
    args[3 * i + 2] = row.job_state;
  }
  return statements.rows(rows.length).bind(args);
}

/** The arguments of a PostgreSQL batch statement: one array per column. */
export function columnsOf(rows: readonly InsertRow[]): [string[], (number | null)[], string[]] {
  return [rows.map((r) => r.id), rows.map((r) => r.next_run_time), rows.map((r) => r.job_state)];
}

/**
 * `items` in rounds in which no key repeats: the k-th item of each key goes
 * in round k, and the items of a round keep their order. A batch statement
 * that may match a row once per statement is run once per round, so that a
 * key given twice is written twice, in order, as one statement per item would.
 */
export function distinctRounds<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    if (round === rounds.length) rounds.push([item]);
    else rounds[round]?.push(item);
  }
  return rounds;
}
