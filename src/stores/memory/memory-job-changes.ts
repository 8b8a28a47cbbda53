/**
 * The memory store's job change log (`../job-changes.ts`): the changes in the
 * order they were recorded, in one journal, with the process's clock.
 *
 * Cheap to record, since every added job records one change: the journal is
 * two columns (job id, trigger) in chunks of fixed size (no array grows and
 * is copied), and runs of changes made in the same millisecond with the same
 * kind and options (jobs added alike in a loop share one run): about 16
 * bytes a change. The trigger is kept as the job's
 * Trigger, whose JSON is made only if the change is read; a version is
 * counted when it is read. A read scans the journal (milliseconds for a
 * million changes): reads are rare (`explain`), records are not.
 *
 * Bounded: once the journal holds more than twice as many changes as the
 * store holds jobs (and at least {@link COMPACT_FLOOR}), it is compacted:
 * each job keeps its newest {@link KEEP_PER_JOB} changes, and of the jobs
 * that were removed only the {@link KEEP_REMOVED} removed last keep theirs
 * (an id used again after its history was dropped counts from version 1).
 */
import type { Trigger, TriggerJSON } from '../../triggers/trigger.ts';
import {
  changeLimit,
  checkJobChange,
  isChangeOfJob,
  type JobChange,
  type JobChangeKind,
  type JobChangeLog,
  type JobChangeQuery,
  type NewJobChange,
  triggerJsonOf,
  triggerSourceOf,
} from '../job-changes.ts';

/** The newest changes each job keeps. */
export const KEEP_PER_JOB = 100;
/** Removed jobs whose history is kept (the most recently removed). */
export const KEEP_REMOVED = 1000;
/** The journal is never compacted below this many changes. */
export const COMPACT_FLOOR = 10_000;

/** A change's kind and options: one object shared by consecutive changes that have the same. */
interface ChangeMeta {
  readonly kind: JobChangeKind;
  readonly misfireGraceTime: number | null;
  readonly coalesce: boolean;
  readonly maxInstances: number;
  readonly node: string | null;
}

type TriggerSource = Trigger | TriggerJSON | null;

/** Changes per chunk of the journal's columns (a power of two). */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const IN_CHUNK = CHUNK - 1;

export class MemoryJobChanges implements JobChangeLog {
  /** The journal's columns, in chunks of CHUNK: change i is at [i >> CHUNK_BITS][i & IN_CHUNK]. */
  #ids: string[][] = [];
  #triggers: TriggerSource[][] = [];
  #length = 0;
  /** Runs of consecutive changes with one time and one meta: where each starts in the journal. */
  #runStart: number[] = [];
  #runAt: number[] = [];
  #runMeta: ChangeMeta[] = [];
  /** Per job whose oldest changes were compacted away: how many (its versions go on from there). */
  readonly #dropped = new Map<string, number>();
  /** The journal's length at which compaction is considered next. */
  #checkAt = COMPACT_FLOOR;
  readonly #liveJobs: () => number;

  /** `liveJobs`: how many jobs the store holds now. */
  constructor(liveJobs: () => number) {
    this.#liveJobs = liveJobs;
  }

  recordJobChangeSync(change: NewJobChange): void {
    this.#push(change, this.#checked(change));
  }

