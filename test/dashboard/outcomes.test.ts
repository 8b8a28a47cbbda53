/**
 * The overview chart's buckets: every fire state lands in the bucket that says
 * how it ended — a failed attempt waiting for its retry counts as a failure,
 * a fire queued for its turn as in progress, an excluded one as not run.
 */
import { expect, it } from 'vitest';
import { outcomes } from '../../src/dashboard/data.ts';
import type { DashboardSource } from '../../src/dashboard/source.ts';
import type { FireRecord, FireState } from '../../src/index.ts';

const NOW = Date.parse('2026-12-08T12:30:00Z');

function fire(state: FireState, i: number): FireRecord {
  return {
    fireId: `f${i}`,
    jobId: 'j',
    scheduledTime: NOW - 60_000 * (i + 1),
    state,
    node: 'n',
    fence: i,
    batchId: null,
    leaseUntil: null,
    claimedAt: null,
    startedAt: null,
    finishedAt: null,
    recovering: false,
    attempt: 1,
    errorName: null,
    errorMessage: null,
    detail: null,
  };
}

it('counts retried as failed, queued as running, excluded as not run', async () => {
  const states: FireState[] = [
    'succeeded',
    'retried',
    'failed',
    'queued',
    'running',
    'excluded',
    'missed',
  ];
  const source = {
    fires: async () => ({ fires: states.map(fire), cursor: null }),
  } as unknown as DashboardSource;
  const { buckets, read } = await outcomes(source, 'default', NOW);
  expect(read).toBe(states.length);
  const hour = buckets.at(-1);
  expect(hour).toMatchObject({ succeeded: 1, failed: 2, running: 2, missed: 2 });
});
