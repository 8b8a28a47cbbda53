/**
 * The memory store's fire history, from real scenarios on a scheduler driven
 * by fake timers: what ran, failed, was missed, coalesced or skipped for
 * maxInstances is recorded and explained; the ring keeps the newest fires
 * only, and says so when asked about an older one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  type FireRecord,
  MemoryJobStore,
  readFolded,
  silentLogger,
} from '../../../src/index.ts';
import { sleep } from '../../helpers/scheduler-harness.ts';

const T0 = Date.parse('2026-03-28T12:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

let live: AsyncScheduler[] = [];

function scheduler(fireHistory?: number): AsyncScheduler {
  const made = new AsyncScheduler({
    logger: silentLogger,
    timezone: 'UTC',
    jobstores: {
      default: new MemoryJobStore(fireHistory === undefined ? {} : { fireHistory }),
    },
  });
  live.push(made);
  return made;
}

async function advanceTo(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(T0 + ms - Date.now());
}

const statesOf = (fires: readonly FireRecord[]) =>
  fires.map((f) => `${new Date(f.scheduledTime).toISOString().slice(11, 19)} ${f.state}`);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  for (const s of live) if (s.running) await s.shutdown({ wait: false });
  live = [];
  vi.useRealTimers();
});

describe('the memory store keeps its newest fires', () => {
  it('records runs that succeed and fail, and explains them', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(() => {}, 'interval', {
      id: 'ok',
      seconds: 10,
      startDate: new Date(T0 + 10 * SECOND),
    });
    await s.addJob(
      () => {
        throw new RangeError('no such row');
      },
      'interval',
      { id: 'bad', seconds: 20, startDate: new Date(T0 + 20 * SECOND) },
    );
    await advanceTo(45 * SECOND);
    const fires = (await s.getFires({ limit: 100 })).fires;
    expect(fires).toHaveLength(6);
    expect(fires.filter((f) => f.jobId === 'bad').map((f) => f.state)).toEqual([
      'failed',
      'failed',
    ]);
    expect(fires.filter((f) => f.jobId === 'ok').map((f) => f.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    const failed = fires.find((f) => f.jobId === 'bad') as FireRecord;
    expect([failed.errorName, failed.errorMessage]).toEqual(['RangeError', 'no such row']);
    expect(failed.node).toBe(fires[0]?.node);

    const ran = await s.explain('ok', '2026-03-28 12:00:30');
    expect(ran.verdict).toBe('ran');
    const bad = await s.explain('bad', new Date(T0 + 40 * SECOND));
    expect(bad.verdict).toBe('failed');
    expect(bad.evidence.join(' ')).toContain('RangeError: no such row');
    const offSlot = await s.explain('ok', new Date(T0 + 35 * SECOND));
    expect(offSlot.verdict).toBe('not_a_slot');
    const ahead = await s.explain('ok', new Date(T0 + 10 * MINUTE));
    expect(ahead.verdict).toBe('unknown');
    expect(ahead.evidence.at(-1)).toContain('still to come');
  });

  it('records a run time later than its misfire grace time as missed', async () => {
    const s = scheduler();
    await s.start();
    // The job blocks the event loop past the next run time's grace: that run is missed.
    let first = true;
    await s.addJob(
      () => {
        if (!first) return;
        first = false;
        vi.setSystemTime(Date.now() + 15 * SECOND);
      },
      'interval',
      {
        id: 'slow',
        seconds: 10,
        startDate: new Date(T0 + 10 * SECOND),
        misfireGraceTime: 1,
        coalesce: false,
      },
    );
    await advanceTo(10 * SECOND);
    await advanceTo(40 * SECOND);
    const fires = (await s.getFires({ jobId: 'slow', limit: 100 })).fires;
    expect(fires.map((f) => f.state)).toContain('missed');
    const missed = fires.find((f) => f.state === 'missed') as FireRecord;
    const answer = await s.explain('slow', missed.scheduledTime);
    expect(answer.verdict).toBe('missed');
  });

  it('records one coalesced row for the run times a paused scheduler folded into one run', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(() => {}, 'interval', {
      id: 'minutely',
      minutes: 1,
      startDate: new Date(T0 + MINUTE),
      coalesce: true,
      misfireGraceTime: null,
    });
    await advanceTo(30 * SECOND);
    s.pause();
    await advanceTo(5 * MINUTE + 30 * SECOND);
    s.resume();
    await vi.advanceTimersByTimeAsync(0);
    const fires = (await s.getFires({ jobId: 'minutely', limit: 100 })).fires;
    expect(statesOf(fires)).toEqual(['12:05:00 succeeded', '12:01:00 coalesced']);
    expect(fires[1]?.detail).toBe('4 fire times folded into the run at 2026-03-28T12:05:00.000Z');
    expect(readFolded(fires[1] as FireRecord)).toEqual({
      count: 4,
      complete: true,
      from: T0 + MINUTE,
      into: T0 + 5 * MINUTE,
    });
    const folded = await s.explain('minutely', '2026-03-28 12:03');
    expect(folded.verdict).toBe('coalesced');
    expect(folded.evidence.at(-1)).toContain(
      'one of 4 fire times due while the job could not run (from 2026-03-28 12:01:00+00:00), coalesced into one run at 2026-03-28 12:05:00+00:00',
    );
  });

  it('records the runs refused for maxInstances as skipped', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(() => sleep(25 * SECOND), 'interval', {
      id: 'long',
      seconds: 10,
      startDate: new Date(T0 + 10 * SECOND),
      maxInstances: 1,
    });
    await advanceTo(25 * SECOND);
    const fires = (await s.getFires({ jobId: 'long', limit: 10 })).fires;
    expect(statesOf(fires)).toEqual(['12:00:20 skipped_max_instances', '12:00:10 running']);
    const skipped = await s.explain('long', '2026-03-28 12:00:20');
    expect(skipped.verdict).toBe('skipped_max_instances');
    const running = await s.explain('long', '2026-03-28 12:00:10');
    expect(running.verdict).toBe('running');
  });

  it('answers for a wall time a DST gap skipped with the shifted run', async () => {
    // Europe/Berlin springs forward on 2026-03-29: 02:30 does not exist; the job runs at 03:30 CEST.
    const s = scheduler();
    await s.start();
    await s.addJob(() => {}, 'cron', {
      id: 'nightly',
      hour: 2,
      minute: 30,
      timezone: 'Europe/Berlin',
    });
    await vi.advanceTimersByTimeAsync(Date.parse('2026-03-29T02:00:00Z') - Date.now());
    const answer = await s.explain('nightly', '2026-03-29 02:30');
    expect(answer.verdict).toBe('ran');
    expect(answer.slot).toEqual(new Date('2026-03-29T01:30:00Z'));
    expect(answer.evidence.join(' ')).toContain(
      '02:30 does not exist in Europe/Berlin on 2026-03-29',
    );
  });

  it('says no scheduler was processing jobs at a fire time that left no record', async () => {
    const store = new MemoryJobStore();
    const first = new AsyncScheduler({
      logger: silentLogger,
      timezone: 'UTC',
      jobstores: { default: store },
    });
    live.push(first);
    await first.start();
    await first.addJob(() => {}, 'interval', {
      id: 'minutely',
      minutes: 1,
      startDate: new Date(T0 + MINUTE),
      misfireGraceTime: 30,
    });
    await advanceTo(90 * SECOND);
    // Processing paused from 12:01:30 to 12:10; at 12:05 an operator reschedules the job to
    // the hour, so no pass ever plans 12:02 to 12:04.
    first.pause();
    await advanceTo(5 * MINUTE);
    await first.rescheduleJob('minutely', 'interval', {
      hours: 1,
      startDate: new Date(T0 + 60 * MINUTE),
    });
    await advanceTo(10 * MINUTE);
    first.resume();
    const answer = await first.explain('minutely', '2026-03-28 12:03');
    expect(answer.verdict, answer.evidence.join('\n')).toBe('no_node_alive');
    expect(answer.evidence.join(' ')).toContain('No scheduler was checked in with the store');
    expect((await first.explain('minutely', '2026-03-28 12:01')).verdict).toBe('ran');
  });

  it('keeps the newest fires only, and says a record may be gone', async () => {
    const s = scheduler(5);
    await s.start();
    await s.addJob(() => {}, 'interval', {
      id: 'tick',
      seconds: 1,
      startDate: new Date(T0 + SECOND),
    });
    await advanceTo(20 * SECOND);
    const fires = (await s.getFires({ limit: 100 })).fires;
    expect(fires).toHaveLength(5);
    expect(fires[0]?.scheduledTime).toBe(T0 + 20 * SECOND);
    const gone = await s.explain('tick', new Date(T0 + 3 * SECOND));
    expect(gone.verdict).toBe('unknown');
    expect(gone.evidence.join(' ')).toContain('it keeps the newest 5 fires of every job together');
    // Paging over the ring: no fire twice.
    const first = await s.getFires({ limit: 2 });
    const second = await s.getFires({ limit: 2, cursor: first.cursor });
    const third = await s.getFires({ limit: 2, cursor: second.cursor });
    expect([...first.fires, ...second.fires, ...third.fires].map((f) => f.fireId)).toEqual(
      fires.map((f) => f.fireId),
    );
    expect(third.cursor).toBeNull();
  });
});
