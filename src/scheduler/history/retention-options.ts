/**
 * The `history` option: how long the fire history of persistent stores
 * keeps finished fires. Fires are purged in bounded batches by one node at a
 * time (`../cluster/fire-purger.ts`); the memory store's ring applies the
 * same rules when it is read.
 */
import { coerceNumber } from '../../config/coerce.ts';
import { describeValue } from '../../config/describe.ts';
import { ConfigurationError } from '../../config/errors.ts';
import { isRecord } from '../../config/records.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import type { PurgeOptions } from '../../stores/ledger.ts';

export interface HistoryOptions {
  /** Days a succeeded fire is kept after it ended (default 7). */
  succeededDays?: number;
  /** Days any other finished fire (failed, missed, abandoned, …) is kept (default 30). */
  otherDays?: number;
  /** The newest this many fires of each job are kept whatever their age (default 20). */
  keepPerJob?: number;
}

/** The history options with their defaults, times in ms. */
export interface RetentionSettings {
  readonly succeededMs: number;
  readonly otherMs: number;
  readonly keepPerJob: number;
}

const OPTION_NAMES = ['succeededDays', 'otherDays', 'keepPerJob'];
const DAY_MS = 86_400_000;
/** A century: longer is "forever", and keeps the cut-off times within a Date's range. */
const MAX_DAYS = 36_500;
const MAX_KEEP_PER_JOB = 1_000_000;

/** @throws ConfigurationError naming `key.option` */
export function normalizeHistoryOptions(key: string, value: unknown): HistoryOptions {
  if (!isRecord(value))
    throw new ConfigurationError(
      key,
      `expected an object with ${OPTION_NAMES.join(', ')}, got ${describeValue(value)}`,
    );
  checkOptionNames(key, value, OPTION_NAMES, 'history option');
  const options: HistoryOptions = {};
  for (const name of ['succeededDays', 'otherDays'] as const) {
    if (value[name] !== undefined)
      options[name] = coerceNumber(`${key}.${name}`, value[name], { min: 0, max: MAX_DAYS });
  }
  if (value.keepPerJob !== undefined)
    options.keepPerJob = coerceNumber(`${key}.keepPerJob`, value.keepPerJob, {
      integer: true,
      min: 0,
      max: MAX_KEEP_PER_JOB,
    });
  return options;
}

/** The settings in force: the options given, the defaults for the others. */
export function retentionSettings(options: HistoryOptions = {}): RetentionSettings {
  return {
    succeededMs: (options.succeededDays ?? 7) * DAY_MS,
    otherMs: (options.otherDays ?? 30) * DAY_MS,
    keepPerJob: options.keepPerJob ?? 20,
  };
}

/** The cut-offs of a purge at `now` (store clock, epoch ms). */
export function purgeRules(
  settings: RetentionSettings,
  now: number,
): Omit<PurgeOptions, 'limit' | 'after'> {
  return {
    succeededBefore: now - settings.succeededMs,
    otherBefore: now - settings.otherMs,
    keepPerJob: settings.keepPerJob,
  };
}

/** `7 days for succeeded fires, 30 days for the others, the newest 20 of each job always`. */
export function describeRetention(settings: RetentionSettings): string {
  const days = (ms: number) => {
    const n = ms / DAY_MS;
    return `${Number.isInteger(n) ? n : n.toFixed(2)} day${n === 1 ? '' : 's'}`;
  };
  return `${days(settings.succeededMs)} for succeeded fires, ${days(settings.otherMs)} for the others, the newest ${settings.keepPerJob} of each job always`;
}
