/**
 * Time zone rules: instant → UTC offset, and wall-clock time → instant(s).
 *
 * Offsets come from the runtime's `Intl` time zone database. Asking `Intl` is
 * slow (several µs a call), so each zone caches the *segments* of its
 * timeline — stretches of time with one constant offset — and answers from the
 * cache. Trigger searches then cost a comparison or a binary search per
 * conversion. `temporal-polyfill` is the reference the tests hold this against.
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND, wallFromFields } from './civil.ts';
import { UnknownTimeZoneError } from './errors.ts';

/** How a wall time that falls in a DST gap or fold is turned into an instant (as in Temporal). */
export type Disambiguation = 'compatible' | 'earlier' | 'later' | 'reject';

/** What a wall-clock time is in a zone: one instant, none (gap) or two (fold). */
export type WallResolution =
  | { kind: 'unique'; instant: number }
  | { kind: 'gap'; earlier: number; later: number }
  | { kind: 'fold'; earlier: number; later: number };

/** A time zone's rules. All times are epoch milliseconds; "wall" times are wall-clock fields encoded as if UTC. */
export abstract class Zone {
  /** The name the zone was asked for, e.g. `'Europe/Berlin'`. */
  abstract readonly name: string;
  /** Offset (wall − UTC) in milliseconds at an instant. */
  abstract offsetAt(instant: number): number;
  /** Smallest and largest offset in force within `window` ms either side of an instant. */
  abstract offsetRange(instant: number, window: number): [number, number];
  /** The offset at an instant when no transition lies within `window` ms either side of it, otherwise NaN. */
  abstract steadyOffset(instant: number, window: number): number;
  /**
   * The end of the stretch of constant offset that holds an instant: the first
   * instant after it whose offset may differ (a boundary of the cache, where
   * the offset may also stay the same), or Infinity when the offset never changes.
   */
  abstract offsetChangeAfter(instant: number): number;

  /** The wall-clock time (encoded as wall milliseconds) of an instant. */
  wallAt(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /** Classifies a wall time: a unique instant, a gap, or a fold. */
  resolveWall(wall: number): WallResolution {
    // Transitions are at least a week apart in every zone, so the offsets a day
    // either side of the wall time are the only two that can apply.
    const before = this.offsetAt(wall - MS_PER_DAY);
    const after = this.offsetAt(wall + MS_PER_DAY);
    if (before === after) return { kind: 'unique', instant: wall - before };
    const withBefore = wall - before;
    const withAfter = wall - after;
    const beforeFits = this.offsetAt(withBefore) === before;
    const afterFits = this.offsetAt(withAfter) === after;
    if (beforeFits && afterFits) {
      return withBefore === withAfter
        ? { kind: 'unique', instant: withBefore }
        : {
            kind: 'fold',
            earlier: Math.min(withBefore, withAfter),
            later: Math.max(withBefore, withAfter),
          };
    }
    if (beforeFits) return { kind: 'unique', instant: withBefore };
    if (afterFits) return { kind: 'unique', instant: withAfter };
    // A gap: 'later' keeps the old offset (the wall time is moved forward by the gap),
    // 'earlier' uses the new one, exactly as Temporal's disambiguation does.
    return { kind: 'gap', earlier: withAfter, later: withBefore };
  }

  /**
   * The instant of a wall time. Returns `undefined` only for `'reject'` when the
   * wall time falls in a gap or fold; callers turn that into an error naming their input.
   */
  instantOf(wall: number, disambiguation: Disambiguation = 'compatible'): number | undefined {
    const r = this.resolveWall(wall);
    if (r.kind === 'unique') return r.instant;
    switch (disambiguation) {
      case 'reject':
        return undefined;
      case 'earlier':
        return r.earlier;
      case 'later':
        return r.later;
      default:
        return r.kind === 'gap' ? r.later : r.earlier;
    }
  }
}

/** A zone with one offset forever: UTC, `Etc/GMT+5`, `+05:30`. */
export class FixedOffsetZone extends Zone {
  readonly name: string;
  readonly offset: number;
  constructor(name: string, offset: number) {
    super();
    this.name = name;
    this.offset = offset;
  }
  offsetAt(): number {
    return this.offset;
  }
  offsetRange(): [number, number] {
    return [this.offset, this.offset];
  }
  steadyOffset(): number {
    return this.offset;
  }
  offsetChangeAfter(): number {
    return Number.POSITIVE_INFINITY;
  }
  override wallAt(instant: number): number {
    return instant + this.offset;
  }
  override resolveWall(wall: number): WallResolution {
    return { kind: 'unique', instant: wall - this.offset };
  }
}

interface Segment {
  /** First instant of the segment (inclusive). */
  start: number;
  /** First instant after the segment (exclusive). */
  end: number;
  offset: number;
}

/** Probing step when looking for transitions; shorter than the 7 days that separate any two transitions. */
const PROBE_STEP = 2 * MS_PER_DAY;
/** How far one segment search goes before settling for a boundary without an offset change. */
const MAX_SEGMENT_SPAN = 400 * MS_PER_DAY;

/** A zone of the IANA database, read through `Intl` and cached as constant-offset segments. */
export class IntlZone extends Zone {
  readonly name: string;
  readonly #format: Intl.DateTimeFormat;
  /** Sorted, non-overlapping. */
  readonly #segments: Segment[] = [];
  #last: Segment | undefined;

