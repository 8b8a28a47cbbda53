/**
 * Overlap policies across two schedulers on one store: with `overlap:
 * 'queue'` a fire refused for maxInstances waits in the ledger and runs as
 * soon as the running instance ends, on either node, never beside it; with
 * `overlap: 'replace'` the newer fire runs at once and the older run, on
 * whichever node holds it, is cancelled in the ledger and aborted through its
 * signal within a third of the run lease.
 */
import { afterEach, expect, it } from 'vitest';
import { AsyncScheduler, silentLogger } from '../../src/index.ts';
import type { FireRecord } from '../../src/stores/ledger.ts';
import { CLUSTER_JOBS_MODULE, readClusterRunLog } from '../fixtures/cluster-jobs.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  removeFile,
  sleep,
  tempRunLog,
  waitFor,
} from '../helpers/durability.ts';

const RUN = `${CLUSTER_JOBS_MODULE}:run`;
/** The run lease: renewals every half second, so a replaced run is aborted within about that. */
const LEASE_S = 1.5;
const backends: DurableBackend[] = [durableBackends.PostgreSQL];
const reasons = await reachability(backends);

for (const backend of backends) {
  describeBackend(`overlap on ${backend.name}`, backend, reasons.get(backend.name), () => {
    let target: DurableStoreTarget | undefined;
    let runLog = '';
    const schedulers: AsyncScheduler[] = [];

    async function twoNodes(label: string): Promise<[AsyncScheduler, AsyncScheduler]> {
      target = await backend.create();
      runLog = tempRunLog(`overlap-${label}`);
      const make = (nodeId: string) => {
        const scheduler = new AsyncScheduler({
          jobstores: { default: openStore(target as DurableStoreTarget) },
          timezone: 'UTC',
          logger: silentLogger,
          storePollInterval: 0.2,
          cluster: { nodeId, runLease: LEASE_S, claimLease: LEASE_S },
        });
        schedulers.push(scheduler);
        return scheduler;
      };
      const nodes: [AsyncScheduler, AsyncScheduler] = [make('node-a'), make('node-b')];
      for (const node of nodes) await node.start();
      return nodes;
    }

    async function firesOf(
      scheduler: AsyncScheduler,
      jobId: string,
    ): Promise<readonly FireRecord[]> {
      return (await scheduler.getFires({ jobId, limit: 100 })).fires;
    }

    afterEach(async () => {
      for (const scheduler of schedulers.splice(0))
        if (scheduler.running) await scheduler.shutdown({ wait: false });
      await target?.cleanup();
      removeFile(runLog);
    });

    it("'queue' runs a refused fire as soon as the running instance ends, never beside it", async () => {
      const [a] = await twoNodes('queue');
      const start = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
      await a.addJob(RUN, 'interval', {
        id: 'queued',
        seconds: 2,
        startDate: start,
        endDate: new Date(start.getTime() + 2500),
        args: [runLog, 3000],
        overlap: 'queue',
      });
      // Fires at 0 s (runs 3 s) and 2 s (queued behind it).
      const ends = () => readClusterRunLog(runLog).filter((line) => line.kind === 'end');
      await waitFor(
        'two runs',
        () => ends().length >= 2,
        30_000,
        () => JSON.stringify(readClusterRunLog(runLog)),
      );
      const lines = readClusterRunLog(runLog);
      const runs = [0, 2000].map((offset) => {
        const scheduled = start.getTime() + offset;
        const of = lines.filter((line) => line.scheduled === scheduled);
        return {
          start: of.find((line) => line.kind === 'start')?.at ?? Number.NaN,
          end: of.find((line) => line.kind === 'end')?.at ?? Number.NaN,
        };
      });
      // The queued run started after the first ended: never two at once.
      expect(runs[1]?.start).toBeGreaterThanOrEqual(runs[0]?.end ?? Number.POSITIVE_INFINITY);
      let fires: readonly FireRecord[] = [];
      for (let i = 0; i < 50; i++) {
        fires = await firesOf(a, 'queued');
        if (fires.every((fire) => fire.state === 'succeeded')) break;
        await sleep(100);
      }
      expect(fires.map((fire) => [fire.scheduledTime - start.getTime(), fire.state])).toEqual([
        [2000, 'succeeded'],
        [0, 'succeeded'],
      ]);
    }, 60_000);

    it("'replace' starts the newer fire at once and aborts the older run on whichever node holds it", async () => {
      const [a] = await twoNodes('replace');
      const start = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
      await a.addJob(RUN, 'interval', {
        id: 'replaced',
        seconds: 2,
        startDate: start,
        endDate: new Date(start.getTime() + 2500),
        args: [runLog, 20_000],
        overlap: 'replace',
      });
      const second = start.getTime() + 2000;
      await waitFor(
        'the older run aborted and the newer one started',
        () => {
          const lines = readClusterRunLog(runLog);
          return (
            lines.some((line) => line.kind === 'end' && line.outcome === 'aborted') &&
            lines.some((line) => line.kind === 'start' && line.scheduled === second)
          );
        },
        30_000,
      );
      const lines = readClusterRunLog(runLog);
      const aborted = lines.find((line) => line.kind === 'end' && line.outcome === 'aborted');
      expect(aborted?.scheduled).toBe(start.getTime());
      const newer = lines.find((line) => line.kind === 'start' && line.scheduled === second);
      // Aborted within a renewal round (a third of the lease) of the newer run's start, with slack for a busy machine.
      expect((aborted?.at ?? 0) - (newer?.at ?? 0)).toBeLessThan(LEASE_S * 1000 + 3000);
      await sleep(200);
      const older = (await firesOf(a, 'replaced')).find(
        (fire) => fire.scheduledTime === start.getTime(),
      );
      expect(older).toMatchObject({ state: 'cancelled' });
      expect(older?.detail).toMatch(/replaced by a newer fire/);
    }, 60_000);
  });
}
