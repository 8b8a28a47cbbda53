/**
 * Opening an ioredis client from a URL, for the store (at `start()`) and for
 * the lease worker's own connection: ioredis loaded on demand, commands that
 * fail at once while Redis is unreachable, and the whole connect bounded.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { redactSecretsIn, redactUrl } from '../../config/redact-url.ts';
import { loadOptionalDriver, messageOf, withinTimeout } from '../common.ts';
import { StoreSetupError } from '../errors.ts';

/** ioredis's own default `connectTimeout`, which also bounds the store's start. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A connected client for `url`. `warn` gets each new connection error (in
 * words without the URL's secrets), while connecting and after.
 *
 * @throws StoreSetupError when ioredis is not installed, or the server cannot
 * be reached or does not answer within `clientOptions.connectTimeout` (10 s);
 * the client is closed again then.
 */
export async function openRedisClient(
  url: string,
  clientOptions: RedisOptions | undefined,
  warn: (message: string) => void,
): Promise<Redis> {
  const RedisClass = await loadOptionalDriver(
    async () => (await import('ioredis')).Redis,
    'ioredis',
    'redis',
  );
  // While Redis is unreachable, commands fail at once instead of queueing until it
  // returns: the scheduler then reports the outage and retries, and the store's
  // lock is not held for the whole outage. ioredis keeps reconnecting meanwhile.
  const client = new RedisClass(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect within a second of Redis coming back (ioredis backs off to 2 s by default).
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    ...clientOptions,
    lazyConnect: true,
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    if (lastError?.message !== error.message)
      warn(`Redis job store (${redactUrl(url)}): ${redactSecretsIn(error.message, url)}`);
    lastError = error;
  });
  // ioredis's connectTimeout ends a TCP connection that does not open; a server
  // that accepts it and never answers would keep connect() (its ready check)
  // and PING waiting forever, so the same bound covers the whole start.
  const timeout = clientOptions?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
  try {
    await withinTimeout(
      client.connect().then(() => client.call('PING')),
      timeout,
      `Cannot connect to Redis at ${redactUrl(url)}: no answer within ${timeout} ms (clientOptions.connectTimeout)`,
      () => client.disconnect(),
    );
  } catch (error) {
    client.disconnect();
    if (error instanceof StoreSetupError) throw error;
    const reason = redactSecretsIn(lastError?.message ?? messageOf(error), url);
    throw new StoreSetupError(`Cannot connect to Redis at ${redactUrl(url)}: ${reason}`, {
      cause: error,
    });
  }
  return client;
}

/** Closes a client this process opened, leaving no reconnect timer behind. */
export async function closeRedisClient(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    // Already closed or unreachable: make sure no reconnect timer survives.
  }
  client.disconnect();
}
