/**
 * The Redis store's lease connection: what the scheduler's lease worker
 * imports in its own thread (`openLeaseRenewer`) to renew a node's run
 * leases over a connection of its own, so that a job blocking the main
 * thread's event loop does not cost its lease.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { LeaseConnection, LeaseRenewer } from '../ledger.ts';
import { closeRedisClient, openRedisClient } from './redis-client.ts';
import { runScript, storeKeys } from './redis-keys.ts';
import { FireLeaseRenewal } from './redis-lease-renewal.ts';

/** What the worker receives: how to connect, and where the store's keys are. */
export interface RedisLeaseOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly clientOptions?: RedisOptions;
}

/**
 * The lease connection of a store opened from `url`, or undefined when its
 * client options cannot be sent to a worker thread (functions, such as a
 * `retryStrategy` of the application's): renewals then stay on the main thread.
 */
export function leaseConnectionFor(
  url: string,
  clientOptions: RedisOptions | undefined,
  keyPrefix: string,
): LeaseConnection | undefined {
  const options: RedisLeaseOptions =
    clientOptions === undefined ? { url, keyPrefix } : { url, keyPrefix, clientOptions };
  try {
    structuredClone(options);
  } catch {
    return undefined;
  }
  return { module: import.meta.url, export: 'openLeaseRenewer', options };
}

/**
 * Opens a connection of its own to the store described by `options` (a
 * {@link RedisLeaseOptions}) and renews run leases through it.
 *
 * @throws TypeError when `options` is not one; StoreSetupError when Redis cannot be reached
 */
export async function openLeaseRenewer(options: unknown): Promise<LeaseRenewer> {
  const { url, keyPrefix, clientOptions } = checkOptions(options);
  // Connection errors show up as failed renewals, which the scheduler reports.
  const client: Redis = await openRedisClient(url, clientOptions, () => {});
  const keys = storeKeys(keyPrefix);
  const renewal = new FireLeaseRenewal((script, args) => runScript(client, keys, script, args));
  return {
    renewFireLeases: (owner, leaseMs) => renewal.renew(owner, leaseMs),
    close: () => closeRedisClient(client),
  };
}

function checkOptions(options: unknown): RedisLeaseOptions {
  const { url, keyPrefix, clientOptions } = (options ?? {}) as Partial<Record<string, unknown>>;
  if (typeof url !== 'string' || typeof keyPrefix !== 'string')
    throw new TypeError('openLeaseRenewer needs { url, keyPrefix } strings');
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null))
    throw new TypeError('openLeaseRenewer: clientOptions must be an object');
  return clientOptions === undefined
    ? { url, keyPrefix }
    : { url, keyPrefix, clientOptions: clientOptions as RedisOptions };
}
