/**
 * One scenario for the observability tests, run on a real scheduler: jobs
 * that succeed, fail, time out, miss their misfire grace time, coalesce a
 * catch-up, and are refused at `maxInstances`. It waits for events, never for
 * a time, and says what each job should have produced.
 */
import {
  type BaseScheduler,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  IntervalTrigger,
  type SchedulerEvent,
} from '../../src/index.ts';
import { waitFor } from '../helpers/durability.ts';

/** What the scenario leads to, counted as the metrics should count it. */
export const EXPECTED = {
  /** Runs by outcome. */
  runs: { succeeded: 3, failed: 1, timed_out: 1 },
  /** Fires by disposition. */
  fires: { submitted: 6, missed: 1, coalesced: 1, skipped_max_instances: 1 },
  /** Slots the catch-up folded into its run. */
  coalescedSlots: 9,
  /** Ledger rows by state, on a store with a ledger. */
  ledger: {
    succeeded: 3,
    failed: 1,
    timed_out: 1,
    missed: 1,
    coalesced: 1,
    skipped_max_instances: 1,
  },
} as const;

export const JOB_IDS = ['ok', 'boom', 'hang', 'late', 'catchup', 'busy'] as const;

/** The tasks the scenario's jobs run; register them before the scheduler restores any job. */
export function registerScenarioTasks(scheduler: BaseScheduler, gate: Promise<void>): void {
  scheduler.registerTask('ok', () => 'done');
  scheduler.registerTask('boom', () => {
    throw new TypeError('boom');
  });
  // Ignores its signal: the executor gives up on it at the timeout.
  scheduler.registerTask('hang', () => new Promise<never>(() => {}));
  scheduler.registerTask('busy', () => gate);
}

/**
 * Runs the scenario on a started scheduler whose tasks are registered.
 * `whileBusy` runs while the `busy` job holds its only instance (after its
 * second fire was refused), before `release` lets it end.
 */
export async function runScenario(
  scheduler: BaseScheduler,
  release: () => void,
  whileBusy: () => Promise<void> = async () => {},
): Promise<void> {
  const seen: SchedulerEvent[] = [];
  const listener = (event: SchedulerEvent): void => {
    seen.push(event);
  };
  scheduler.addListener(
    listener,
    EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
  );
  const count = (code: number, jobId: string) =>
    seen.filter((event) => event.code === code && 'jobId' in event && event.jobId === jobId).length;
  const now = Date.now();
  await scheduler.addJob('ok', 'date', { id: 'ok', runDate: new Date(now) });
  await scheduler.addJob('boom', 'date', { id: 'boom', runDate: new Date(now) });
  await scheduler.addJob('hang', 'date', { id: 'hang', runDate: new Date(now), timeout: 0.1 });
  await scheduler.addJob('ok', 'date', {
    id: 'late',
    runDate: new Date(now - 5000),
    misfireGraceTime: 1,
  });
  // Ten slots, all past: one run at the last, the nine before it folded.
  const first = new Date(now - 20_000);
  await scheduler.addJob(
    'ok',
    new IntervalTrigger({
      seconds: 1,
      startDate: first,
      endDate: new Date(first.getTime() + 9000),
    }),
    {
      id: 'catchup',
      coalesce: true,
      nextRunTime: first,
    },
  );
  await scheduler.addJob('busy', 'interval', { id: 'busy', hours: 1, nextRunTime: new Date(now) });
  await waitFor(
    'the first five jobs to end',
    () =>
      count(EVENT_JOB_EXECUTED, 'ok') === 1 &&
      count(EVENT_JOB_ERROR, 'boom') === 1 &&
      count(EVENT_JOB_ERROR, 'hang') === 1 &&
      count(EVENT_JOB_MISSED, 'late') === 1 &&
      count(EVENT_JOB_EXECUTED, 'catchup') === 1,
    20_000,
    () => seen.map((event) => `${event.code} ${'jobId' in event ? event.jobId : ''}`).join(', '),
  );
  // `busy` runs until released; due again meanwhile, its second fire is refused.
  await scheduler.modifyJob('busy', { nextRunTime: new Date() });
  await waitFor(
    'the second fire of busy to be refused',
    () => count(EVENT_JOB_MAX_INSTANCES, 'busy') === 1,
    20_000,
  );
  await whileBusy();
  release();
  await waitFor('busy to end', () => count(EVENT_JOB_EXECUTED, 'busy') === 1, 20_000);
  await scheduler.removeJob('busy');
  scheduler.removeListener(listener);
}

/** A promise and the function that resolves it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