  constructor(name: string, format: Intl.DateTimeFormat) {
    super();
    this.name = name;
    this.#format = format;
  }

  offsetAt(instant: number): number {
    const last = this.#last;
    if (last !== undefined && instant >= last.start && instant < last.end) return last.offset;
    return this.#segmentAt(instant).offset;
  }

  steadyOffset(instant: number, window: number): number {
    let seg = this.#last;
    if (seg === undefined || instant < seg.start || instant >= seg.end)
      seg = this.#segmentAt(instant);
    return instant - window >= seg.start && instant + window < seg.end ? seg.offset : Number.NaN;
  }

  offsetChangeAfter(instant: number): number {
    const last = this.#last;
    if (last !== undefined && instant >= last.start && instant < last.end) return last.end;
    return this.#segmentAt(instant).end;
  }

  offsetRange(instant: number, window: number): [number, number] {
    let seg = this.#last;
    if (seg === undefined || instant < seg.start || instant >= seg.end)
      seg = this.#segmentAt(instant);
    if (instant - window >= seg.start && instant + window < seg.end)
      return [seg.offset, seg.offset];
    let min = seg.offset;
    let max = seg.offset;
    for (let t = seg.start - 1; t >= instant - window; ) {
      const s = this.#segmentAt(t);
      if (s.offset < min) min = s.offset;
      if (s.offset > max) max = s.offset;
      t = s.start - 1;
    }
    for (let t = seg.end; t <= instant + window; ) {
      const s = this.#segmentAt(t);
      if (s.offset < min) min = s.offset;
      if (s.offset > max) max = s.offset;
      t = s.end;
    }
    return [min, max];
  }

