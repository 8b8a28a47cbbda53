/**
 * Main side only: what a pool executor reports when its workers cannot start
 * (see pool-recovery.ts for how that is detected).
 */
import { isRunFailure, WorkerStartError } from './envelope.ts';
import { failureError } from './error-classes.ts';
import type { RunsInFlight } from './runs-in-flight.ts';

/** The pool's error in a sentence, for a {@link WorkerStartError}'s message. */
function startFailureDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Gives every run still waiting in a pool whose workers could not start the
 * {@link WorkerStartError} it fails with once the pool is torn down.
 */
export function failWaitingRuns<Stop>(runs: RunsInFlight<Stop>, error: unknown): void {
  const detail = startFailureDetail(error);
  const options = { cause: error };
  runs.failAll(
    (flight) =>
      new WorkerStartError(detail, { jobId: flight.job.id, funcRef: flight.funcRef }, options),
  );
}

/**
 * What warming the workers up at `start()` failed with: the workers could not
 * start (`startFailure`, when the pool was replaced for it), a preloaded
 * module failed in the worker, or the pool's own error.
 */
export function warmUpFailure(error: unknown, startFailure: unknown): unknown {
  if (startFailure !== undefined) {
    return new WorkerStartError(startFailureDetail(startFailure), null, { cause: startFailure });
  }
  if (isRunFailure(error)) return failureError(error.horariumFailure, '(warm-up)', '(warm-up)');
  return error;
}
