/**
 * The moment a "why didn't it fire at …?" question names. A user asks in wall
 * time ("02:30"), in the job's zone; on a DST night that wall time may not
 * exist (spring forward) or may exist twice (fall back), and the answer must
 * say so rather than silently pick an instant.
 */
import { NonexistentTimeError } from '../../time/errors.ts';
import { formatInstant } from '../../time/format.ts';
import { type DateInput, parseDateInput } from '../../time/parse.ts';
import { getZone, type Zone } from '../../time/zone.ts';

/** The instant asked about, and what DST did to the wall time given, if anything. */
export interface AskedTime {
  /** The instant explained (for a wall time in a gap: where a shifted trigger fires it). */
  readonly instant: number;
  /** A sentence when the wall time given does not exist or exists twice; otherwise undefined. */
  readonly dstNote: string | undefined;
  /** For a wall time in a fold, its second occurrence (the first is `instant`). */
  readonly laterOccurrence: number | undefined;
  /** For a wall time in a gap, the wall time as given (`HH:MM`), to name it in evidence. */
  readonly missingWall: string | undefined;
}

const NAIVE = /^\s*(\d{4}-\d{1,2}-\d{1,2})[T ](\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)\s*$/;

/** `HH:MM`, with seconds when they are not zero. */
function wallClock(text: string): string {
  const [hours = '0', minutes = '00', seconds] = text.split(':');
  const hh = hours.padStart(2, '0');
  return seconds === undefined || Number(seconds) === 0
    ? `${hh}:${minutes}`
    : `${hh}:${minutes}:${seconds}`;
}

/**
 * Reads the time asked about: a Date, epoch ms, or an ISO 8601 string; a
 * string without an offset is a wall time in `zone` (the job's trigger zone).
 *
 * @throws InvalidDateError naming the input when it cannot be read.
 */
export function readAskedTime(input: DateInput, zone: Zone): AskedTime {
  const plain = { dstNote: undefined, laterOccurrence: undefined, missingWall: undefined };
  const naive = typeof input === 'string' ? NAIVE.exec(input) : null;
  if (naive === null) return { instant: parseDateInput(input, zone), ...plain };
  const [, date = '', time = ''] = naive;
  const wall = parseDateInput(`${date}T${time}Z`, getZone('UTC'));
  const resolved = zone.resolveWall(wall);
  if (resolved.kind === 'unique') return { instant: resolved.instant, ...plain };
  const clock = wallClock(time);
  if (resolved.kind === 'fold') {
    const first = formatInstant(resolved.earlier, zone).slice(11);
    const second = formatInstant(resolved.later, zone).slice(11);
    return {
      instant: resolved.earlier,
      dstNote: `${clock} occurs twice in ${zone.name} on ${date} (clocks went back): ${first} and ${second}; the first is explained`,
      laterOccurrence: resolved.later,
      missingWall: undefined,
    };
  }
  const gapMs = resolved.later - resolved.earlier;
  // `later` keeps the old offset: the wall time moved forward by the length of the gap.
  const shifted = formatInstant(resolved.later, zone).slice(11, 16);
  const minutes = gapMs / 60_000;
  const length = minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
  if (!(gapMs > 0)) throw new NonexistentTimeError(input, zone.name);
  return {
    instant: resolved.later,
    dstNote: `${clock} does not exist in ${zone.name} on ${date} (clocks went forward by ${length}); a trigger that shifts such times fires it at ${shifted}`,
    laterOccurrence: undefined,
    missingWall: clock,
  };
}
