/**
 * explain's verdicts reached from real scenarios on SQLite and PostgreSQL
 * (history.test.ts covers ran, failed, not_a_slot, before_added and paused;
 * cluster.test.ts abandoned, after a real kill -9; outage-verdicts.test.ts
 * store_unavailable): a scheduler paused for two seconds leaves coalesced
 * and missed fire times, a job busy past its next fire time leaves
 * skipped_max_instances ones, a trigger that ended answers after_end, a
 * removed job answers removed, and a wall time a DST gap skipped is named.
 */
import { afterEach, expect, it } from 'vitest';
import { AsyncScheduler, type FireRecord, type FireState } from '../../../src/index.ts';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  sleep,
} from '../../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../../helpers/sql-backends.ts';

const backends: DurableBackend[] = [
  BETTER_SQLITE3_SAFE ? durableBackends.SQLite : durableBackends['SQLite (node:sqlite)'],
  durableBackends.PostgreSQL,
];
const reasons = await reachability(backends);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

for (const backend of backends) {
  describeBackend(
    `explain's verdicts on ${backend.name}`,
    backend,
    reasons.get(backend.name),
    () => {
      const cleanups: (() => Promise<void>)[] = [];
      afterEach(async () => {
        for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
      });

      it('answers coalesced, missed, skipped_max_instances, after_end and removed from what the scheduler did, and names a DST gap', async () => {
        const target = await backend.create();
        cleanups.push(() => target.cleanup());
        const scheduler = new AsyncScheduler({
          jobstores: { default: openStore(target) },
          timezone: 'UTC',
          logger: quiet,
          storePollInterval: 1,
        });
        scheduler.registerTask('verdicts.quick', () => {});
        scheduler.registerTask('verdicts.slow', () => sleep(1500));
        await scheduler.start();
        cleanups.push(() => scheduler.shutdown({ wait: false }));
        const startDate = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
        const every = (seconds: number, extra: Record<string, unknown> = {}) => ({
          seconds,
          startDate,
          misfireGraceTime: null,
          ...extra,
        });
        await scheduler.addJob(
          'verdicts.quick',
          'interval',
          every(0.5, { id: 'folded', coalesce: true }),
        );
        await scheduler.addJob(
          'verdicts.quick',
          'interval',
          every(0.5, { id: 'late', coalesce: false, misfireGraceTime: 0.1 }),
        );
        await scheduler.addJob(
          'verdicts.slow',
          'interval',
          every(0.3, { id: 'busy', coalesce: false, maxInstances: 1 }),
        );
        const endDate = new Date(startDate.getTime() + 600);
        await scheduler.addJob('verdicts.quick', 'interval', every(0.25, { id: 'short', endDate }));
        await scheduler.addJob('verdicts.quick', 'interval', every(0.5, { id: 'gone' }));
        await scheduler.addJob('verdicts.quick', 'cron', {
          id: 'nightly',
          hour: 2,
          minute: 30,
          timezone: 'Europe/Berlin',
        });

        const firesOf = async (jobId: string, state: FireState): Promise<readonly FireRecord[]> =>
          (await scheduler.getFires({ jobId, states: [state], limit: 100 })).fires;
        await until(
          'a run of gone',
          async () => (await firesOf('gone', 'succeeded')).length >= 1,
          20_000,
        );
        await until(
          'a skipped fire of busy',
          async () => (await firesOf('busy', 'skipped_max_instances')).length >= 1,
          20_000,
        );
        await scheduler.removeJob('gone');
        const removedAt = Date.now();

        // Two seconds without processing: the coalescing job folds its fire times into one run,
        // the other finds them past their 0.1 s grace time.
        await until(
          'a run of folded',
          async () => (await firesOf('folded', 'succeeded')).length >= 1,
          20_000,
        );
        scheduler.pause();
        await sleep(2000);
        scheduler.resume();
        await until(
          'a coalesced fire of folded',
          async () => (await firesOf('folded', 'coalesced')).length >= 1,
          20_000,
        );
        await until(
          'a missed fire of late',
          async () => (await firesOf('late', 'missed')).length >= 1,
          20_000,
        );

        const coalescedRow = (await firesOf('folded', 'coalesced'))[0] as FireRecord;
        const coalesced = await scheduler.explain('folded', coalescedRow.scheduledTime);
        expect(coalesced.verdict, coalesced.evidence.join('\n')).toBe('coalesced');
        expect(coalesced.evidence.join(' ')).toMatch(
          /the first of \d+ fire times due while the job could not run, coalesced into one run at /,
        );
        expect(coalescedRow.detail).toMatch(/^\d+ fire times? folded into the run at /);

        const missedRow = (await firesOf('late', 'missed'))[0] as FireRecord;
        const missed = await scheduler.explain('late', missedRow.scheduledTime);
        expect(missed.verdict, missed.evidence.join('\n')).toBe('missed');
        expect(missed.fire?.fireId).toBe(missedRow.fireId);

        const skippedRow = (await firesOf('busy', 'skipped_max_instances'))[0] as FireRecord;
        const skipped = await scheduler.explain('busy', skippedRow.scheduledTime);
        expect(skipped.verdict, skipped.evidence.join('\n')).toBe('skipped_max_instances');
        expect(skipped.evidence.join(' ')).toContain('maxInstances');

        const ended = await scheduler.explain('short', endDate.getTime() + 10_000);
        expect(ended.verdict, ended.evidence.join('\n')).toBe('after_end');

        const removed = await scheduler.explain('gone', removedAt + 5_000);
        expect(removed.verdict, removed.evidence.join('\n')).toBe('removed');

        const gap = await scheduler.explain('nightly', '2026-03-29 02:30');
        expect(gap.evidence.join(' ')).toContain(
          '02:30 does not exist in Europe/Berlin on 2026-03-29',
        );
        // Asked about a night before the job was added: its first fire time is the slot.
        expect(gap.verdict).toBe('before_added');
      }, 90_000);
    },
  );
}
