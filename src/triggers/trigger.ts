/** The trigger contract: {@link Trigger}, and the types its implementations share. */

/** The JSON state of a trigger: `type` selects the restorer in the trigger registry. */
export interface TriggerJSON {
  /** The name the trigger type is registered under (`'cron'`, `'interval'`, …). */
  readonly type: string;
  /** The version of the state's layout: a restorer refuses a version it does not know. */
  readonly version: number;
  /** The trigger's own fields. */
  readonly [key: string]: unknown;
}

/**
 * The trigger contract. A trigger is pure scheduling logic: given the previous
 * fire time and the current time, it says when a job fires next. Triggers do
 * no I/O and read no clock (the caller passes `now`), so the same trigger
 * answers the same question the same way, and restoring its `toJSON()` gives
 * a trigger that answers as it did.
 *
 * The built-in triggers are `DateTrigger`, `IntervalTrigger`, `CronTrigger`,
 * `CalendarIntervalTrigger`, `AndTrigger` and `OrTrigger`. A trigger type of
 * your own implements this interface and registers a restorer for its
 * `toJSON().type` with `registerTrigger` (from `horarium/extend`), so that
 * persistent stores can restore it.
 *
 * @example
 * ```ts
 * const trigger: Trigger = new CronTrigger({ hour: 3, timezone: 'UTC' });
 * trigger.getNextFireTime(null, new Date('2025-01-01T12:00:00Z')); // 2025-01-02T03:00:00.000Z
 * String(trigger); // "cron[hour='3']"
 * ```
 */
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
  /**
   * A skipped time; the default is `'shift'` for fixed hours, `'skip'` for
   * wildcard hours (`*`, or a step of it).
   */
  gap?: 'shift' | 'skip';
  /** A repeated time; the default is `'first'` for fixed hours, `'both'` for wildcard hours. */
  fold?: 'first' | 'both';
}

/** Random delay source for jitter, returning a number in [0, 1). */
export type RandomSource = () => number;
