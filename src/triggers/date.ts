/** `DateTrigger`: fires once. */
import { formatInstant } from '../time/format.ts';
import type { DateInput } from '../time/parse.ts';
import type { Zone } from '../time/zone.ts';
import {
  ceilToMillisecond,
  checkTriggerOptions,
  isoOrNull,
  optionalDate,
  requireTimeArgument,
  resolveZone,
} from './common.ts';
import { InvalidTriggerError } from './errors.ts';
import { registerTrigger } from './registry.ts';
import type { Trigger, TriggerJSON } from './trigger.ts';

export interface DateTriggerOptions {
  /** When to fire, to the millisecond. Omitted: the `now` of the first call, i.e. "run once, now". */
  runDate?: DateInput | null;
  timezone?: string;
}

/**
 * Fires once at `runDate` — even when that lies in the past — and then finishes.
 * Milliseconds are kept: `new Date(Date.now() + 100)` fires 100 ms later.
 *
 * @example
 * ```ts
 * new DateTrigger({ runDate: '2030-01-01 09:00', timezone: 'Europe/Paris' });
 * ```
 */
export class DateTrigger implements Trigger {
  /** The options the constructor takes (the `'date'` alias's arguments). */
  static readonly optionNames: readonly string[] = ['runDate', 'timezone'];
  readonly timezone: string;
  readonly #zone: Zone;
  #runDate: number | undefined;

  constructor(options: DateTriggerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidTriggerError('options', 'DateTrigger options must be an object');
    }
    checkTriggerOptions('DateTrigger', options as Record<string, unknown>, DateTrigger.optionNames);
    this.#zone = resolveZone(options.timezone);
    this.timezone = this.#zone.name;
    const runDate = optionalDate('runDate', options.runDate, this.#zone);
    this.#runDate = runDate === undefined ? undefined : ceilToMillisecond(runDate);
  }

  /** The fire time, or null until a first call fixes it at that call's `now`. */
  get runDate(): Date | null {
    return this.#runDate === undefined ? null : new Date(this.#runDate);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    if (this.#runDate === undefined) this.#runDate = current;
    return previous === null ? new Date(this.#runDate) : null;
  }

  toJSON(): TriggerJSON {
    return { type: 'date', version: 1, runDate: isoOrNull(this.#runDate), timezone: this.timezone };
  }

  toString(): string {
    return this.#runDate === undefined
      ? 'date[now]'
      : `date[${formatInstant(this.#runDate, this.#zone)}]`;
  }
}

registerTrigger('date', (state) => {
  if (state.version !== 1)
    throw new InvalidTriggerError(
      'version',
      `unsupported date trigger version ${String(state.version)}`,
    );
  const s = state as TriggerJSON & { runDate: string | null; timezone: string };
  return new DateTrigger({ runDate: s.runDate, timezone: s.timezone });
});
