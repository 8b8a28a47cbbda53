/**
 * `EventsByCode`, from which `addListener` types a listener's event, must name
 * the class each code is really dispatched with. DISPATCHED_AS mirrors it (the
 * compiler checks the mirror against the type), and the test reads every place
 * in src/ that builds an event and checks the class built with each code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as events from '../../src/events.ts';
import {
  EVENT_ALL_JOBS_REMOVED,
  EVENT_EXECUTOR_ADDED,
  EVENT_EXECUTOR_REMOVED,
  EVENT_JOB_ABANDONED,
  EVENT_JOB_ADDED,
  EVENT_JOB_CATCH_UP,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXCLUDED,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_LEASE_LOST,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOB_RETRY,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ADDED,
  EVENT_JOBSTORE_ERROR,
  EVENT_JOBSTORE_REMOVED,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  type EventsByCode,
  JobAbandonedEvent,
  JobCatchUpEvent,
  JobEvent,
  JobExcludedEvent,
  JobExecutionEvent,
  JobRestoreFailedEvent,
  JobRetryEvent,
  JobStoreErrorEvent,
  JobSubmissionEvent,
  SchedulerEvent,
} from '../../src/events.ts';

const DISPATCHED_AS = {
  [EVENT_SCHEDULER_STARTED]: SchedulerEvent,
  [EVENT_SCHEDULER_SHUTDOWN]: SchedulerEvent,
  [EVENT_SCHEDULER_PAUSED]: SchedulerEvent,
  [EVENT_SCHEDULER_RESUMED]: SchedulerEvent,
  [EVENT_EXECUTOR_ADDED]: SchedulerEvent,
  [EVENT_EXECUTOR_REMOVED]: SchedulerEvent,
  [EVENT_JOBSTORE_ADDED]: SchedulerEvent,
  [EVENT_JOBSTORE_REMOVED]: SchedulerEvent,
  [EVENT_ALL_JOBS_REMOVED]: SchedulerEvent,
  [EVENT_JOB_ADDED]: JobEvent,
  [EVENT_JOB_REMOVED]: JobEvent,
  [EVENT_JOB_MODIFIED]: JobEvent,
  [EVENT_JOB_EXECUTED]: JobExecutionEvent,
  [EVENT_JOB_ERROR]: JobExecutionEvent,
  [EVENT_JOB_MISSED]: JobExecutionEvent,
  [EVENT_JOB_SUBMITTED]: JobSubmissionEvent,
  [EVENT_JOB_MAX_INSTANCES]: JobSubmissionEvent,
  [EVENT_JOBSTORE_ERROR]: JobStoreErrorEvent,
  [EVENT_JOB_RESTORE_FAILED]: JobRestoreFailedEvent,
  [EVENT_JOB_ABANDONED]: JobAbandonedEvent,
  [EVENT_JOB_LEASE_LOST]: JobExecutionEvent,
  [EVENT_JOB_CATCH_UP]: JobCatchUpEvent,
  [EVENT_JOB_EXCLUDED]: JobExcludedEvent,
  [EVENT_JOB_RETRY]: JobRetryEvent,
};

type Instances<T> = {
  [K in keyof T]: T[K] extends abstract new (...args: never[]) => infer I ? I : never;
};

/** The classes whose constructor sets the code itself. */
const FIXED_CODE: ReadonlyMap<string, number> = new Map([
  [
    JobAbandonedEvent.name,
    new JobAbandonedEvent('job', 'default', {
      scheduledRunTime: new Date(0),
      fireId: 'f',
      node: null,
      recovered: false,
    }).code,
  ],
  [
    JobRetryEvent.name,
    new JobRetryEvent('job', 'default', {
      scheduledRunTime: new Date(0),
      fireId: 'f',
      attempt: 2,
      retryAt: new Date(1000),
      exception: null,
    }).code,
  ],
  [JobStoreErrorEvent.name, new JobStoreErrorEvent('default', 'getDueJobs', null).code],
  [JobRestoreFailedEvent.name, new JobRestoreFailedEvent('job', 'default', null).code],
  [
    JobCatchUpEvent.name,
    new JobCatchUpEvent('job', 'default', {
      missedRunTimes: 0,
      countComplete: true,
      since: new Date(0),
      latest: new Date(0),
      runs: 0,
    }).code,
  ],
  [
    JobExcludedEvent.name,
    new JobExcludedEvent('job', 'default', {
      calendar: 'c',
      excludedRunTimes: 1,
      countComplete: true,
      first: new Date(0),
      last: new Date(0),
      reason: null,
    }).code,
  ],
]);

const src = resolve(import.meta.dirname, '../../src');

/** Every `new XEvent(…)` in src/ outside events.ts: where, the class, and the code constant passed (if any). */
function constructions(): { where: string; className: string; constant: string | null }[] {
  const found: { where: string; className: string; constant: string | null }[] = [];
  for (const entry of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts') || entry === 'events.ts') continue;
    const text = readFileSync(join(src, entry), 'utf8');
    for (const match of text.matchAll(/\bnew (\w+Event)\(\s*(EVENT_\w+)?/g)) {
      const line = text.slice(0, match.index).split('\n').length;
      found.push({
        where: `${relative(src, join(src, entry))}:${line}`,
        className: match[1] ?? '',
        constant: match[2] ?? null,
      });
    }
  }
  return found;
}

describe('the event class of each code', () => {
  it('the mirror is exactly EventsByCode', () => {
    expectTypeOf<Instances<typeof DISPATCHED_AS>>().toEqualTypeOf<EventsByCode>();
    expect(Object.keys(DISPATCHED_AS)).toHaveLength(24);
  });

  it('every event built in src/ has the class EventsByCode gives its code, and every code is built somewhere', () => {
    const seen = new Set<number>();
    const wrong: string[] = [];
    for (const { where, className, constant } of constructions()) {
      const code =
        constant === null
          ? FIXED_CODE.get(className)
          : (events as Record<string, unknown>)[constant];
      if (typeof code !== 'number') {
        wrong.push(`${where}: new ${className}(…) with no EVENT_ constant as its code`);
        continue;
      }
      seen.add(code);
      const expected = DISPATCHED_AS[code as keyof typeof DISPATCHED_AS];
      if (expected?.name !== className) {
        wrong.push(
          `${where}: ${constant ?? className} built as ${className}, typed as ${expected?.name}`,
        );
      }
    }
    expect(wrong).toEqual([]);
    expect([...seen].sort((a, b) => a - b)).toEqual(Object.keys(DISPATCHED_AS).map(Number));
  });
});
