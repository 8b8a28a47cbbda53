/**
 * A node's wake-ups: which channel `cluster.wake` picks, one hint per turn of
 * the event loop however many jobs changed, its own hints ignored, and a last
 * hint when it leaves having given its claims back.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/index.ts';
import { WakeUps } from '../../../src/scheduler/cluster/wake-ups.ts';
import type { ClusterLedger } from '../../../src/stores/ledger.ts';
import type { WakeChannel, WakeListener } from '../../../src/stores/wake.ts';

class FakeChannel implements WakeChannel {
  readonly kind = 'fake';
  readonly sent: string[] = [];
  listener: WakeListener | undefined;
  closed = false;
  async open(listener: WakeListener): Promise<void> {
    this.listener = listener;
  }
  async send(fromNode: string): Promise<void> {
    this.sent.push(fromNode);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setUp(wake: 'auto' | 'poll' | { mqtt: string }, withChannel = true) {
  const channel = new FakeChannel();
  const ledger = {
    ...(withChannel ? { wakeChannel: () => channel } : {}),
    identity: () => 'store-identity',
  } as unknown as ClusterLedger;
  let wakeups = 0;
  const wakeUps = new WakeUps(ledger, wake, {
    logger: silentLogger,
    alias: 'default',
    nodeId: 'me',
    wakeup: () => {
      wakeups += 1;
    },
  });
  return { channel, wakeUps, wakeups: () => wakeups };
}

describe('WakeUps', () => {
  it("uses the store's channel with 'auto', and sends one hint per turn of the event loop", async () => {
    const { channel, wakeUps } = setUp('auto');
    await wakeUps.open();
    expect(wakeUps.kind).toBe('fake');
    for (let i = 0; i < 1000; i += 1) wakeUps.announce();
    await nextTurn();
    expect(channel.sent).toEqual(['me']);
    wakeUps.announce();
    await nextTurn();
    expect(channel.sent).toEqual(['me', 'me']);
  });

  it("wakes the scheduler for a peer's hint and a reconnection, not for its own", async () => {
    const { channel, wakeUps, wakeups } = setUp('auto');
    await wakeUps.open();
    channel.listener?.('me');
    expect(wakeups()).toBe(0);
    channel.listener?.('peer');
    channel.listener?.('');
    expect(wakeups()).toBe(2);
  });

  it("polls only with 'poll', or with 'auto' on a store that has no channel", async () => {
    for (const [wake, withChannel] of [
      ['poll', true],
      ['auto', false],
    ] as const) {
      const { channel, wakeUps } = setUp(wake, withChannel);
      await wakeUps.open();
      expect(wakeUps.kind).toBeUndefined();
      wakeUps.announce();
      await nextTurn();
      expect(channel.sent).toEqual([]);
    }
  });

  it('uses MQTT when configured, on a topic of the store identity', () => {
    const { wakeUps } = setUp({ mqtt: 'mqtt://user:pw@127.0.0.1:1883' });
    expect(wakeUps.kind).toBe('MQTT (mqtt://user:***@127.0.0.1:1883)');
  });

  it('sends a last hint when it leaves having given its claims back, then closes', async () => {
    const { channel, wakeUps } = setUp('auto');
    await wakeUps.open();
    await wakeUps.close(true);
    expect(channel.sent).toEqual(['me']);
    expect(channel.closed).toBe(true);
    wakeUps.announce();
    await nextTurn();
    expect(channel.sent).toEqual(['me']);
  });
});
