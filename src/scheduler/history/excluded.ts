/**
 * What an `excluded` ledger row stands for: the fire times a job's calendar
 * excluded in one pass. The row is scheduled at the first of them; its detail
 * names the calendar and the rule and says how many there were and the last,
 * in a sentence that {@link readExcluded} reads back (rows are untrusted: an
 * unreadable detail is no answer, never an error).
 */
import type { FireRecord } from '../../stores/ledger.ts';

/** The fire times an excluded row stands for. */
export interface Excluded {
  /** The calendar's name. */
  readonly calendar: string;
  /** The rule that excluded the first (e.g. `'holiday 2026-12-25'`), or null when not recorded. */
  readonly reason: string | null;
  /** How many fire times were excluded. */
  readonly count: number;
  /** False when counting stopped at its bound: `count` is then a lower bound. */
  readonly complete: boolean;
  /** The first excluded fire time (epoch ms): the row's scheduled time. */
  readonly from: number;
  /** The last excluded fire time (epoch ms). */
  readonly to: number;
}

/** The detail of an excluded row. */
export function excludedDetail(excluded: {
  readonly calendar: string;
  readonly reason: string | null;
  readonly count: number;
  readonly complete: boolean;
  readonly first: Date;
  readonly last: Date;
}): string {
  const { count } = excluded;
  const times = `${excluded.complete ? '' : 'at least '}${count.toLocaleString('en-US')} fire time${count === 1 ? '' : 's'}`;
  const range =
    count === 1
      ? `at ${excluded.first.toISOString()}`
      : `from ${excluded.first.toISOString()} to ${excluded.last.toISOString()}`;
  const reason = excluded.reason === null ? '' : ` (${excluded.reason})`;
  return `excluded by calendar ${JSON.stringify(excluded.calendar)}${reason}: ${times} ${range}`;
}

const DETAIL =
  /^excluded by calendar ("(?:[^"\\]|\\.)*")(?: \((.*)\))?: (at least )?([\d,]+) fire times? (?:at (\S+)|from (\S+) to (\S+))$/s;

/** The fire times an excluded row stands for, or undefined when its detail does not say. */
export function readExcluded(fire: FireRecord): Excluded | undefined {
  if (fire.state !== 'excluded' || fire.detail === null) return undefined;
  const match = DETAIL.exec(fire.detail);
  if (match === null) return undefined;
  let calendar: unknown;
  try {
    calendar = JSON.parse(match[1] as string);
  } catch {
    return undefined;
  }
  const count = Number((match[4] as string).replaceAll(',', ''));
  const to = Date.parse((match[5] ?? match[7]) as string);
  if (typeof calendar !== 'string' || !Number.isSafeInteger(count) || count < 1) return undefined;
  if (!Number.isFinite(to) || to < fire.scheduledTime) return undefined;
  return {
    calendar,
    reason: match[2] ?? null,
    count,
    complete: match[3] === undefined,
    from: fire.scheduledTime,
    to,
  };
}
