/**
 * Helpers shared by the persistent job stores that keep each job as JSON
 * text beside its next run time (Redis, MongoDB): the contract's listing order, the ids a UTF-8 backend cannot
 * hold, reading a stored job state, restoring a job with the bookkeeping of
 * unrestorable ids, loading an optional driver, and string config options.
 *
 * Internal to the stores; not exported from the package.
 */

import { ConfigurationError } from '../config/errors.ts';
import { DeserializationError, SerializationError } from '../jobs/errors.ts';
import type { Job } from '../jobs/job.ts';
import { StoreSetupError } from './errors.ts';
import type { StoreContext } from './store.ts';

/** The message of an error, or the thrown value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks a store's constructor options: an object with exactly one of `url`
 * (a non-empty string) or `client` (`clientKind` describes it in the message).
 *
 * @throws TypeError naming `store`
 */
export function checkUrlOrClient(
  options: { readonly url?: unknown; readonly client?: unknown },
  store: string,
  clientKind: string,
): void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${store} needs options: { url } or { client }`);
  const hasUrl = options.url !== undefined;
  if (hasUrl === (options.client !== undefined))
    throw new TypeError(
      `${store} needs exactly one of url (connection settings) or client (${clientKind})`,
    );
  if (hasUrl && (typeof options.url !== 'string' || options.url === ''))
    throw new TypeError(`${store}: url must be a non-empty string`);
}

/** What the contract orders stored jobs by. */
export interface RunOrderKey {
  /** Next run time in epoch ms; null when paused. */
  readonly time: number | null;
  readonly id: string;
}

/** Paused (null) last; then by time, then id by UTF-16 code units, as the contract orders. */
export function compareRunOrder(a: RunOrderKey, b: RunOrderKey): number {
  if (a.time !== b.time) {
    if (a.time === null) return 1;
    if (b.time === null) return -1;
    return a.time - b.time;
  }
  if (a.id < b.id) return -1;
  return a.id > b.id ? 1 : 0;
}

/** A lone UTF-16 surrogate: a backend that stores UTF-8 would silently turn it into U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Can a UTF-8 backend hold this id: a string without a lone UTF-16 surrogate? */
export function isStorableId(id: unknown): id is string {
  return typeof id === 'string' && !LONE_SURROGATE.test(id);
}

/**
 * Refuses, before the backend is touched, a job whose id is not a string or
 * holds a lone UTF-16 surrogate (`backend` names the store in the message).
 *
 * @throws SerializationError
 */
export function checkStorableId(job: Job, backend: string): void {
  if (!isStorableId(job.id))
    throw new SerializationError(
      `job ${JSON.stringify(job.id)} cannot be stored: its id holds a lone UTF-16 surrogate, which ${backend} cannot store; remove it from the id (it is half of a character, an emoji say, that was cut in two)`,
      { path: 'id', jobId: job.id },
    );
}

/**
 * The job document in the job state JSON stored under `id`.
 *
 * @throws DeserializationError naming the job when `text` is not valid JSON.
 */
export function parseJobState(id: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DeserializationError(
      `job '${id}' cannot be restored: its stored job state is not valid JSON: ${messageOf(error)}`,
      { jobId: id },
      { cause: error },
    );
  }
}

/**
 * Restores the job stored under `jobId` from the document `readDocument`
 * returns (it throws when the stored state cannot be read), or reports why it
 * cannot be restored and returns null.
 *
 * `broken` is the store's set of ids found unrestorable: `getNextRunTime`
 * looks past them, or a scheduler would wake for them forever. A failure adds
 * the id; a successful restore removes it.
 */
export async function restoreOrReport(
  context: StoreContext,
  broken: Set<string>,
  jobId: string,
  nextRunTime: number | null,
  readDocument: () => unknown,
): Promise<Job | null> {
  try {
    const job = await context.restoreJob(readDocument());
    if (job.id !== jobId)
      throw new DeserializationError(
        `the job state stored under id ${JSON.stringify(jobId)} belongs to job ${JSON.stringify(job.id)}`,
        { path: 'id', jobId },
      );
    broken.delete(jobId);
    return job;
  } catch (error) {
    broken.add(jobId);
    context.restoreFailed({
      jobId,
      nextRunTime: nextRunTime === null ? null : new Date(nextRunTime),
      error,
    });
    return null;
  }
}

/**
 * `promise`, or a rejection with `StoreSetupError(message)` when it has not
 * settled after `ms` milliseconds; `onTimeout` then releases what the
 * attempt opened.
 */
export async function withinTimeout<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
  onTimeout: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new StoreSetupError(message));
    }, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loads an optional peer dependency with `load` (an `import()` of the package,
 * written out by the caller); when the package is not installed, fails with
 * `install <pkg> to use the <storeType> job store (npm install <pkg>)`.
 */
export async function loadOptionalDriver<T>(
  load: () => Promise<T>,
  pkg: string,
  storeType: string,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error))
      throw new StoreSetupError(
        `install ${pkg} to use the ${storeType} job store (npm install ${pkg})`,
        {
          cause: error,
        },
      );
    throw error;
  }
}

/** Did an import fail because the module is not installed? */
export function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/** The string option `name` of a store's configuration `key`, if given. @throws ConfigurationError */
export function optionalString(
  key: string,
  options: Record<string, unknown>,
  name: string,
): string | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConfigurationError(`${key}.${name}`, 'must be a string');
  return value;
}

/**
 * After a store read the `broken.size + 1` earliest run times to find the
 * next one it can run: forgets the unrestorable ids not among them. Each is
 * due no earlier than a job that can run (or paused, or removed, perhaps by
 * another scheduler, unseen), so the next run time need not look past it now;
 * one still broken is reported, and known again, when a read meets it. Kept
 * for good, the ids of broken jobs that other schedulers removed piled up, and
 * every call read as many rows as there were ids.
 */
export function forgetUnread(
  broken: Set<string> | Map<string, unknown>,
  readIds: readonly string[],
): void {
  if (broken.size === 0) return;
  const read = new Set(readIds);
  for (const id of broken.keys()) if (!read.has(id)) broken.delete(id);
}
