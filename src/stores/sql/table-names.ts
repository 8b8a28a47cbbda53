/**
 * The names and limits of the SQL job store's tables: which table names it
 * takes, the tables a store uses beside its own (migration bookkeeping, the
 * cluster ledger's fires and nodes, the job change log), and the longest id. Index names stay
 * within PostgreSQL's 63 and MySQL's 64 characters for every table name taken.
 */
import { SqlStoreSetupError } from './dialects.ts';

/** Longest job id, in Unicode characters (code points): 191 × 4 bytes fits MySQL's index key limit. */
export const MAX_ID_LENGTH = 191;

/** Table names: a letter or underscore, then letters, digits, underscores; short enough for the migration tables' names. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** @throws SqlStoreSetupError when `name` is not a plain identifier of at most 40 characters. */
export function checkTableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
    throw new SqlStoreSetupError(
      `Invalid job store table name ${JSON.stringify(name)}: use 1 to 40 letters, digits and underscores, not starting with a digit`,
    );
  }
  return name;
}

export interface TableNames {
  jobs: string;
  /** (next_run_time): the first release's index, replaced by {@link dueOrderIndex}. */
  nextRunTimeIndex: string;
  /** (next_run_time, id): due jobs in claim order. */
  dueOrderIndex: string;
  migrations: string;
  migrationLock: string;
  /** The cluster ledger's fires, one row per (job, scheduled time). */
  fires: string;
  /** Unique (job_id, scheduled_time): the key a node's insert must win; also lists a job's fires newest first. */
  fireSlotIndex: string;
  /** (node, state): a node's live fires, for lease renewals. */
  fireNodeIndex: string;
  /** (state, lease_until): expired run leases, for the reaper. */
  fireLeaseIndex: string;
  /** (scheduled_time): every job's fires newest first. */
  fireTimeIndex: string;
  /** (state, scheduled_time, fire_id): the fires in one state newest first (`getFires({ states })`). */
  fireStateIndex: string;
  /** (history, state): the fires of jobs that keep less history, for the purge. */
  fireHistoryIndex: string;
  /** The schedulers' check-ins. */
  nodes: string;
  /** The job change log, primary key (job_id, version). */
  jobChanges: string;
  /** The job change log's primary key (its name on PostgreSQL and SQLite). */
  jobChangeKey: string;
  /** The store outage log, one row per outage a node summarised. */
  outages: string;
  /** (started_at): the outages of a span, latest first. */
  outageTimeIndex: string;
  /** The named exclusion calendars, primary key name. */
  calendars: string;
}

/** The names of the tables a store with this table name uses. */
export function tableNames(table: string): TableNames {
  return {
    jobs: table,
    nextRunTimeIndex: `ix_${table}_next_run_time`,
    dueOrderIndex: `ix_${table}_due_order`,
    migrations: `${table}_migrations`,
    migrationLock: `${table}_migrations_lock`,
    fires: `${table}_fires`,
    fireSlotIndex: `ux_${table}_fires_slot`,
    fireNodeIndex: `ix_${table}_fires_node`,
    fireLeaseIndex: `ix_${table}_fires_lease`,
    fireTimeIndex: `ix_${table}_fires_time`,
    fireStateIndex: `ix_${table}_fires_state`,
    fireHistoryIndex: `ix_${table}_fires_history`,
    nodes: `${table}_nodes`,
    jobChanges: `${table}_job_changes`,
    jobChangeKey: `pk_${table}_job_changes`,
    outages: `${table}_outages`,
    outageTimeIndex: `ix_${table}_outages_time`,
    calendars: `${table}_calendars`,
  };
}
