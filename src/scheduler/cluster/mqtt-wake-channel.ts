/**
 * Wake-ups over an MQTT broker (`cluster: { wake: { mqtt: url } }`), for
 * stores that have no notifications of their own (MySQL, MariaDB, SQLite) or
 * when the application already runs a broker. Every node sharing a store
 * subscribes to the store's topic, derived from the store's identity so that
 * it holds no secret; hints are QoS 0 and dropped while disconnected (nodes
 * keep polling). mqtt.js reconnects by itself; the topic is subscribed again
 * on every connection, and a reconnection is a hint of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ConfigurationError } from '../../config/errors.ts';
import { redactSecretsIn, redactUrl } from '../../config/redact-url.ts';
import { isModuleNotFound, messageOf } from '../../stores/common.ts';
import type { WakeChannel, WakeListener } from '../../stores/wake.ts';

/** The topic of a store's wake-ups. */
export function mqttWakeTopic(storeIdentity: string): string {
  return `horarium/wake/${createHash('sha256').update(storeIdentity).digest('hex').slice(0, 32)}`;
}

export interface MqttWakeChannelOptions {
  readonly url: string;
  readonly storeIdentity: string;
  readonly connectTimeoutMs: number;
  /** Reports a lost or failed connection (mqtt.js goes on reconnecting). */
  readonly onError: (message: string) => void;
}

export class MqttWakeChannel implements WakeChannel {
  readonly #options: MqttWakeChannelOptions;
  readonly #topic: string;
  #client: MqttClient | undefined;
  #lastError = '';

  constructor(options: MqttWakeChannelOptions) {
    this.#options = options;
    this.#topic = mqttWakeTopic(options.storeIdentity);
  }

  get kind(): string {
    return `MQTT (${redactUrl(this.#options.url)})`;
  }

  /** The topic (tests). */
  get topic(): string {
    return this.#topic;
  }

  async open(listener: WakeListener): Promise<void> {
    const mqtt = await loadMqtt();
    const { url, connectTimeoutMs } = this.#options;
    const client = mqtt.connect(url, {
      clientId: `horarium-${randomBytes(8).toString('hex')}`,
      clean: true,
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: 1000,
      // A hint sent while disconnected is stale by the time it would arrive.
      queueQoSZero: false,
      resubscribe: false,
    });
    this.#client = client;
    let connections = 0;
    client.on('connect', () => {
      this.#lastError = '';
      connections += 1;
      client.subscribe(this.#topic, { qos: 0 }, (error) => {
        if (error) this.#report(`cannot subscribe: ${messageOf(error)}`);
      });
      if (connections > 1) listener('');
    });
    client.on('message', (topic, payload) => {
      if (topic === this.#topic) listener(payload.toString('utf8'));
    });
    client.on('error', (error) => this.#report(messageOf(error)));
    client.on('offline', () => this.#report('broker unreachable'));
  }

  #report(message: string): void {
    const safe = redactSecretsIn(message, this.#options.url);
    if (safe === this.#lastError) return;
    this.#lastError = safe;
    this.#options.onError(`wake-ups over MQTT: ${safe}; reconnecting`);
  }

  async send(fromNode: string): Promise<void> {
    const client = this.#client;
    if (client === undefined || !client.connected) return;
    client.publish(this.#topic, fromNode, { qos: 0 }, () => {
      // A lost hint costs one poll.
    });
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    await client.endAsync(true).catch(() => {});
  }
}

async function loadMqtt(): Promise<typeof import('mqtt')> {
  try {
    return await import('mqtt');
  } catch (error) {
    if (isModuleNotFound(error))
      throw new ConfigurationError(
        'cluster.wake.mqtt',
        'needs the "mqtt" package: npm install mqtt@5 (or leave cluster.wake unset to use the store\'s own wake-ups or polling)',
        { cause: error },
      );
    throw error;
  }
}
