/**
 * A node's wake-ups on one shared store: it tells its peers when it added or
 * changed a job (or gave its claims back), and runs a pass at once when a
 * peer tells it so. Which channel carries them follows `cluster.wake`:
 * `'auto'` uses the store's own (PostgreSQL LISTEN/NOTIFY, Redis pub/sub) and
 * polls where it has none; `{ mqtt }` uses a broker; `'poll'` uses none.
 * Polling (`storePollInterval`) goes on in every case: a hint may be lost.
 */
import type { Logger } from '../../logging.ts';
import type { ClusterLedger } from '../../stores/ledger.ts';
import type { WakeChannel } from '../../stores/wake.ts';
import type { WakeOption } from './cluster-options.ts';
import { MqttWakeChannel } from './mqtt-wake-channel.ts';

const MQTT_CONNECT_TIMEOUT_MS = 10_000;

export interface WakeUpsHost {
  readonly logger: Logger;
  readonly alias: string;
  readonly nodeId: string;
  /** Runs a pass on the store now. */
  wakeup(): void;
}

export class WakeUps {
  readonly #host: WakeUpsHost;
  readonly #channel: WakeChannel | undefined;
  /** A hint is due to be sent at the end of this turn of the event loop. */
  #sendQueued = false;
  #closed = false;

  constructor(ledger: ClusterLedger, wake: WakeOption, host: WakeUpsHost) {
    this.#host = host;
    this.#channel = channelFor(ledger, wake, host);
  }

  /** What carries the hints, or undefined when the node only polls. */
  get kind(): string | undefined {
    return this.#channel?.kind;
  }

  async open(): Promise<void> {
    const channel = this.#channel;
    if (channel === undefined) return;
    const { nodeId } = this.#host;
    try {
      await channel.open((from) => {
        if (from !== nodeId && !this.#closed) this.#host.wakeup();
      });
      this.#host.logger.debug(`Job store "${this.#host.alias}": wake-ups over ${channel.kind}`);
    } catch (error) {
      this.#host.logger.warn(
        `Job store "${this.#host.alias}": no wake-ups over ${channel.kind}; the store is polled`,
        error,
      );
    }
  }

  /**
   * Tells the peers to look at the store: once per turn of the event loop
   * however many jobs changed in it (adding 10,000 jobs sends one hint).
   */
  announce(): void {
    const channel = this.#channel;
    if (channel === undefined || this.#sendQueued || this.#closed) return;
    this.#sendQueued = true;
    setImmediate(() => {
      this.#sendQueued = false;
      if (!this.#closed) void channel.send(this.#host.nodeId);
    });
  }

  /** Sends a last hint (this node gave its claims back), then closes the channel. */
  async close(lastHint: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const channel = this.#channel;
    if (channel === undefined) return;
    if (lastHint) await channel.send(this.#host.nodeId);
    await channel.close();
  }
}

function channelFor(
  ledger: ClusterLedger,
  wake: WakeOption,
  host: WakeUpsHost,
): WakeChannel | undefined {
  if (wake === 'poll') return undefined;
  const onError = (message: string) => host.logger.warn(`Job store "${host.alias}": ${message}`);
  if (wake === 'auto') return ledger.wakeChannel?.(onError);
  return new MqttWakeChannel({
    url: wake.mqtt,
    storeIdentity: ledger.identity?.() ?? `alias:${host.alias}`,
    connectTimeoutMs: MQTT_CONNECT_TIMEOUT_MS,
    onError,
  });
}
