/** `AndTrigger` and `OrTrigger`: triggers made of other triggers. */
import { MS_PER_SECOND } from '../time/civil.ts';
import { applyJitterMs, checkTriggerOptions, parseJitter, requireTimeArgument } from './common.ts';
import { InvalidTriggerError, MaxIterationsError } from './errors.ts';
import { registerTrigger, triggerFromJSON } from './registry.ts';
import type { RandomSource, Trigger, TriggerJSON } from './trigger.ts';

export interface OrTriggerOptions {
  jitter?: number | null;
  random?: RandomSource;
}

export interface AndTriggerOptions extends OrTriggerOptions {
  /** How far apart (seconds) the sub-triggers' fire times may be and still count as one. Default 1. */
  threshold?: number;
  /** Search rounds before giving up with `MaxIterationsError`. Default 10,000. */
  maxIterations?: number;
}

/**
 * The first fire time of `trigger` at or after `from`. Sub-triggers are asked
 * as if freshly added at `from`, so each keeps its own grid (an interval is not
 * dragged along by another sub-trigger's fire times).
 */
function firstAtOrAfter(trigger: Trigger, from: number): number | null {
  const next = trigger.getNextFireTime(null, new Date(from));
  return next === null || next.getTime() < from ? null : next.getTime();
}

function checkTriggers(kind: string, triggers: unknown): Trigger[] {
  if (!Array.isArray(triggers) || triggers.length === 0) {
    throw new InvalidTriggerError('triggers', `${kind} needs a non-empty array of triggers`);
  }
  triggers.forEach((t, i) => {
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof (t as Trigger).getNextFireTime !== 'function'
    ) {
      throw new InvalidTriggerError(
        'triggers',
        `${kind}: triggers[${i}] is not a trigger (${String(t)})`,
      );
    }
  });
  return [...(triggers as Trigger[])];
}

/** The sub-triggers bound to a job, or null when none of them changes. */
function boundTriggers(triggers: readonly Trigger[], jobId: string): Trigger[] | null {
  const bound = triggers.map((t) => t.forJob?.(jobId) ?? t);
  return bound.some((t, i) => t !== triggers[i]) ? bound : null;
}

/**
 * Fires at the earliest time when every sub-trigger fires within `threshold`
 * seconds of it. Gives up with `MaxIterationsError` after `maxIterations`
 * rounds instead of searching forever.
 *
 * @example
 * ```ts
 * // 09:00 on weekdays that are also on a 4-day grid
 * new AndTrigger([new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9 }), new IntervalTrigger({ days: 4, startDate: '2025-01-06 09:00' })]);
 * ```
 */
export class AndTrigger implements Trigger {
  /** The options the constructor takes besides the triggers. */
  static readonly optionNames: readonly string[] = [
    'threshold',
    'maxIterations',
    'jitter',
    'random',
  ];
  readonly triggers: readonly Trigger[];
  readonly threshold: number;
  readonly maxIterations: number;
  readonly jitter: number | null;
  readonly #jitterMs: number;
  readonly #random: RandomSource;

