/**
 * The checks the Redis ledger makes on what it is given, before Redis is
 * touched: a value a script could not read as meant is refused here.
 */
import { isStorableId } from '../common.ts';

/** The JavaScript Date range, in epoch ms: every time the ledger keeps lies within it. */
const MAX_TIME = 8.64e15;

/** A node id, job id, fire id or batch id: text UTF-8 can carry. */
export function checkName(value: string, method: string, name: string): string {
  if (!isStorableId(value))
    throw new TypeError(
      `${method}: ${name} must be a string without lone UTF-16 surrogates (got ${typeof value === 'string' ? JSON.stringify(value) : typeof value})`,
    );
  return value;
}

/** A positive integer: a limit or a fencing token. */
export function checkCount(value: number, method: string, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${method}: ${name} must be a positive integer (got ${String(value)})`);
  return value;
}

/** A lease, in whole ms (at least 1). */
export function checkDuration(value: number, method: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(
      `${method}: ${name} must be a positive number of ms (got ${String(value)})`,
    );
  return Math.max(1, Math.round(value));
}

/** An epoch ms time (or another whole number of ms) a JavaScript Date can hold. */
export function checkTime(value: number, method: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_TIME)
    throw new RangeError(`${method}: ${name} must be a finite number of ms (got ${String(value)})`);
  return Math.round(value);
}

/** The `now` argument of a script: the given time, or `''` for the server's clock. */
export function nowArg(now: number | undefined, method: string): string {
  return now === undefined ? '' : String(checkTime(now, method, 'now'));
}
