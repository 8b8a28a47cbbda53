/**
 * Wake-ups over Redis pub/sub: hints are published through the store's own
 * client and received on a subscriber connection of the channel's own (a
 * subscribed connection can run nothing else). ioredis reconnects and
 * re-subscribes by itself; after each reconnection the listener gets a hint,
 * since hints may have been missed while the connection was down.
 */
import type { Cluster, Redis } from 'ioredis';
import { messageOf } from '../common.ts';
import type { WakeChannel, WakeListener } from '../wake.ts';

export interface RedisWakeChannelOptions {
  /** The store's client: hints are published through it. */
  readonly publisher: () => Redis | Cluster | null;
  /** Opens the subscriber connection (a duplicate of the store's client). */
  readonly subscriber: () => Redis | Cluster;
  /** The pub/sub channel: `${keyPrefix}wake`. */
  readonly channel: string;
  /** Reports a dropped subscriber connection (ioredis goes on reconnecting). */
  readonly onError: (message: string) => void;
}

export class RedisWakeChannel implements WakeChannel {
  readonly kind = 'Redis pub/sub';
  readonly #options: RedisWakeChannelOptions;
  #subscriber: Redis | Cluster | undefined;
  /** Has the subscriber been ready once? Later readiness is a reconnection. */
  #wasReady = false;
  /** The last error reported, so that a reconnect loop reports it once. */
  #lastError = '';

  constructor(options: RedisWakeChannelOptions) {
    this.#options = options;
  }

  async open(listener: WakeListener): Promise<void> {
    const { channel } = this.#options;
    const subscriber = this.#options.subscriber();
    this.#subscriber = subscriber;
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) listener(message);
    });
    subscriber.on('error', (error: unknown) => {
      const message = messageOf(error);
      if (message === this.#lastError) return;
      this.#lastError = message;
      this.#options.onError(`wake-up subscriber: ${message}; reconnecting`);
    });
    subscriber.on('ready', () => {
      this.#lastError = '';
      if (this.#wasReady) listener('');
      this.#wasReady = true;
    });
    // Not awaited: while Redis is down, ioredis queues the subscription and
    // sends it once connected; joining the store does not wait for that.
    subscriber.subscribe(channel).catch((error: unknown) => {
      this.#options.onError(`wake-up subscriber: ${messageOf(error)}`);
    });
  }

  async send(fromNode: string): Promise<void> {
    const publisher = this.#options.publisher();
    if (publisher === null) return;
    try {
      await publisher.publish(this.#options.channel, fromNode);
    } catch {
      // A lost hint costs one poll.
    }
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber === undefined) return;
    subscriber.removeAllListeners('ready');
    subscriber.disconnect();
  }
}