  constructor(triggers: readonly Trigger[], options: AndTriggerOptions = {}) {
    this.triggers = checkTriggers('AndTrigger', triggers);
    checkTriggerOptions('AndTrigger', options as Record<string, unknown>, AndTrigger.optionNames);
    const threshold = options.threshold ?? 1;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
      throw new InvalidTriggerError(
        'threshold',
        `threshold must be a non-negative number of seconds, got ${String(threshold)}`,
      );
    }
    const maxIterations = options.maxIterations ?? 10_000;
    if (!Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new InvalidTriggerError(
        'maxIterations',
        `maxIterations must be a positive whole number, got ${String(maxIterations)}`,
      );
    }
    this.threshold = threshold;
    this.maxIterations = maxIterations;
    this.#jitterMs = parseJitter(options.jitter);
    this.jitter = this.#jitterMs > 0 ? this.#jitterMs / MS_PER_SECOND : null;
    this.#random = options.random ?? Math.random;
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    const thresholdMs = this.threshold * MS_PER_SECOND;
    // Milliseconds, as date and interval sub-triggers keep them; cron sub-triggers round up themselves.
    let from = previous === null ? current : previous + 1;
    for (let i = 0; i < this.maxIterations; i++) {
      let earliest = Infinity;
      let latest = -Infinity;
      for (const trigger of this.triggers) {
        const t = firstAtOrAfter(trigger, from);
        if (t === null) return null;
        if (t < earliest) earliest = t;
        if (t > latest) latest = t;
      }
      if (latest - earliest <= thresholdMs)
        return new Date(applyJitterMs(earliest, this.#jitterMs, undefined, this.#random));
      // Any common time has every member ≥ `latest` − threshold; start the next round there
      // (past `earliest`, so every round moves on).
      from = Math.ceil(latest - thresholdMs);
    }
    throw new MaxIterationsError(this.maxIterations, this.toString());
  }

  /** Binds the sub-triggers to the job (see {@link Trigger.forJob}). */
  forJob(jobId: string): AndTrigger {
    const bound = boundTriggers(this.triggers, jobId);
    if (bound === null) return this;
    return new AndTrigger(bound, {
      threshold: this.threshold,
      maxIterations: this.maxIterations,
      jitter: this.jitter,
      random: this.#random,
    });
  }

  toJSON(): TriggerJSON {
    return {
      type: 'and',
      version: 1,
      triggers: this.triggers.map((t) => t.toJSON()),
      threshold: this.threshold,
      maxIterations: this.maxIterations,
      jitter: this.jitter,
    };
  }

  toString(): string {
    return `and[${this.triggers.map(String).join(', ')}]`;
  }
}

/**
 * Fires whenever any sub-trigger fires; a time produced by several fires once.
 *
 * @example
 * ```ts
 * new OrTrigger([CronTrigger.fromCrontab('0 9 * * mon-fri'), CronTrigger.fromCrontab('0 11 * * sat,sun')]);
 * ```
 */
export class OrTrigger implements Trigger {
  /** The options the constructor takes besides the triggers. */
  static readonly optionNames: readonly string[] = ['jitter', 'random'];
  readonly triggers: readonly Trigger[];
  readonly jitter: number | null;
  readonly #jitterMs: number;
  readonly #random: RandomSource;

  constructor(triggers: readonly Trigger[], options: OrTriggerOptions = {}) {
    this.triggers = checkTriggers('OrTrigger', triggers);
    checkTriggerOptions('OrTrigger', options as Record<string, unknown>, OrTrigger.optionNames);
    this.#jitterMs = parseJitter(options.jitter);
    this.jitter = this.#jitterMs > 0 ? this.#jitterMs / MS_PER_SECOND : null;
    this.#random = options.random ?? Math.random;
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    const from = previous === null ? current : previous + 1;
    let earliest: number | null = null;
    for (const trigger of this.triggers) {
      const t =
        previous === null
          ? (trigger.getNextFireTime(null, now)?.getTime() ?? null)
          : firstAtOrAfter(trigger, from);
      if (t !== null && (earliest === null || t < earliest)) earliest = t;
    }
    return earliest === null
      ? null
      : new Date(applyJitterMs(earliest, this.#jitterMs, undefined, this.#random));
  }

  /** Binds the sub-triggers to the job (see {@link Trigger.forJob}). */
  forJob(jobId: string): OrTrigger {
    const bound = boundTriggers(this.triggers, jobId);
    if (bound === null) return this;
    return new OrTrigger(bound, { jitter: this.jitter, random: this.#random });
  }

  toJSON(): TriggerJSON {
    return {
      type: 'or',
      version: 1,
      triggers: this.triggers.map((t) => t.toJSON()),
      jitter: this.jitter,
    };
  }

  toString(): string {
    return `or[${this.triggers.map(String).join(', ')}]`;
  }
}

function restoreTriggers(state: TriggerJSON): Trigger[] {
  if (state.version !== 1)
    throw new InvalidTriggerError(
      'version',
      `unsupported ${state.type} trigger version ${String(state.version)}`,
    );
  if (!Array.isArray(state.triggers))
    throw new InvalidTriggerError('triggers', `${state.type} state has no triggers array`);
  return state.triggers.map((t: unknown) => triggerFromJSON(t));
}

registerTrigger('and', (state) => {
  const s = state as TriggerJSON & {
    threshold?: number;
    maxIterations?: number;
    jitter?: number | null;
  };
  const options: AndTriggerOptions = { jitter: s.jitter ?? null };
  if (s.threshold !== undefined) options.threshold = s.threshold;
  if (s.maxIterations !== undefined) options.maxIterations = s.maxIterations;
  return new AndTrigger(restoreTriggers(state), options);
});

registerTrigger('or', (state) => {
  const s = state as TriggerJSON & { jitter?: number | null };
  return new OrTrigger(restoreTriggers(state), { jitter: s.jitter ?? null });
});
