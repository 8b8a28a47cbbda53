/**
 * Reading the replies of the Redis store's scripts: they come from a server
 * other programs can write to, so every value is checked before use.
 */
import { StoreReplyError } from '../errors.ts';

export function asArray(value: unknown, script: string): unknown[] {
  if (!Array.isArray(value)) throw unexpectedReply(script, value);
  return value;
}

export function asString(value: unknown, script = 'read'): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw unexpectedReply(script, value);
}

/** A number a script sent as text (or as an integer reply). */
export function asNumber(value: unknown, script: string): number {
  const number = typeof value === 'number' ? value : Number(asString(value, script));
  if (!Number.isFinite(number)) throw unexpectedReply(script, value);
  return number;
}

/** A sorted set score as epoch ms; null when absent or not a number. */
export function parseScore(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const time = Number(value);
  return Number.isFinite(time) ? time : null;
}

/** A list of ids (fire ids, job ids) from a script's reply. */
export function asStrings(value: unknown, script: string): string[] {
  return asArray(value, script).map((item) => asString(item, script));
}

export function unexpectedReply(script: string, value: unknown): Error {
  return new StoreReplyError(
    `The Redis job store got an unexpected reply from its "${script}" script: ${typeof value}`,
  );
}
