/**
 * explain after a real store outage: a scheduler reaches its PostgreSQL or
 * Redis store through a TCP proxy (test/helpers/tcp-proxy.ts) that is cut for
 * a few seconds. Meanwhile an operator pauses one job through a second
 * scheduler that reaches the store directly. Once the proxy is restored, the
 * scheduler writes the outage to the store's outage log, and explain
 * answers, from that log:
 *
 * - for a fire time of the paused job during the cut (it left no ledger
 *   row): `store_unavailable`, naming the scheduler, the span and the error;
 * - for a fire time of the running job during the cut: `coalesced` into the
 *   catch-up run, with the outage as the reason it could not run in time.
 */
import { afterEach, expect, it } from 'vitest';
import type { JobStore } from '../../../src/extend.ts';
import { AsyncScheduler, RedisJobStore, SqlJobStore } from '../../../src/index.ts';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  reachability,
  sleep,
  waitFor,
} from '../../helpers/durability.ts';
import { TcpProxy } from '../../helpers/tcp-proxy.ts';

const backends: DurableBackend[] = [durableBackends.PostgreSQL, durableBackends.Redis];
const reasons = await reachability(backends);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const CUT_MS = 4000;

function storeAt(url: string, name: string): JobStore {
  return url.startsWith('redis')
    ? new RedisJobStore({ url, keyPrefix: name })
    : new SqlJobStore({ url, tableName: name });
}

for (const backend of backends) {
  describeBackend(
    `explain after an outage on ${backend.name}`,
    backend,
    reasons.get(backend.name),
    () => {
      const cleanups: (() => Promise<void>)[] = [];
      afterEach(async () => {
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
      });

      it('answers store_unavailable for a fire time the outage left without a record, and names the outage of a coalesced one', async () => {
        const target = await backend.create();
        cleanups.push(() => target.cleanup());
        const server = new URL(target.url);
        const proxy = await TcpProxy.start(
          server.hostname,
          Number(server.port || (backend.name === 'Redis' ? 6379 : 5432)),
        );
        cleanups.push(() => proxy.close());
        const scheduler = new AsyncScheduler({
          jobstores: { default: storeAt(proxy.proxiedUrl(target.url), target.name) },
          timezone: 'UTC',
          logger: quiet,
          jobstoreRetryInterval: 1,
          storePollInterval: 1,
          cluster: { nodeId: 'node-behind-proxy' },
        });
        const runs: number[] = [];
        scheduler.registerTask('outage.tick', () => {
          runs.push(Date.now());
        });
        await scheduler.start();
        cleanups.push(() => scheduler.shutdown({ wait: false }));
        const startDate = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
        for (const id of ['tick', 'paused-during-cut'])
          await scheduler.addJob('outage.tick', 'interval', {
            id,
            seconds: 1,
            startDate,
            coalesce: true,
            misfireGraceTime: null,
          });
        await waitFor('four runs', () => runs.length >= 4, 20_000);

        proxy.cut();
        const cutAt = Date.now();
        await sleep(1500);
        // An operator pauses a job while the scheduler cannot reach the store.
        const operator = new AsyncScheduler({
          jobstores: { default: storeAt(target.url, target.name) },
          timezone: 'UTC',
          logger: quiet,
          cluster: { nodeId: 'operator' },
        });
        operator.registerTask('outage.tick', () => {});
        await operator.start({ paused: true });
        await operator.pauseJob('paused-during-cut');
        await operator.shutdown({ wait: false });
        await sleep(CUT_MS - 1500);
        proxy.restore();
        const restoredAt = Date.now();
        const ranAfter = runs.length;
        await waitFor('a run after the restore', () => runs.length > ranAfter, 15_000);

        // The first whole fire time inside the cut, with room on both sides.
        const during = Math.ceil((cutAt + 600) / 1000) * 1000;
        expect(during).toBeLessThan(restoredAt - 1000);
        let unavailable = await scheduler.explain('paused-during-cut', new Date(during));
        // The outage is written after the first whole pass that follows the restore.
        const deadline = Date.now() + 15_000;
        while (unavailable.verdict !== 'store_unavailable' && Date.now() < deadline) {
          await sleep(200);
          unavailable = await scheduler.explain('paused-during-cut', new Date(during));
        }
        expect(unavailable.verdict, unavailable.evidence.join('\n')).toBe('store_unavailable');
        expect(unavailable.slot).toEqual(new Date(during));
        const sentence = unavailable.evidence.at(-1) ?? '';
        expect(sentence).toMatch(/^Scheduler "node-behind-proxy" could not reach the store from /);
        expect(sentence).toMatch(/\(\d+ failed \w+: /);

        const coalesced = await scheduler.explain('tick', new Date(during));
        expect(coalesced.verdict, coalesced.evidence.join('\n')).toBe('coalesced');
        expect(coalesced.evidence.join(' ')).toContain(
          'Scheduler "node-behind-proxy" could not reach the store from ',
        );

        // Another scheduler on the store reads the same answer from the store.
        const reader = new AsyncScheduler({
          jobstores: { default: storeAt(target.url, target.name) },
          timezone: 'UTC',
          logger: quiet,
        });
        reader.registerTask('outage.tick', () => {});
        await reader.start({ paused: true });
        cleanups.push(() => reader.shutdown({ wait: false }));
        expect((await reader.explain('paused-during-cut', new Date(during))).verdict).toBe(
          'store_unavailable',
        );
      }, 60_000);
    },
  );
}
