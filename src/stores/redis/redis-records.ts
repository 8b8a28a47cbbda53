/**
 * Fire records and node check-ins as the Redis store keeps them (JSON text),
 * read back with every field checked: the text comes from a server other
 * programs can write to.
 */
import { type FireRecord, isFireState, type NodeRecord } from '../ledger.ts';

/** Why a stored record cannot be read. */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
}

type Fields = Record<string, unknown>;

function objectOf(text: string, what: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorruptRecordError(`${what} is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CorruptRecordError(`${what} is not a JSON object`);
  return value as Fields;
}

function text(fields: Fields, name: string, what: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw new CorruptRecordError(`${what} has no text "${name}"`);
  return value;
}

function optionalText(fields: Fields, name: string, what: string): string | null {
  const value = fields[name] ?? null;
  if (value !== null && typeof value !== 'string')
    throw new CorruptRecordError(`${what} has a "${name}" that is not text`);
  return value;
}

function integer(fields: Fields, name: string, what: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new CorruptRecordError(`${what} has no integer "${name}"`);
  return value;
}

function optionalInteger(fields: Fields, name: string, what: string): number | null {
  const value = fields[name] ?? null;
  if (value !== null && (typeof value !== 'number' || !Number.isSafeInteger(value)))
    throw new CorruptRecordError(`${what} has a "${name}" that is not an integer`);
  return value;
}

/**
 * The fire record stored under `fireId`.
 * @throws CorruptRecordError naming what is wrong
 */
export function parseFireRecord(fireId: string, json: string): FireRecord {
  const what = `the fire record ${JSON.stringify(fireId)}`;
  const fields = objectOf(json, what);
  const state = fields.state;
  if (!isFireState(state)) throw new CorruptRecordError(`${what} has no known "state"`);
  if (fields.fireId !== fireId)
    throw new CorruptRecordError(`${what} holds the fire ${JSON.stringify(fields.fireId)}`);
  const recovering = fields.recovering ?? false;
  if (typeof recovering !== 'boolean')
    throw new CorruptRecordError(`${what} has a "recovering" that is not true or false`);
  return {
    fireId,
    jobId: text(fields, 'jobId', what),
    scheduledTime: integer(fields, 'scheduledTime', what),
    state,
    node: optionalText(fields, 'node', what),
    fence: integer(fields, 'fence', what),
    batchId: optionalText(fields, 'batchId', what),
    leaseUntil: optionalInteger(fields, 'leaseUntil', what),
    claimedAt: optionalInteger(fields, 'claimedAt', what),
    startedAt: optionalInteger(fields, 'startedAt', what),
    finishedAt: optionalInteger(fields, 'finishedAt', what),
    recovering,
    attempt: optionalInteger(fields, 'attempt', what) ?? 1,
    errorName: optionalText(fields, 'errorName', what),
    errorMessage: optionalText(fields, 'errorMessage', what),
    detail: optionalText(fields, 'detail', what),
  };
}

/** What a check-in stores (its last sighting is kept apart, by the store's clock). */
export function nodeCheckInJson(node: Omit<NodeRecord, 'lastSeen'>): string {
  const { hostname, pid, version, startedAt, clockSkewMs } = node;
  return JSON.stringify({ hostname, pid, version, startedAt, clockSkewMs });
}

/**
 * A node's record from its check-in JSON and its last sighting.
 * @throws CorruptRecordError naming what is wrong
 */
export function parseNodeRecord(nodeId: string, lastSeen: number, json: string): NodeRecord {
  const what = `the check-in of node ${JSON.stringify(nodeId)}`;
  const fields = objectOf(json, what);
  return {
    nodeId,
    hostname: text(fields, 'hostname', what),
    pid: integer(fields, 'pid', what),
    version: text(fields, 'version', what),
    startedAt: integer(fields, 'startedAt', what),
    lastSeen,
    clockSkewMs: integer(fields, 'clockSkewMs', what),
  };
}
