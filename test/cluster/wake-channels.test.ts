/**
 * The wake-up channels against the real servers: PostgreSQL LISTEN/NOTIFY,
 * Redis pub/sub and an MQTT broker (Mosquitto). A hint one channel sends
 * reaches every channel of the same store and none of another store; a
 * listening connection the server kills is reopened and re-subscribed, with a
 * hint of its own since hints may have been missed meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { Redis as IORedis, type Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { MqttWakeChannel } from '../../src/scheduler/cluster/mqtt-wake-channel.ts';
import { RedisWakeChannel } from '../../src/stores/redis/redis-wake-channel.ts';
import {
  PgWakeChannel,
  WAKE_APPLICATION_NAME,
} from '../../src/stores/sql/postgres/pg-wake-channel.ts';
import type { WakeChannel } from '../../src/stores/wake.ts';
import { openRedis, REDIS_URL, redisUnreachable, waitFor } from '../helpers/durability.ts';
import { describeWithService, MQTT_URL, tcpUnreachable } from '../helpers/services.ts';
import { POSTGRES_URL } from '../helpers/sql-backends.ts';

const WAIT_MS = 15_000;

/** What a channel heard, in order ('' = a reconnection). */
class Heard {
  readonly hints: string[] = [];
  readonly errors: string[] = [];
  readonly listener = (from: string): void => {
    this.hints.push(from);
  };
  readonly onError = (message: string): void => {
    this.errors.push(message);
  };
}

const open: WakeChannel[] = [];
const clients: { end(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((channel) => channel.close()));
  await Promise.all(clients.splice(0).map((client) => client.end()));
});

function uniqueIdentity(): string {
  return `test:${randomBytes(6).toString('hex')}`;
}

