/**
 * The trigger contract. A trigger is pure scheduling logic: given the previous
 * fire time and the current time, it says when a job fires next. Triggers do no
 * I/O and read no clock; the caller passes `now`.
 */

/** The JSON state of a trigger: `type` selects the restorer in the trigger registry. */
export interface TriggerJSON {
  readonly type: string;
  readonly version: number;
  readonly [key: string]: unknown;
}

export interface Trigger {
  /**
   * The next fire time strictly after `previousFireTime` (when given) and not
   * before `now` on a first call (a whole second for cron and calendar-interval
   * triggers, a whole millisecond for the others); `null` when the trigger has
   * finished. Successive results along a chain strictly increase.
   */
  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null;
  /** Serializable state, restorable with {@link "horarium/extend"!triggerFromJSON}. */
  toJSON(): TriggerJSON;
  /** A short human-readable description, e.g. `cron[hour='3']`. */
  toString(): string;
  /**
   * A copy of this trigger bound to a job (hashed cron fields, `H`, take the
   * job id as their seed), or the trigger itself when nothing in it depends on
   * the job. The scheduler calls it when a job gets its trigger. Triggers
   * without job-dependent state need not implement it.
   */
  forJob?(jobId: string): Trigger;
}

/**
 * What a trigger does with wall-clock times that a DST switch skips (`gap`) or
 * repeats (`fold`).
 * - `gap: 'shift'` fires a skipped time later by the length of the gap (02:30 → 03:30);
 *   `'skip'` does not fire it.
 * - `fold: 'first'` fires a repeated time at its first occurrence only; `'both'` fires it twice.
 */
export interface DstPolicy {
  gap?: 'shift' | 'skip';
  fold?: 'first' | 'both';
}

/** Random delay source for jitter, returning a number in [0, 1). */
export type RandomSource = () => number;
