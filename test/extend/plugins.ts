/**
 * A job store, an executor and a trigger type written the way a third party
 * writes them: against `horarium` and `horarium/extend` only. This file
 * imports nothing else (test/extend/third-party.test.ts checks it), so the
 * two entry points are shown to be enough for each kind of extension; the same
 * test runs the store and executor contract suites against them.
 */

import {
  BaseExecutor,
  ConflictingIdError,
  checkOptionNames,
  coerceNumber,
  JobLookupError,
  type JobRun,
  type JobStore,
  type PluginContext,
  registerExecutorType,
  registerJobStoreType,
  registerTrigger,
  runAsCurrentJob,
  type StoreContext,
  serializeJob,
} from '../../src/extend.ts';
import {
  DeserializationError,
  InvalidTriggerError,
  type Job,
  type Trigger,
  type TriggerJSON,
} from '../../src/index.ts';

// ------------------------------------------------------------------ a job store

/** One stored job, as a database row holds it: its state as JSON text and its next run time. */
interface Row {
  readonly text: string;
  /** Epoch ms; null when paused. */
  readonly time: number | null;
}

/** The databases of `TextJobStore`, by name: a store started again on one finds its jobs. */
const databases = new Map<string, Map<string, Row>>();

/**
 * Keeps every job as its job state text, as a database-backed store does, and
 * restores jobs from that text through the scheduler (`context.restoreJob`).
 */
export class TextJobStore implements JobStore {
  readonly #rows: Map<string, Row>;
  #context: StoreContext | undefined;
  /** Ids whose stored state cannot be restored: reported, skipped, never deleted. */
  readonly #broken = new Set<string>();

  constructor(database: string) {
    let rows = databases.get(database);
    if (rows === undefined) {
      rows = new Map();
      databases.set(database, rows);
    }
    this.#rows = rows;
  }

  /** Writes a row as it is, for tests that need a stored job the store cannot restore. */
  static corrupt(database: string, id: string, text: string, time: number | null): void {
    databases.get(database)?.set(id, { text, time });
  }

  async start(context: StoreContext): Promise<void> {
    this.#context = context;
  }

  async shutdown(): Promise<void> {
    this.#context = undefined;
  }

  async lookupJob(id: string): Promise<Job | null> {
    const row = this.#rows.get(id);
    return row === undefined ? null : this.#restore(id, row);
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    return this.#restoreAll(
      this.#sorted().filter(([, row]) => row.time !== null && row.time <= now.getTime()),
    );
  }

  async getNextRunTime(): Promise<Date | null> {
    for (const [id, row] of this.#sorted()) {
      if (row.time !== null && !this.#broken.has(id)) return new Date(row.time);
    }
    return null;
  }

  async getAllJobs(): Promise<Job[]> {
    return this.#restoreAll(this.#sorted());
  }

  async addJob(job: Job): Promise<void> {
    if (this.#rows.has(job.id)) throw new ConflictingIdError(job.id);
    this.#rows.set(job.id, rowOf(job));
  }

  async updateJob(job: Job): Promise<void> {
    if (!this.#rows.has(job.id)) throw new JobLookupError(job.id);
    this.#rows.set(job.id, rowOf(job));
    this.#broken.delete(job.id);
  }

  async removeJob(id: string): Promise<void> {
    if (!this.#rows.delete(id)) throw new JobLookupError(id);
    this.#broken.delete(id);
  }

  async removeAllJobs(): Promise<void> {
    this.#rows.clear();
    this.#broken.clear();
  }

  /** Rows in the contract's order: by time then id (code units), paused jobs last. */
  #sorted(): [string, Row][] {
    return [...this.#rows].sort(([idA, a], [idB, b]) => {
      if (a.time !== b.time) {
        if (a.time === null) return 1;
        if (b.time === null) return -1;
        return a.time - b.time;
      }
      return idA < idB ? -1 : idA > idB ? 1 : 0;
    });
  }

  async #restoreAll(rows: readonly [string, Row][]): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const [id, row] of rows) {
      const job = await this.#restore(id, row);
      if (job !== null) jobs.push(job);
    }
    return jobs;
  }

  async #restore(id: string, row: Row): Promise<Job | null> {
    const context = this.#context;
    if (context === undefined) throw new Error('TextJobStore is not started');
    try {
      let document: unknown;
      try {
        document = JSON.parse(row.text);
      } catch (error) {
        throw new DeserializationError(
          `job '${id}' cannot be restored: its stored state is not JSON`,
          { jobId: id },
          { cause: error },
        );
      }
      const job = await context.restoreJob(document);
      this.#broken.delete(id);
      return job;
    } catch (error) {
      this.#broken.add(id);
      context.restoreFailed({
        jobId: id,
        nextRunTime: row.time === null ? null : new Date(row.time),
        error,
      });
      return null;
    }
  }
}

