/**
 * Wake-ups over PostgreSQL LISTEN/NOTIFY on a connection of the channel's
 * own: a pooled connection cannot listen, since the pool hands it to other
 * queries. The connection has TCP keep-alive and is also probed with a query
 * every {@link PROBE_MS}, so a connection that died without a word (a dropped
 * NAT entry, a terminated backend) is noticed; it is then reopened and
 * re-subscribed, with a hint to the listener since hints may have been missed.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { messageOf } from '../../common.ts';
import { WAKE_RECONNECT_MS, type WakeChannel, type WakeListener } from '../../wake.ts';
import { loadDriver } from '../dialects.ts';

/** How often the listening connection is probed, and how long a probe may take. */
const PROBE_MS = 15_000;
const PROBE_TIMEOUT_MS = 10_000;
/** How the listening connection shows in `pg_stat_activity`. */
export const WAKE_APPLICATION_NAME = 'horarium wake-ups';

/** The notification channel of a store: short, and an identifier needing no quotes. */
export function pgWakeChannelName(storeIdentity: string): string {
  return `horarium_wake_${createHash('sha256').update(storeIdentity).digest('hex').slice(0, 32)}`;
}

export interface PgWakeChannelOptions {
  readonly url: string;
  /** The store's identity (see `ClusterLedger.identity`): the channel's name derives from it. */
  readonly storeIdentity: string;
  readonly connectTimeoutMs: number;
  /** Reports a dropped connection or a failed reconnection (the channel goes on retrying). */
  readonly onError: (message: string) => void;
}

export class PgWakeChannel implements WakeChannel {
  readonly kind = 'PostgreSQL LISTEN/NOTIFY';
  readonly #options: PgWakeChannelOptions;
  readonly #name: string;
  #client: pg.Client | undefined;
  #listener: WakeListener | undefined;
  #closed = false;
  #reconnectDelay = WAKE_RECONNECT_MS.first;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** The connection's queries, one after the other (pg wants no overlapping queries). */
  #queue: Promise<unknown> = Promise.resolve();
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(options: PgWakeChannelOptions) {
    this.#options = options;
    this.#name = pgWakeChannelName(options.storeIdentity);
  }

  /** The channel's name (tests). */
  get name(): string {
    return this.#name;
  }

  /** Starts listening; a first connection that fails is reported and retried like a dropped one. */
  async open(listener: WakeListener): Promise<void> {
    this.#listener = listener;
    try {
      await this.#connect();
    } catch (error) {
      this.#options.onError(`wake-up connection failed (${messageOf(error)}); retrying`);
      this.#reconnect();
    }
  }

  async #connect(): Promise<void> {
    const driver = await loadDriver(() => import('pg'), 'pg', 'pg@8', 'PostgreSQL');
    const client = new driver.default.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs,
      application_name: WAKE_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: PROBE_MS,
    });
    client.on('error', (error) => this.#dropped(client, messageOf(error)));
    client.on('end', () => this.#dropped(client, 'the connection ended'));
    client.on('notification', (message) => {
      if (message.channel === this.#name) this.#listener?.(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`listen ${this.#name}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#reconnectDelay = WAKE_RECONNECT_MS.first;
    this.#scheduleProbe(client);
  }

  #scheduleProbe(client: pg.Client): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('a probe went unanswered')), PROBE_TIMEOUT_MS);
      });
      Promise.race([this.#query(client, 'select 1'), expired])
        .then(() => {
          if (this.#client === client) this.#scheduleProbe(client);
        })
        .catch((error: unknown) => this.#dropped(client, messageOf(error)))
        .finally(() => clearTimeout(timer));
    }, PROBE_MS);
    this.#probeTimer.unref();
  }

  /** The listening connection is gone: reopen it, with growing delays while that fails. */
  #dropped(client: pg.Client, why: string): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = undefined;
    clearTimeout(this.#probeTimer);
    client.removeAllListeners('end');
    client.on('error', () => {});
    void client.end().catch(() => {});
    this.#options.onError(`wake-up connection lost (${why}); reconnecting`);
    this.#reconnect();
  }

  #reconnect(): void {
    if (this.#closed) return;
    const delay = this.#reconnectDelay;
    this.#reconnectDelay = Math.min(delay * 2, WAKE_RECONNECT_MS.max);
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().then(
        // Hints sent while the connection was down are lost: look now.
        () => this.#listener?.(''),
        (error: unknown) => {
          this.#options.onError(`wake-up connection failed (${messageOf(error)}); retrying`);
          this.#reconnect();
        },
      );
    }, delay);
    this.#reconnectTimer.unref();
  }

  async send(fromNode: string): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    try {
      await this.#query(client, 'select pg_notify($1, $2)', [this.#name, fromNode]);
    } catch {
      // A lost hint costs one poll; the dropped connection is handled by its listeners.
    }
  }

  /** Runs a query after those queued before it. */
  #query(client: pg.Client, text: string, values?: unknown[]): Promise<unknown> {
    const run = this.#queue.then(
      () => client.query(text, values),
      () => client.query(text, values),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#probeTimer);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.removeAllListeners('end');
    client.on('error', () => {});
    await client.end().catch(() => {});
  }
}
