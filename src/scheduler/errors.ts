import { HorariumError } from '../errors.ts';

/** `start()` or `configure()` on a scheduler that is not stopped. */
export class SchedulerAlreadyRunningError extends HorariumError {
  override name = 'SchedulerAlreadyRunningError';
  constructor() {
    super('Scheduler is already running');
  }
}

/** `shutdown()`, `pause()` or `resume()` on a stopped scheduler. */
export class SchedulerNotRunningError extends HorariumError {
  override name = 'SchedulerNotRunningError';
  constructor() {
    super('Scheduler is not running');
  }
}

/** A job store or executor alias that is not configured, or already taken. */
export class UnknownAliasError extends HorariumError {
  override name = 'UnknownAliasError';
  readonly kind: 'jobstore' | 'executor';
  readonly alias: string;
  constructor(kind: 'jobstore' | 'executor', alias: string, known: readonly string[]) {
    super(
      `No such ${kind === 'jobstore' ? 'job store' : 'executor'}: ${JSON.stringify(alias)} (configured: ${known.length === 0 ? 'none' : known.map((k) => JSON.stringify(k)).join(', ')})`,
    );
    this.kind = kind;
    this.alias = alias;
  }
}

/** `addExecutor` / `addJobstore` with an alias that is already in use. */
export class DuplicateAliasError extends HorariumError {
  override name = 'DuplicateAliasError';
  readonly kind: 'jobstore' | 'executor';
  readonly alias: string;
  constructor(kind: 'jobstore' | 'executor', alias: string) {
    super(
      `${kind === 'jobstore' ? 'A job store' : 'An executor'} with the alias ${JSON.stringify(alias)} already exists`,
    );
    this.kind = kind;
    this.alias = alias;
  }
}