function rowOf(job: Job): Row {
  const time = job.nextRunTimeMs;
  return { text: serializeJob(job), time: Number.isNaN(time) ? null : time };
}

registerJobStoreType('text', (options: Record<string, unknown>, { key }: PluginContext) => {
  checkOptionNames(key, options, ['database'], 'text job store option');
  const database = options.database ?? 'default';
  if (typeof database !== 'string') throw new TypeError(`${key}.database must be a string`);
  return new TextJobStore(database);
});

// ------------------------------------------------------------------ an executor

/** A run that took longer than `slowAfter` seconds. */
export interface SlowRun {
  readonly jobId: string;
  readonly seconds: number;
}

/**
 * Runs jobs in the event loop, as the built-in `async` executor does, and
 * reports the runs slower than `slowAfter` seconds to `onSlowRun`.
 */
export class TimingExecutor extends BaseExecutor {
  readonly #slowAfterMs: number;
  readonly #onSlowRun: (run: SlowRun) => void;

  constructor(slowAfter: number, onSlowRun: (run: SlowRun) => void = () => {}) {
    super();
    this.#slowAfterMs = slowAfter * 1000;
    this.#onSlowRun = onSlowRun;
  }

  protected runOnce(job: Job, run: JobRun): unknown {
    const started = performance.now();
    const report = (): void => {
      const elapsed = performance.now() - started;
      if (elapsed > this.#slowAfterMs) this.#onSlowRun({ jobId: job.id, seconds: elapsed / 1000 });
    };
    const result = runAsCurrentJob(run, () => job.func(...job.args));
    if (result instanceof Promise) return result.finally(report);
    report();
    return result;
  }
}

/** Where the `timing` executors made from configuration report slow runs. */
export const slowRuns: SlowRun[] = [];

registerExecutorType('timing', (options: Record<string, unknown>, { key }: PluginContext) => {
  checkOptionNames(key, options, ['slowAfter'], 'timing executor option');
  const slowAfter = coerceNumber(`${key}.slowAfter`, options.slowAfter ?? 1, { min: 0 });
  return new TimingExecutor(slowAfter, (run) => slowRuns.push(run));
});

// ------------------------------------------------------------------ a trigger

/** Fires at each of a list of instants, e.g. a schedule read from a file. */
export class TimesTrigger implements Trigger {
  /** Epoch ms, ascending, without repeats. */
  readonly #times: readonly number[];

  constructor(times: readonly (Date | string)[]) {
    const parsed = times.map((time) => new Date(time).getTime());
    const bad = parsed.findIndex((time) => Number.isNaN(time));
    if (bad >= 0)
      throw new InvalidTriggerError('times', `times[${bad}] is not a date: ${String(times[bad])}`);
    this.#times = [...new Set(parsed)].sort((a, b) => a - b);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const next = this.#times.find((time) =>
      previousFireTime === null ? time >= now.getTime() : time > previousFireTime.getTime(),
    );
    return next === undefined ? null : new Date(next);
  }

  toJSON(): TriggerJSON {
    return {
      type: 'times',
      version: 1,
      times: this.#times.map((time) => new Date(time).toISOString()),
    };
  }

  toString(): string {
    return `times[${this.#times.map((time) => new Date(time).toISOString()).join(', ')}]`;
  }
}

registerTrigger('times', (state) => {
  if (state.version !== 1 || !Array.isArray(state.times))
    throw new Error(`expected version 1 with a list of times, got ${JSON.stringify(state)}`);
  return new TimesTrigger(state.times as string[]);
});
