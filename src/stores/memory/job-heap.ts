/**
 * `JobHeap`: the memory store's index of scheduled jobs — an indexed 4-ary
 * min-heap by next run time.
 *
 * Layout, chosen for a million jobs: two parallel arrays in heap order (the
 * jobs, and their run times as epoch milliseconds in a plain number array,
 * which V8 keeps as unboxed doubles) plus one `Map` from job id to heap
 * position. There is no per-job entry object: a job costs one map entry and
 * two array slots. The position map is what makes removing or re-positioning
 * an arbitrary job O(log n): every move inside the heap records the job's new
 * position.
 *
 * The heap orders by run time alone: ties (every job of a burst) are ordered
 * by id only when jobs are listed, so sifting never compares strings and a job
 * never moves past another with the same time.
 *
 * A pass's due jobs get later run times (`replaceLazily`): each is written in
 * place and its order restored only when the heap is next read, all at once —
 * one O(n) rebuild when most jobs moved, in which jobs that keep their
 * relative order (every job of a burst given the same next run time) do not
 * move at all. Sifting each job down at once would move it past the other due
 * jobs, recording every move, for nothing.
 *
 * Four children per node rather than two: recording a move in the position map
 * costs far more than comparing run times, and a 4-ary heap is half as deep,
 * so a job sifted to the bottom (a due job given its next run time) moves half
 * as often for twice the comparisons.
 */
import type { Job } from '../../jobs/job.ts';

/** Children per heap node. */
export const HEAP_ARITY = 4;

/** The heap position of the parent of `position` (> 0). */
export function parentOf(position: number): number {
  return (position - 1) >> 2;
}

/**
 * Heap positions of every entry whose run time is ≤ `now`, in no particular
 * order. Walks down from the root and never descends below an entry that is
 * not due (its whole subtree is later), so it reads at most 4k + 1 run times
 * for k due entries, however large the heap.
 *
 * @param times run times in heap order (a min-heap: each ≤ those of its children)
 */
export function duePositions(times: ArrayLike<number>, size: number, now: number): number[] {
  const due: number[] = [];
  if (size === 0 || times[0]! > now) return due;
  const pending = [0];
  while (pending.length > 0) {
    const position = pending.pop()!;
    due.push(position);
    const first = HEAP_ARITY * position + 1;
    const end = Math.min(first + HEAP_ARITY, size);
    for (let child = first; child < end; child++) if (times[child]! <= now) pending.push(child);
  }
  return due;
}

