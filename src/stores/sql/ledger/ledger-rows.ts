/**
 * The cluster ledger's rows as the API returns them. Values come as each
 * driver reads them (pg reads bigint as text; a hand-edited row may hold
 * anything), so every number is converted, and a value that is not one reads
 * as null (or 0 where the field cannot be null).
 */
import type { FireRecord, FireState, NodeRecord } from '../../ledger.ts';
import type { FireRow } from './ledger-statements.ts';

/** A column as a number, or null when it holds none. */
export function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

function number(value: unknown): number {
  return numberOrNull(value) ?? 0;
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}

export function fireRecord(row: FireRow): FireRecord {
  return {
    fireId: String(row.fire_id),
    jobId: String(row.job_id),
    scheduledTime: number(row.scheduled_time),
    state: String(row.state) as FireState,
    node: text(row.node),
    fence: number(row.fence),
    batchId: text(row.batch_id),
    leaseUntil: numberOrNull(row.lease_until),
    claimedAt: numberOrNull(row.claimed_at),
    startedAt: numberOrNull(row.started_at),
    finishedAt: numberOrNull(row.finished_at),
    recovering: number(row.recovering) !== 0 || row.recovering === true,
    attempt: number(row.attempt),
    errorName: text(row.error_name),
    errorMessage: text(row.error_message),
    detail: text(row.detail),
  };
}

export function nodeRecord(row: Record<string, unknown>): NodeRecord {
  return {
    nodeId: String(row.node_id),
    hostname: String(row.hostname),
    pid: number(row.pid),
    version: String(row.version),
    startedAt: number(row.started_at),
    lastSeen: number(row.last_seen),
    clockSkewMs: number(row.clock_skew_ms),
  };
}

/** Does this stored job state ask for its crashed runs to be run again (`recover: true`)? */
export function wantsRecovery(jobState: unknown): boolean {
  if (typeof jobState !== 'string' || !jobState.includes('"recover"')) return false;
  try {
    const document: unknown = JSON.parse(jobState);
    return (
      typeof document === 'object' &&
      document !== null &&
      (document as { recover?: unknown }).recover === true
    );
  } catch {
    return false;
  }
}

/** Does this stored job state ask for its failed runs to be retried (a `retry` with attempts)? */
export function wantsRetry(jobState: unknown): boolean {
  const retry = storedField(jobState, 'retry');
  return typeof retry === 'object' && retry !== null;
}

/** The `maxInstances` of a stored job state (1 when it holds none that is valid). */
export function storedMaxInstances(jobState: unknown): number {
  const value = storedField(jobState, 'maxInstances');
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
}

function storedField(jobState: unknown, key: string): unknown {
  if (typeof jobState !== 'string' || !jobState.includes(`"${key}"`)) return undefined;
  try {
    const document: unknown = JSON.parse(jobState);
    if (typeof document !== 'object' || document === null) return undefined;
    return (document as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Orders ids as the databases' binary collations do: by code point. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
