/**
 * Renews a node's run leases from a worker thread with a MongoDB connection
 * of its own (the scheduler's lease worker imports this module and calls
 * {@link openLeaseRenewer}), so that a job blocking the main thread's event
 * loop does not cost its lease.
 *
 * Internal to the MongoDB store; not exported from the package.
 */
import type { MongoClientOptions } from 'mongodb';
import { redactSecretsIn, redactUrl } from '../../config/redact-url.ts';
import { loadOptionalDriver, messageOf } from '../common.ts';
import { StoreSetupError } from '../errors.ts';
import type { LeaseRenewer } from '../ledger.ts';
import { type MongoFireDocument, renewLeases, serverHello } from './mongo-fires.ts';

/** This module's URL, for {@link LeaseConnection.module}. */
export const LEASE_RENEWER_MODULE: string = import.meta.url;

/** What the worker is given (structured-cloneable): where the store's fires are. */
export interface LeaseRenewerOptions {
  readonly url: string;
  readonly clientOptions?: MongoClientOptions;
  readonly database: string;
  readonly fires: string;
}

/**
 * Connects to the store's server and returns a renewer of run leases on the
 * server's clock.
 *
 * @throws TypeError for options this module did not make; StoreSetupError when it cannot connect.
 */
export async function openLeaseRenewer(options: unknown): Promise<LeaseRenewer> {
  const { url, clientOptions, database, fires } = checkOptions(options);
  const MongoClientClass = await loadOptionalDriver(
    async () => (await import('mongodb')).MongoClient,
    'mongodb',
    'mongodb',
  );
  const client = new MongoClientClass(url, clientOptions);
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => {});
    throw new StoreSetupError(
      `Cannot connect to MongoDB at ${redactUrl(url)} to renew run leases: ${redactSecretsIn(messageOf(error), url)}`,
      { cause: error },
    );
  }
  const db = client.db(database);
  const collection = db.collection<MongoFireDocument>(fires);
  return {
    async renewFireLeases(owner: string, leaseMs: number): Promise<string[]> {
      const { localTime } = await serverHello(db);
      return renewLeases(collection, owner, leaseMs, localTime);
    },
    async close(): Promise<void> {
      await client.close();
    },
  };
}

function checkOptions(options: unknown): LeaseRenewerOptions {
  const { url, clientOptions, database, fires } = (options ?? {}) as Record<string, unknown>;
  const name = (value: unknown): value is string => typeof value === 'string' && value !== '';
  if (!name(url) || !name(database) || !name(fires))
    throw new TypeError(
      'openLeaseRenewer needs { url, database, fires } (non-empty strings), as MongoJobStore.ledger.leaseConnection() gives them',
    );
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null))
    throw new TypeError('openLeaseRenewer: clientOptions must be an object');
  return { url, database, fires, clientOptions: clientOptions as MongoClientOptions | undefined };
}