/** Orders job ids by UTF-16 code units, as the stores' `ORDER BY id` with a binary collation does. */
export function compareIds(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export class JobHeap {
  /** Jobs in heap order. */
  readonly #jobs: Job[] = [];
  /** `#times[i]` is the run time (epoch ms) `#jobs[i]` is ordered by, cached so that sifting never calls `getTime()`. */
  readonly #times: number[] = [];
  /** Job id → current index in `#jobs` / `#times`. */
  readonly #positions = new Map<string, number>();
  /** Positions given a later run time in place (`replaceLazily`) whose heap order is not restored yet. */
  #pending: number[] = [];
  /**
   * Positions of the jobs the last `dueJobs` returned, in its order, and the
   * next one to try: a pass gives its due jobs their next run times in that
   * order, so `replaceLazily` finds them without a lookup by id.
   */
  #lastDue: number[] = [];
  #lastDueNext = 0;
  /**
   * The last group of jobs with equal run times that `dueJobs` sorted by id:
   * their positions in id order, and those ids. A burst of jobs given the same
   * next run time keeps its positions, so the next pass finds the same group
   * and takes this order instead of sorting again.
   */
  #tiePositions: number[] = [];
  #tieIds: string[] = [];

  get size(): number {
    return this.#jobs.length;
  }

  /** The heap position of the job with this id, or undefined when it is not in the heap. */
  positionOf(id: string): number | undefined {
    if (this.#pending.length > 0) this.#restore();
    return this.#positions.get(id);
  }

  /** The job at a heap position (0 is the earliest). */
  jobAt(position: number): Job {
    if (this.#pending.length > 0) this.#restore();
    return this.#jobs[position]!;
  }

  /** The run time (epoch ms) of the job at a heap position. */
  timeAt(position: number): number {
    if (this.#pending.length > 0) this.#restore();
    return this.#times[position]!;
  }

  /**
   * Puts `job` in place of the heap's job with the same id, at `time`; false
   * when there is none. A later run time is written in place and the heap
   * order restored when the heap is next read (see the class comment); an
   * earlier one is settled at once.
   */
  replaceLazily(job: Job, time: number): boolean {
    const jobs = this.#jobs;
    const due = this.#lastDue;
    let position: number | undefined;
    const guess = due[this.#lastDueNext];
    if (guess !== undefined && guess < jobs.length && jobs[guess]!.id === job.id) {
      position = guess;
      this.#lastDueNext++;
    } else {
      position = this.#positions.get(job.id);
      if (position === undefined) return false;
    }
    if (time >= this.#times[position]!) {
      jobs[position] = job;
      this.#times[position] = time;
      this.#pending.push(position);
    } else {
      if (this.#pending.length > 0) {
        this.#restore();
        position = this.#positions.get(job.id)!;
      }
      this.#settle(position, job, time, true);
    }
    return true;
  }

  /** Restores the heap order after `replaceLazily` wrote later run times in place. */
  #restore(): void {
    const pending = this.#pending;
    this.#pending = [];
    if (this.#rebuildIsCheaper(pending.length)) {
      this.#heapify();
      return;
    }
    // Only later run times are pending: sifting each down, deepest first, leaves a heap
    // (the subtrees below a position are heaps by the time it is sifted).
    const order = Int32Array.from(pending).sort();
    const jobs = this.#jobs;
    const times = this.#times;
    for (let i = order.length - 1; i >= 0; i--) {
      const position = order[i]!;
      if (i < order.length - 1 && order[i + 1] === position) continue;
      this.#siftDown(position, jobs[position]!, times[position]!, true);
    }
  }

  /** Adds a job whose id is not in the heap yet. O(log n). */
  push(job: Job, time: number): void {
    if (this.#pending.length > 0) this.#restore();
    this.#jobs.push(job);
    this.#times.push(time);
    this.#siftUp(this.#jobs.length - 1, job, time, false);
  }

  /** Puts `job` (same id as the job at `position`) with a new run time in place of the old one. O(log n). */
  replaceAt(position: number, job: Job, time: number): void {
    if (this.#pending.length > 0) this.#restore();
    this.#settle(position, job, time, true);
  }

  /**
   * Gives many jobs already in the heap a new run time: `jobs[i]` (with the id
   * of a job in the heap) takes the place of that job, at `times[i]`. When the
   * batch is large against the heap (a pass's due jobs), the heap is rebuilt
   * once in O(n) instead of settling each job in O(log n).
   */
  replaceMany(jobs: readonly Job[], times: readonly number[]): void {
    if (this.#pending.length > 0) this.#restore();
    if (!this.#rebuildIsCheaper(jobs.length)) {
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i]!;
        this.#settle(this.#positions.get(job.id)!, job, times[i]!, true);
      }
      return;
    }
    // Written in place, positions do not change; the rebuild then restores the order.
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const position = this.#positions.get(job.id)!;
      this.#jobs[position] = job;
      this.#times[position] = times[i]!;
    }
    this.#heapify();
  }

  /** Removes and returns the job at a heap position. O(log n). */
  removeAt(position: number): Job {
    if (this.#pending.length > 0) this.#restore();
    const removed = this.#jobs[position]!;
    this.#positions.delete(removed.id);
    const last = this.#jobs.pop()!;
    const lastTime = this.#times.pop()!;
    if (position < this.#jobs.length) this.#settle(position, last, lastTime, false);
    return removed;
  }

  /**
   * Removes the jobs with these ids and returns the ids that were not in the
   * heap. Like `replaceMany`, rebuilds the heap once when that is cheaper.
   */
  removeMany(ids: readonly string[]): string[] {
    if (this.#pending.length > 0) this.#restore();
    const absent: string[] = [];
    if (!this.#rebuildIsCheaper(ids.length)) {
      for (const id of ids) {
        const position = this.#positions.get(id);
        if (position === undefined) absent.push(id);
        else this.removeAt(position);
      }
      return absent;
    }
    const jobs = this.#jobs;
    const times = this.#times;
    const positions = this.#positions;
    const removed = new Uint8Array(jobs.length);
    for (const id of ids) {
      const position = positions.get(id);
      if (position === undefined) {
        absent.push(id);
        continue;
      }
      removed[position] = 1;
      positions.delete(id);
    }
    let kept = 0;
    for (let position = 0; position < jobs.length; position++) {
      if (removed[position] === 1) continue;
      if (kept !== position) {
        const job = jobs[position]!;
        jobs[kept] = job;
        times[kept] = times[position]!;
        positions.set(job.id, kept);
      }
      kept++;
    }
    jobs.length = kept;
    times.length = kept;
    this.#heapify();
    return absent;
  }

  clear(): void {
    this.#pending = [];
    this.#lastDue = [];
    this.#tiePositions = [];
    this.#tieIds = [];
    this.#jobs.length = 0;
    this.#times.length = 0;
    this.#positions.clear();
  }

  /** Jobs due at `now` (epoch ms), ascending by (run time, id). O(k log k) for k due jobs. */
  dueJobs(now: number): Job[] {
    if (this.#pending.length > 0) this.#restore();
    const positions = duePositions(this.#times, this.#jobs.length, now);
    const jobs = this.#jobsInOrder(positions);
    this.#lastDue = positions;
    this.#lastDueNext = 0;
    return jobs;
  }

  /** Every job, ascending by (run time, id). O(n log n). */
  sortedJobs(): Job[] {
    if (this.#pending.length > 0) this.#restore();
    return this.#jobsInOrder(Array.from(this.#jobs, (_job, position) => position));
  }

  /**
   * Sorts by run time with a numeric comparison, then each run of equal times
   * by id with the built-in string sort (UTF-16 code unit order, as
   * `compareIds`): jobs due together usually share one run time, and comparing
   * their ids one pair at a time in a JavaScript comparator was most of the
   * cost of a large due list. A group found as the last one sorted left it
   * (`#tiePositions`) is not sorted again. `positions` is rewritten in the
   * order of the result.
   */
  #jobsInOrder(positions: number[]): Job[] {
    const jobs = this.#jobs;
    const times = this.#times;
    positions.sort((a, b) => times[a]! - times[b]!);
    const ordered: Job[] = new Array(positions.length);
    for (let start = 0; start < positions.length; ) {
      const time = times[positions[start]!]!;
      let end = start + 1;
      while (end < positions.length && times[positions[end]!] === time) end++;
      if (end - start === 1) {
        ordered[start] = jobs[positions[start]!]!;
      } else if (!this.#sameTieGroup(start, end, time)) {
        const ids: string[] = [];
        for (let i = start; i < end; i++) ids.push(jobs[positions[i]!]!.id);
        ids.sort();
        const tiePositions: number[] = new Array(ids.length);
        for (let i = start; i < end; i++) {
          const position = this.#positions.get(ids[i - start]!)!;
          tiePositions[i - start] = position;
          positions[i] = position;
          ordered[i] = jobs[position]!;
        }
        this.#tiePositions = tiePositions;
        this.#tieIds = ids;
      } else {
        const tiePositions = this.#tiePositions;
        for (let i = start; i < end; i++) {
          const position = tiePositions[i - start]!;
          positions[i] = position;
          ordered[i] = jobs[position]!;
        }
      }
      start = end;
    }
    return ordered;
  }

  /**
   * Are the `end − start` due jobs with run time `time` the group sorted last,
   * where it left them? Its positions all hold that run time and the same ids
   * as then: being as many as the group, they are the group, in id order.
   */
  #sameTieGroup(start: number, end: number, time: number): boolean {
    const tiePositions = this.#tiePositions;
    if (tiePositions.length !== end - start) return false;
    const tieIds = this.#tieIds;
    const jobs = this.#jobs;
    const times = this.#times;
    const size = jobs.length;
    for (let i = 0; i < tiePositions.length; i++) {
      const position = tiePositions[i]!;
      if (position >= size || times[position] !== time || jobs[position]!.id !== tieIds[i]) {
        return false;
      }
    }
    return true;
  }

  /** Is rebuilding the heap (O(n)) cheaper than settling `count` jobs one by one (O(count · depth))? */
  #rebuildIsCheaper(count: number): boolean {
    const size = this.#jobs.length;
    const depth = Math.log2(size + 1) / 2 + 1;
    return count * depth > 2 * size;
  }

  /** Restores the heap order of the whole array bottom-up (Floyd), O(n). */
  #heapify(): void {
    const jobs = this.#jobs;
    const times = this.#times;
    for (let position = parentOf(jobs.length - 1); position >= 0; position--) {
      this.#siftDown(position, jobs[position]!, times[position]!, true);
    }
  }

  /**
   * Writes (job, time) into the hole at `position`, moving it up or down to where it belongs.
   * `indexed`: the position map already holds `position` for the job's id.
   */
  #settle(position: number, job: Job, time: number, indexed: boolean): void {
    const parent = parentOf(position);
    if (position > 0 && time < this.#times[parent]!) {
      this.#siftUp(position, job, time, indexed);
    } else {
      this.#siftDown(position, job, time, indexed);
    }
  }

  /** Moves (job, time) from the hole at `position` towards the root; each parent passed over moves down a level. */
  #siftUp(position: number, job: Job, time: number, indexed: boolean): void {
    const jobs = this.#jobs;
    const times = this.#times;
    let hole = position;
    while (hole > 0) {
      const parent = parentOf(hole);
      if (time >= times[parent]!) break;
      this.#place(hole, jobs[parent]!, times[parent]!);
      hole = parent;
    }
    this.#end(position, hole, job, time, indexed);
  }

  /** Moves (job, time) from the hole at `position` towards the leaves; the earliest child passed over moves up a level. */
  #siftDown(position: number, job: Job, time: number, indexed: boolean): void {
    const jobs = this.#jobs;
    const times = this.#times;
    const size = jobs.length;
    let hole = position;
    for (;;) {
      const first = HEAP_ARITY * hole + 1;
      if (first >= size) break;
      const end = Math.min(first + HEAP_ARITY, size);
      let child = first;
      for (let other = first + 1; other < end; other++) {
        if (times[other]! < times[child]!) child = other;
      }
      if (times[child]! >= time) break;
      this.#place(hole, jobs[child]!, times[child]!);
      hole = child;
    }
    this.#end(position, hole, job, time, indexed);
  }

  /** Puts a sifted job where it stopped; one that stayed where the map has it needs no map write. */
  #end(from: number, hole: number, job: Job, time: number, indexed: boolean): void {
    if (indexed && hole === from) {
      this.#jobs[hole] = job;
      this.#times[hole] = time;
    } else {
      this.#place(hole, job, time);
    }
  }

  #place(position: number, job: Job, time: number): void {
    this.#jobs[position] = job;
    this.#times[position] = time;
    this.#positions.set(job.id, position);
  }
}
