/**
 * Helpers for the scheduler API tests (api, bad-input, types): event
 * recording, output capture, and an untyped view of the scheduler for calls a
 * JavaScript caller could make but the TypeScript signatures forbid.
 */
import { type BaseScheduler, EVENT_ALL, type Job, type SchedulerEvent } from '../../src/index.ts';

/** Records every event matching `mask` (default: all) in order. */
export function recordEvents(scheduler: BaseScheduler, mask: number = EVENT_ALL): SchedulerEvent[] {
  const events: SchedulerEvent[] = [];
  scheduler.addListener((event) => {
    events.push(event);
  }, mask);
  return events;
}

/** The codes of the recorded events. */
export function codes(events: readonly SchedulerEvent[]): number[] {
  return events.map((e) => e.code);
}

/** A writable that collects what `printJobs` writes. */
export function captureOutput(): { out: { write(text: string): boolean }; text(): string } {
  let buffer = '';
  return {
    out: {
      write(text: string): boolean {
        buffer += text;
        return true;
      },
    },
    text: () => buffer,
  };
}

/** The scheduler's job API without compile-time checks, as plain JavaScript would call it. */
export interface UntypedScheduler {
  addJob(func: unknown, trigger?: unknown, options?: unknown): Promise<Job>;
  modifyJob(id: string, changes: unknown, jobstore?: string): Promise<Job>;
  rescheduleJob(
    id: string,
    trigger: unknown,
    triggerArgs?: unknown,
    jobstore?: string,
  ): Promise<Job>;
  scheduledJob(trigger?: unknown, options?: unknown): (func: unknown) => unknown;
}

export function untyped(scheduler: BaseScheduler): UntypedScheduler {
  return scheduler as unknown as UntypedScheduler;
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The error a function throws synchronously (fails when it returns). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected an error, but none was thrown');
}