/** The shared part: hints reach every channel of the store, and only of that store. */
function hintsReachTheStoreOnly(make: (identity: string, heard: Heard) => WakeChannel): void {
  it('carries a hint to every channel of the same store and to no other store', async () => {
    const identity = uniqueIdentity();
    const [a, b, other] = [new Heard(), new Heard(), new Heard()];
    const channelA = make(identity, a);
    const channelB = make(identity, b);
    const otherStore = make(uniqueIdentity(), other);
    open.push(channelA, channelB, otherStore);
    await channelA.open(a.listener);
    await channelB.open(b.listener);
    await otherStore.open(other.listener);
    await channelB.send('node-b');
    await waitFor('node-b hint at A', () => a.hints.includes('node-b'), WAIT_MS);
    await waitFor('its own hint at B', () => b.hints.includes('node-b'), WAIT_MS);
    await channelA.send('node-a');
    await waitFor('node-a hint at B', () => b.hints.includes('node-a'), WAIT_MS);
    expect(other.hints).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
}

const pgReason = await (async () => {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
})();

describeWithService(
  'PostgreSQL LISTEN/NOTIFY wake-ups',
  'PostgreSQL',
  POSTGRES_URL,
  pgReason,
  () => {
    const make = (identity: string, heard: Heard) =>
      new PgWakeChannel({
        url: POSTGRES_URL,
        storeIdentity: identity,
        connectTimeoutMs: 5000,
        onError: heard.onError,
      });

    hintsReachTheStoreOnly(make);

    it('reopens and re-subscribes a listening connection the server terminated', async () => {
      const identity = uniqueIdentity();
      const [a, b] = [new Heard(), new Heard()];
      const listening = make(identity, a);
      const sender = make(identity, b);
      open.push(listening, sender);
      await listening.open(a.listener);
      await sender.open(b.listener);
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      clients.push(admin);
      await admin.connect();
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = $1 and query = $2`,
        [WAKE_APPLICATION_NAME, `listen ${listening.name}`],
      );
      expect(rows.length).toBe(2);
      await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [
        rows.map((row) => row.pid),
      ]);
      await waitFor(
        'both to reconnect',
        () => a.hints.includes('') && b.hints.includes(''),
        WAIT_MS,
      );
      expect(a.errors.some((message) => message.includes('wake-up connection lost'))).toBe(true);
      await sender.send('after');
      await waitFor('a hint after reconnecting', () => a.hints.includes('after'), WAIT_MS);
    });

    it('keeps trying when the server cannot be reached at first, without throwing', async () => {
      const heard = new Heard();
      const channel = new PgWakeChannel({
        url: 'postgres://postgres@127.0.0.1:1/test',
        storeIdentity: uniqueIdentity(),
        connectTimeoutMs: 1000,
        onError: heard.onError,
      });
      open.push(channel);
      await channel.open(heard.listener);
      await channel.send('nobody');
      expect(heard.errors[0]).toMatch(/wake-up connection failed .*; retrying/);
    });
  },
);

const redisReason = await redisUnreachable();

describeWithService('Redis pub/sub wake-ups', 'Redis', REDIS_URL, redisReason, () => {
  const make = (identity: string, heard: Heard) => {
    // As a store's client: it reconnects (the tests' usual client does not).
    // Named after the store, so that a test kills its own subscriber and no other test's.
    const publisher = new IORedis(REDIS_URL, { connectTimeout: 3000, connectionName: identity });
    publisher.on('error', () => {});
    clients.push({ end: async () => void publisher.disconnect() });
    return new RedisWakeChannel({
      publisher: () => publisher,
      subscriber: () => publisher.duplicate(),
      channel: `${identity}.wake`,
      onError: heard.onError,
    });
  };
  /** Waits until Redis counts `count` subscribers of `channel`. */
  const subscribed = async (client: Redis, channel: string, count: number) => {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const reply = (await client.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(reply[1]) >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no ${count} subscribers on ${channel} within ${WAIT_MS} ms`);
  };

  const admin = () => {
    const client = openRedis();
    clients.push({ end: async () => void client.disconnect() });
    return client;
  };

  it('carries a hint to every channel of the same store and to no other store', async () => {
    const identity = uniqueIdentity();
    const [a, b, other] = [new Heard(), new Heard(), new Heard()];
    const channelA = make(identity, a);
    const channelB = make(identity, b);
    const otherStore = make(uniqueIdentity(), other);
    open.push(channelA, channelB, otherStore);
    await channelA.open(a.listener);
    await channelB.open(b.listener);
    await otherStore.open(other.listener);
    await subscribed(admin(), `${identity}.wake`, 2);
    await channelB.send('node-b');
    await waitFor('node-b hint at A', () => a.hints.includes('node-b'), WAIT_MS);
    await channelA.send('node-a');
    await waitFor('node-a hint at B', () => b.hints.includes('node-a'), WAIT_MS);
    expect(other.hints).toEqual([]);
  });

  it('re-subscribes after the server killed the subscriber connection', async () => {
    const identity = uniqueIdentity();
    const heard = new Heard();
    const channel = make(identity, heard);
    open.push(channel);
    await channel.open(heard.listener);
    const client = admin();
    await subscribed(client, `${identity}.wake`, 1);
    const list = (await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    for (const line of list.split('\n'))
      if (line.includes(` name=${identity} `)) {
        const id = /\bid=(\d+)/.exec(line)?.[1];
        if (id !== undefined) await client.call('CLIENT', 'KILL', 'ID', id);
      }
    await waitFor('a reconnection hint', () => heard.hints.includes(''), WAIT_MS);
    await subscribed(client, `${identity}.wake`, 1);
    await channel.send('after');
    await waitFor('a hint after reconnecting', () => heard.hints.includes('after'), WAIT_MS);
  });
});

const mqttReason = await tcpUnreachable(MQTT_URL, 1883);

describeWithService('MQTT wake-ups', 'the MQTT broker', MQTT_URL, mqttReason, () => {
  const make = (identity: string, heard: Heard) =>
    new MqttWakeChannel({
      url: MQTT_URL,
      storeIdentity: identity,
      connectTimeoutMs: 5000,
      onError: heard.onError,
    });

  it('carries a hint to every channel of the same store and to no other store', async () => {
    const identity = uniqueIdentity();
    const [a, b, other] = [new Heard(), new Heard(), new Heard()];
    const channelA = make(identity, a);
    const channelB = make(identity, b);
    const otherStore = make(uniqueIdentity(), other);
    open.push(channelA, channelB, otherStore);
    await channelA.open(a.listener);
    await channelB.open(b.listener);
    await otherStore.open(other.listener);
    // Subscriptions are in place once a channel hears its own hint.
    await waitFor(
      'subscriptions',
      () => {
        void channelA.send('probe-a');
        void channelB.send('probe-b');
        return a.hints.includes('probe-b') && b.hints.includes('probe-a');
      },
      WAIT_MS,
    );
    await channelB.send('node-b');
    await waitFor('node-b hint at A', () => a.hints.includes('node-b'), WAIT_MS);
    expect(other.hints).toEqual([]);
  });

  it('names its topic from the store identity only, with no secret of the broker URL', () => {
    const channel = new MqttWakeChannel({
      url: 'mqtt://user:s3cret@127.0.0.1:1883',
      storeIdentity: 'postgres://db.example/app/horarium_jobs',
      connectTimeoutMs: 1000,
      onError: () => {},
    });
    expect(channel.topic).toMatch(/^horarium\/wake\/[0-9a-f]{32}$/);
    expect(channel.kind).not.toContain('s3cret');
  });
});
