/**
 * Wake-ups between schedulers on the real stores: a scheduler that polls
 * only every 60 s runs a job another scheduler just added within a second,
 * because the adder's hint woke it — through PostgreSQL LISTEN/NOTIFY, Redis
 * pub/sub, or an MQTT broker for a store without notifications (SQLite). With
 * `wake: 'poll'` the same job waits for the poll.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { AsyncScheduler, currentJob, silentLogger } from '../../src/index.ts';
import type { WakeOption } from '../../src/scheduler/cluster/cluster-options.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  waitFor,
} from '../helpers/durability.ts';
import { MQTT_URL, tcpUnreachable } from '../helpers/services.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';

const POLL_S = 60;
const sqlite = BETTER_SQLITE3_SAFE
  ? durableBackends.SQLite
  : durableBackends['SQLite (node:sqlite)'];
const mqttReason = await tcpUnreachable(MQTT_URL, 1883);
const cases: [DurableBackend, WakeOption, string][] = [
  [durableBackends.PostgreSQL, 'auto', 'LISTEN/NOTIFY'],
  [durableBackends.Redis, 'auto', 'pub/sub'],
  [sqlite, { mqtt: MQTT_URL }, 'MQTT'],
];
const reasons = await reachability(cases.map(([backend]) => backend));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scheduler(target: DurableStoreTarget, nodeId: string, wake: WakeOption): AsyncScheduler {
  const made = new AsyncScheduler({
    jobstores: { default: openStore(target) },
    timezone: 'UTC',
    logger: silentLogger,
    storePollInterval: POLL_S,
    cluster: { nodeId, wake, runLease: 5, claimLease: 5 },
  });
  cleanups.push(async () => {
    if (made.running) await made.shutdown({ wait: false });
  });
  return made;
}

for (const [backend, wake, how] of cases) {
  const reason = reasons.get(backend.name) ?? (typeof wake === 'object' ? mqttReason : null);
  describeBackend(`wake-ups on ${backend.name} (${how})`, backend, reason, () => {
    async function twoNodes(option: WakeOption) {
      const target = await backend.create();
      cleanups.push(() => target.cleanup());
      const ran: string[] = [];
      const adder = scheduler(target, 'adder', option);
      const runner = scheduler(target, 'runner', option);
      runner.registerTask('note', () => {
        ran.push(currentJob()?.id ?? '?');
      });
      adder.registerTask('note', () => {
        throw new Error('the paused adder never runs jobs');
      });
      // The adder only writes: paused, it claims nothing.
      await adder.start({ paused: true });
      await runner.start();
      // Both idle now: the runner sleeps until its next poll, a minute away.
      await sleep(300);
      return { adder, ran };
    }

    it('a scheduler polling every minute runs a job another one just added within seconds', async () => {
      const { adder, ran } = await twoNodes(wake);
      const added = Date.now();
      await adder.addJob('note', 'date', { id: 'woken', runDate: new Date(Date.now() + 200) });
      await waitFor('the woken run', () => ran.includes('woken'), 5_000);
      // The poll is a minute away: only the hint explains a run this soon.
      expect(Date.now() - added).toBeLessThan(5_000);
    });

    it("with wake: 'poll' the same job waits for the runner's poll", async () => {
      const { adder, ran } = await twoNodes('poll');
      await adder.addJob('note', 'date', { id: 'polled', runDate: new Date(Date.now() + 200) });
      await sleep(3000);
      expect(ran).toEqual([]);
    });
  });
}
