/**
 * What a `coalesced` ledger row stands for: the fire times a catch-up folded
 * into one run. The row is scheduled at the first of them; its detail says how
 * many there were and the run they were folded into, in a sentence that
 * {@link readFolded} reads back (rows are untrusted: an unreadable detail is
 * no answer, never an error).
 */
import type { FireRecord } from '../../stores/ledger.ts';

/** The fire times a coalesced row stands for. */
export interface Folded {
  /** How many fire times were folded (the run's own excluded). */
  readonly count: number;
  /** False when counting stopped at its bound: `count` is then a lower bound. */
  readonly complete: boolean;
  /** The first folded fire time (epoch ms): the row's scheduled time. */
  readonly from: number;
  /** The run they were folded into (epoch ms): every folded time is before it. */
  readonly into: number;
}

/** The detail of a coalesced row. */
export function foldedDetail(count: number, complete: boolean, into: Date): string {
  const times = `${complete ? '' : 'at least '}${count.toLocaleString('en-US')} fire time${count === 1 ? '' : 's'}`;
  return `${times} folded into the run at ${into.toISOString()}`;
}

const DETAIL = /^(?:(at least) )?([\d,]+) fire times? folded into the run at (\S+?)\.?$/;
/** Rows written before counts were recorded. */
const OLD_DETAIL = /folded into the run at (\S+?)\.?$/;

/** The fire times a coalesced row stands for, or undefined when its detail does not say. */
export function readFolded(fire: FireRecord): Folded | undefined {
  if (fire.state !== 'coalesced' || fire.detail === null) return undefined;
  const match = DETAIL.exec(fire.detail);
  if (match !== null) {
    const into = Date.parse(match[3] as string);
    const count = Number((match[2] as string).replaceAll(',', ''));
    if (!Number.isFinite(into) || !Number.isSafeInteger(count) || count < 1) return undefined;
    return { count, complete: match[1] === undefined, from: fire.scheduledTime, into };
  }
  const old = OLD_DETAIL.exec(fire.detail);
  if (old === null) return undefined;
  const into = Date.parse(old[1] as string);
  // The count was not recorded: at least the row's own fire time.
  return Number.isFinite(into)
    ? { count: 1, complete: false, from: fire.scheduledTime, into }
    : undefined;
}