  #segmentAt(instant: number): Segment {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segments[mid] as Segment;
      if (instant < s.start) hi = mid - 1;
      else if (instant >= s.end) lo = mid + 1;
      else {
        this.#last = s;
        return s;
      }
    }
    // Not cached: `lo` is where a segment containing `instant` belongs.
    const previous = segments[lo - 1];
    const next = segments[lo];
    const offset = this.#intlOffset(instant);
    const floor = Math.max(previous?.end ?? -Infinity, instant - MAX_SEGMENT_SPAN);
    const ceiling = Math.min(next?.start ?? Infinity, instant + MAX_SEGMENT_SPAN);
    const seg: Segment = {
      start: this.#edge(instant, floor, offset, -1),
      end: this.#edge(instant, ceiling, offset, +1),
      offset,
    };
    segments.splice(lo, 0, seg);
    this.#last = seg;
    return seg;
  }

  /**
   * Walks from `from` towards `limit` in probe steps until the offset changes,
   * then bisects to the exact second of the change. Going forward it returns the
   * first instant with another offset; going backward, the first instant that
   * still has `offset`. Returns `limit` when nothing changes before it.
   */
  #edge(from: number, limit: number, offset: number, direction: 1 | -1): number {
    let same = Math.floor(from / MS_PER_SECOND) * MS_PER_SECOND;
    for (;;) {
      let probe = same + direction * PROBE_STEP;
      const pastLimit = direction > 0 ? probe >= limit : probe <= limit;
      if (pastLimit) {
        probe = direction > 0 ? limit : limit;
        if (!Number.isFinite(probe)) return probe;
        // Check the limit itself (the start of a cached neighbour or the span cap).
        const at = direction > 0 ? probe - MS_PER_SECOND : probe;
        if (this.#intlOffset(at) === offset) return limit;
        return this.#bisect(same, at, offset, direction);
      }
      if (this.#intlOffset(probe) !== offset) return this.#bisect(same, probe, offset, direction);
      same = probe;
    }
  }

  #bisect(same: number, differs: number, offset: number, direction: 1 | -1): number {
    while (Math.abs(differs - same) > MS_PER_SECOND) {
      const mid = Math.floor((same + differs) / 2 / MS_PER_SECOND) * MS_PER_SECOND;
      if (mid === same || mid === differs) break;
      if (this.#intlOffset(mid) === offset) same = mid;
      else differs = mid;
    }
    return direction > 0 ? differs : same;
  }

  #intlOffset(instant: number): number {
    const t = Math.floor(instant / MS_PER_SECOND) * MS_PER_SECOND;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.#format.formatToParts(t)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value === 'BC' || part.value === 'B';
          break;
      }
    }
    if (bc) year = 1 - year;
    return wallFromFields(year, month, day, hour, minute, second) - t;
  }
}

const UTC_NAMES = new Set(
  [
    'utc',
    'etc/utc',
    'etc/uct',
    'uct',
    'gmt',
    'etc/gmt',
    'gmt0',
    'etc/gmt0',
    'gmt+0',
    'gmt-0',
    'etc/gmt+0',
    'etc/gmt-0',
    'etc/greenwich',
    'greenwich',
    'etc/universal',
    'universal',
    'etc/zulu',
    'zulu',
    'z',
  ].map((n) => n.toLowerCase()),
);

const zoneCache = new Map<string, Zone>();

/**
 * The rules of a time zone by IANA name (case-insensitive), `'UTC'`, or a fixed
 * offset such as `'+05:30'`. Zones are cached for the life of the process.
 *
 * @throws UnknownTimeZoneError when the runtime does not know the name.
 */
export function getZone(name: string): Zone {
  const cached = zoneCache.get(name);
  if (cached !== undefined) return cached;
  const zone = createZone(name);
  zoneCache.set(name, zone);
  return zone;
}

function createZone(name: string): Zone {
  if (typeof name !== 'string' || name.trim() === '') throw new UnknownTimeZoneError(String(name));
  const lower = name.toLowerCase();
  if (UTC_NAMES.has(lower)) return new FixedOffsetZone(name, 0);
  const etc = /^etc\/gmt([+-])(\d{1,2})$/.exec(lower);
  if (etc !== null) {
    const hours = Number(etc[2]);
    if (hours > 14) throw new UnknownTimeZoneError(name);
    // POSIX sign convention: Etc/GMT+5 is five hours *behind* UTC.
    return new FixedOffsetZone(name, (etc[1] === '+' ? -1 : 1) * hours * MS_PER_HOUR);
  }
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(name);
  if (fixed !== null) {
    const hours = Number(fixed[2]);
    const minutes = Number(fixed[3]);
    if (hours > 23 || minutes > 59) throw new UnknownTimeZoneError(name);
    return new FixedOffsetZone(
      name,
      (fixed[1] === '+' ? 1 : -1) * (hours * MS_PER_HOUR + minutes * MS_PER_MINUTE),
    );
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UnknownTimeZoneError(name);
  }
  return new IntlZone(name, format);
}

let localZone: { tz: string | undefined; name: string } | undefined;

/** The host's zone name (honours `TZ`), the default for schedulers. Cached until `TZ` changes. */
export function localZoneName(): string {
  const tz = process.env.TZ;
  if (localZone === undefined || localZone.tz !== tz) {
    localZone = { tz, name: new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC' };
  }
  return localZone.name;
}