  async recordJobChanges(changes: readonly NewJobChange[]): Promise<void> {
    const triggers = changes.map((change) => this.#checked(change));
    for (const [i, change] of changes.entries()) this.#push(change, triggers[i] as TriggerSource);
  }

  async getJobChanges(jobId: string, query?: JobChangeQuery): Promise<JobChange[]> {
    const limit = changeLimit(query);
    const found: JobChange[] = [];
    let version = this.#dropped.get(jobId) ?? 0;
    const starts = this.#runStart;
    let run = 0;
    for (let i = 0; i < this.#length; i++) {
      if (this.#idAt(i) !== jobId) continue;
      while (run + 1 < starts.length && (starts[run + 1] as number) <= i) run++;
      version++;
      const meta = this.#runMeta[run] as ChangeMeta;
      const trigger = triggerJsonOf(this.#triggerAt(i));
      found.push({
        jobId,
        version,
        kind: meta.kind,
        at: this.#runAt[run] as number,
        // A copy: what a caller does with it never changes the log.
        trigger: trigger === null ? null : structuredClone(trigger),
        misfireGraceTime: meta.misfireGraceTime,
        coalesce: meta.coalesce,
        maxInstances: meta.maxInstances,
        node: meta.node,
      });
    }
    return found.length > limit ? found.slice(found.length - limit) : found;
  }

  /** Forgets every change (the store was shut down: a memory store lives for one run). */
  clear(): void {
    this.#clearJournal();
    this.#dropped.clear();
    this.#checkAt = COMPACT_FLOOR;
  }

  /** The trigger to keep for a change, checked (a change made from a job is sound by construction). */
  #checked(change: NewJobChange): TriggerSource {
    if (isChangeOfJob(change)) return triggerSourceOf(change);
    checkJobChange(change);
    // A copy, so that the caller's later edits of its object do not rewrite history.
    return change.trigger === null ? null : structuredClone(change.trigger);
  }

  #push(change: NewJobChange, trigger: TriggerSource): void {
    const at = Date.now();
    const last = this.#runMeta.length - 1;
    const meta = this.#runMeta[last];
    if (last < 0 || this.#runAt[last] !== at || !sameMeta(meta as ChangeMeta, change))
      this.#startRun(this.#length, at, metaOf(change));
    this.#append(change.jobId, trigger);
    if (this.#length >= this.#checkAt) this.#maybeCompact();
  }

  #append(id: string, trigger: TriggerSource): void {
    const i = this.#length;
    if ((i & IN_CHUNK) === 0) {
      this.#ids.push(new Array<string>(CHUNK));
      this.#triggers.push(new Array<TriggerSource>(CHUNK));
    }
    (this.#ids[i >> CHUNK_BITS] as string[])[i & IN_CHUNK] = id;
    (this.#triggers[i >> CHUNK_BITS] as TriggerSource[])[i & IN_CHUNK] = trigger;
    this.#length = i + 1;
  }

  #idAt(i: number): string {
    return (this.#ids[i >> CHUNK_BITS] as string[])[i & IN_CHUNK] as string;
  }

  #triggerAt(i: number): TriggerSource {
    return (this.#triggers[i >> CHUNK_BITS] as TriggerSource[])[i & IN_CHUNK] as TriggerSource;
  }

  #startRun(start: number, at: number, meta: ChangeMeta): void {
    this.#runStart.push(start);
    this.#runAt.push(at);
    this.#runMeta.push(meta);
  }

  /**
   * Compacts when the journal holds more than twice the store's jobs;
   * otherwise looks again once it could (adding jobs one change each never
   * compacts, and costs one look per doubling).
   */
  #maybeCompact(): void {
    const bound = 2 * this.#liveJobs() + COMPACT_FLOOR;
    if (this.#length <= bound) {
      this.#checkAt = bound + 1;
      return;
    }
    this.#compact();
    this.#checkAt = Math.max(2 * this.#length, COMPACT_FLOOR);
  }

  #compact(): void {
    const length = this.#length;
    const ids: string[] = new Array<string>(length);
    const triggers: TriggerSource[] = new Array<TriggerSource>(length);
    for (let i = 0; i < length; i++) {
      ids[i] = this.#idAt(i);
      triggers[i] = this.#triggerAt(i);
    }
    const starts = this.#runStart;
    const ats = this.#runAt;
    const metas = this.#runMeta;
    const runOf: number[] = new Array<number>(ids.length);
    for (let run = 0, i = 0; i < ids.length; i++) {
      while (run + 1 < starts.length && (starts[run + 1] as number) <= i) run++;
      runOf[i] = run;
    }
    // Per job: how many changes, and where its last one removed it (if it did).
    const counts = new Map<string, number>();
    const removedAt = new Map<string, number>();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if ((metas[runOf[i] as number] as ChangeMeta).kind === 'removed') removedAt.set(id, i);
      else removedAt.delete(id);
    }
    let forgotten = new Set<string>();
    if (removedAt.size > KEEP_REMOVED) {
      const order = [...removedAt.entries()].sort((a, b) => a[1] - b[1]);
      forgotten = new Set(order.slice(0, order.length - KEEP_REMOVED).map(([id]) => id));
    }
    this.#clearJournal();
    const seen = new Map<string, number>();
    let lastRun = -1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      if (forgotten.has(id)) continue;
      const index = seen.get(id) ?? 0;
      seen.set(id, index + 1);
      if ((counts.get(id) as number) - index > KEEP_PER_JOB) {
        this.#dropped.set(id, (this.#dropped.get(id) ?? 0) + 1);
        continue;
      }
      const run = runOf[i] as number;
      if (run !== lastRun) {
        this.#startRun(this.#length, ats[run] as number, metas[run] as ChangeMeta);
        lastRun = run;
      }
      this.#append(id, triggers[i] as TriggerSource);
    }
    for (const id of forgotten) this.#dropped.delete(id);
  }

  /** Empties the journal's arrays (the versions dropped are kept). */
  #clearJournal(): void {
    this.#ids = [];
    this.#triggers = [];
    this.#length = 0;
    this.#runStart = [];
    this.#runAt = [];
    this.#runMeta = [];
  }
}

function sameMeta(meta: ChangeMeta, change: NewJobChange): boolean {
  return (
    meta.kind === change.kind &&
    meta.misfireGraceTime === change.misfireGraceTime &&
    meta.coalesce === change.coalesce &&
    meta.maxInstances === change.maxInstances &&
    meta.node === change.node
  );
}

function metaOf(change: NewJobChange): ChangeMeta {
  const { kind, misfireGraceTime, coalesce, maxInstances, node } = change;
  return { kind, misfireGraceTime, coalesce, maxInstances, node };
}
