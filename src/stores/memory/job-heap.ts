/**
 * `JobHeap`: the memory store's index of scheduled jobs — an indexed binary
 * min-heap ordered by (next run time, id).
 *
 * Layout, chosen for a million jobs: two parallel arrays in heap order (the
 * jobs, and their run times as epoch milliseconds in a plain number array,
 * which V8 keeps as unboxed doubles) plus one `Map` from job id to heap
 * position. There is no per-job entry object: a job costs one map entry and
 * two array slots. The position map is what makes removing or re-positioning
 * an arbitrary job O(log n): every move inside the heap records the job's new
 * position.
 */
import type { Job } from '../../jobs/job.ts';

/**
 * Heap positions of every entry whose run time is ≤ `now`, in no particular
 * order. Walks down from the root and never descends below an entry that is
 * not due (its whole subtree is later), so it reads at most 2k + 1 run times
 * for k due entries, however large the heap.
 *
 * @param times run times in heap order (a min-heap: `times[i] ≤ times[2i+1], times[2i+2]`)
 */
export function duePositions(times: ArrayLike<number>, size: number, now: number): number[] {
  const due: number[] = [];
  if (size === 0 || times[0]! > now) return due;
  const pending = [0];
  while (pending.length > 0) {
    const position = pending.pop()!;
    due.push(position);
    const left = 2 * position + 1;
    if (left < size && times[left]! <= now) pending.push(left);
    if (left + 1 < size && times[left + 1]! <= now) pending.push(left + 1);
  }
  return due;
}

/** Orders job ids by UTF-16 code units, as the stores' `ORDER BY id` with a binary collation does. */
export function compareIds(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Does the entry (timeA, idA) come before (timeB, idB)? */
function precedes(timeA: number, idA: string, timeB: number, idB: string): boolean {
  return timeA < timeB || (timeA === timeB && idA < idB);
}

export class JobHeap {
  /** Jobs in heap order. */
  readonly #jobs: Job[] = [];
  /** `#times[i]` is the run time (epoch ms) `#jobs[i]` is ordered by, cached so that sifting never calls `getTime()`. */
  readonly #times: number[] = [];
  /** Job id → current index in `#jobs` / `#times`. */
  readonly #positions = new Map<string, number>();

  get size(): number {
    return this.#jobs.length;
  }

  /** The heap position of the job with this id, or undefined when it is not in the heap. */
  positionOf(id: string): number | undefined {
    return this.#positions.get(id);
  }

  /** The job at a heap position (0 is the earliest). */
  jobAt(position: number): Job {
    return this.#jobs[position]!;
  }

  /** The run time (epoch ms) of the job at a heap position. */
  timeAt(position: number): number {
    return this.#times[position]!;
  }

  /** Adds a job whose id is not in the heap yet. O(log n). */
  push(job: Job, time: number): void {
    this.#jobs.push(job);
    this.#times.push(time);
    this.#siftUp(this.#jobs.length - 1, job, time);
  }

  /** Puts `job` (same id as the job at `position`) with a new run time in place of the old one. O(log n). */
  replaceAt(position: number, job: Job, time: number): void {
    this.#settle(position, job, time);
  }

  /** Removes and returns the job at a heap position. O(log n). */
  removeAt(position: number): Job {
    const removed = this.#jobs[position]!;
    this.#positions.delete(removed.id);
    const last = this.#jobs.pop()!;
    const lastTime = this.#times.pop()!;
    if (position < this.#jobs.length) this.#settle(position, last, lastTime);
    return removed;
  }

  clear(): void {
    this.#jobs.length = 0;
    this.#times.length = 0;
    this.#positions.clear();
  }

  /** Jobs due at `now` (epoch ms), ascending by (run time, id). O(k log k) for k due jobs. */
  dueJobs(now: number): Job[] {
    return this.#jobsInOrder(duePositions(this.#times, this.#jobs.length, now));
  }

  /** Every job, ascending by (run time, id). O(n log n). */
  sortedJobs(): Job[] {
    return this.#jobsInOrder(Array.from(this.#jobs, (_job, position) => position));
  }

  #jobsInOrder(positions: number[]): Job[] {
    const jobs = this.#jobs;
    const times = this.#times;
    positions.sort((a, b) => times[a]! - times[b]! || compareIds(jobs[a]!.id, jobs[b]!.id));
    return positions.map((position) => jobs[position]!);
  }

  /** Writes (job, time) into the hole at `position`, moving it up or down to where it belongs. */
  #settle(position: number, job: Job, time: number): void {
    const parent = (position - 1) >> 1;
    if (position > 0 && precedes(time, job.id, this.#times[parent]!, this.#jobs[parent]!.id)) {
      this.#siftUp(position, job, time);
    } else {
      this.#siftDown(position, job, time);
    }
  }

  /** Moves (job, time) from the hole at `position` towards the root; each parent passed over moves down a level. */
  #siftUp(position: number, job: Job, time: number): void {
    let hole = position;
    while (hole > 0) {
      const parent = (hole - 1) >> 1;
      if (!precedes(time, job.id, this.#times[parent]!, this.#jobs[parent]!.id)) break;
      this.#moveTo(hole, parent);
      hole = parent;
    }
    this.#place(hole, job, time);
  }

  /** Moves (job, time) from the hole at `position` towards the leaves; each smaller child passed over moves up a level. */
  #siftDown(position: number, job: Job, time: number): void {
    const jobs = this.#jobs;
    const times = this.#times;
    const size = jobs.length;
    let hole = position;
    for (;;) {
      let child = 2 * hole + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size &&
        precedes(times[right]!, jobs[right]!.id, times[child]!, jobs[child]!.id)
      ) {
        child = right;
      }
      if (!precedes(times[child]!, jobs[child]!.id, time, job.id)) break;
      this.#moveTo(hole, child);
      hole = child;
    }
    this.#place(hole, job, time);
  }

  #moveTo(target: number, source: number): void {
    const job = this.#jobs[source]!;
    this.#place(target, job, this.#times[source]!);
  }

  #place(position: number, job: Job, time: number): void {
    this.#jobs[position] = job;
    this.#times[position] = time;
    this.#positions.set(job.id, position);
  }
}
