/**
 * Shared fast-check arbitraries for time-zone property tests: zones (DST-heavy
 * ones first), instants and wall times biased toward real transitions, with
 * Temporal (temporal-polyfill) as the independent reference.
 */
import { fc } from '@fast-check/vitest';
import { Temporal } from 'temporal-polyfill';

export const MS_SECOND = 1000;
export const MS_MINUTE = 60_000;
export const MS_HOUR = 3_600_000;
export const MS_DAY = 86_400_000;

/** Zones with unusual DST rules: 30-min DST, 45-min offsets, midnight or reversed switches, negative DST, skipped days. */
export const DST_HEAVY_ZONES = [
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
  'Africa/Casablanca',
  'Europe/Dublin',
  'Asia/Kathmandu',
  'America/St_Johns',
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'Pacific/Apia',
  'Asia/Tehran',
] as const;

export const ALL_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

/** A DST-heavy zone most of the time, any zone the runtime knows otherwise. */
export const zoneNameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DST_HEAVY_ZONES) },
  { weight: 1, arbitrary: fc.constantFrom(...ALL_ZONES) },
);

export const Y1900 = Date.UTC(1900, 0, 1);
export const Y2100 = Date.UTC(2100, 11, 31, 23, 59, 59, 999);

export interface Transition {
  /** First instant of the new offset. */
  readonly instant: number;
  /** Offset (ms) before and after. */
  readonly before: number;
  readonly after: number;
}

const transitionCache = new Map<string, Transition | null>();

function offsetMsAt(zone: string, instant: number): number {
  return (
    Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone).offsetNanoseconds / 1e6
  );
}

/**
 * The first transition at or after 1 January of `year` (searching from the
 * given month), or the previous one when there is none after, per Temporal.
 */
export function transitionNear(zone: string, year: number, month: number): Transition | null {
  const key = `${zone}|${year}|${month}`;
  const cached = transitionCache.get(key);
  if (cached !== undefined) return cached;
  const from = Temporal.Instant.fromEpochMilliseconds(
    Date.UTC(year, month - 1, 1),
  ).toZonedDateTimeISO(zone);
  const t = from.getTimeZoneTransition('next') ?? from.getTimeZoneTransition('previous');
  let result: Transition | null = null;
  if (t !== null) {
    const instant = t.epochMilliseconds;
    result = { instant, before: offsetMsAt(zone, instant - 1), after: t.offsetNanoseconds / 1e6 };
  }
  transitionCache.set(key, result);
  return result;
}

/** A small signed delta, heavily biased to exact boundaries and ±1 s / ±1 ms. */
export const nearDeltaArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    -MS_SECOND,
    MS_SECOND,
    -MS_MINUTE,
    MS_MINUTE,
    -MS_HOUR,
    MS_HOUR,
    -1800_000,
    1800_000,
  ),
  fc
    .integer({ min: -3 * MS_HOUR, max: 3 * MS_HOUR })
    .map((ms) => Math.round(ms / MS_SECOND) * MS_SECOND),
  fc.integer({ min: -2 * MS_DAY, max: 2 * MS_DAY }),
);

const transitionSeedArb = fc.record({
  zone: zoneNameArb,
  year: fc.integer({ min: 1900, max: 2100 }),
  month: fc.integer({ min: 1, max: 12 }),
  delta: nearDeltaArb,
});

/** A whole-second instant near a real transition of the given zone between two years (uniform when it has none). */
export function instantNearTransitionArb(
  zone: string,
  minYear: number,
  maxYear: number,
): fc.Arbitrary<number> {
  return fc
    .record({
      year: fc.integer({ min: minYear, max: maxYear }),
      month: fc.integer({ min: 1, max: 12 }),
      delta: nearDeltaArb,
    })
    .map(({ year, month, delta }) => {
      const tr = transitionNear(zone, year, month);
      const t =
        (tr !== null && tr.instant >= Date.UTC(minYear, 0, 1)
          ? tr.instant
          : Date.UTC(year, month - 1, 1)) + delta;
      return Math.floor(t / MS_SECOND) * MS_SECOND;
    });
}

/** An instant near a real transition of a zone (or uniform when the zone has none). */
export const zoneAndInstantNearTransitionArb: fc.Arbitrary<{ zone: string; instant: number }> =
  transitionSeedArb.map(({ zone, year, month, delta }) => {
    const tr = transitionNear(zone, year, month);
    return { zone, instant: (tr?.instant ?? Date.UTC(year, month - 1, 1)) + delta };
  });

export const uniformInstantArb: fc.Arbitrary<number> = fc.integer({ min: Y1900, max: Y2100 });

export const zoneAndUniformInstantArb: fc.Arbitrary<{ zone: string; instant: number }> = fc.record({
  zone: zoneNameArb,
  instant: uniformInstantArb,
});

export const zoneAndInstantArb: fc.Arbitrary<{ zone: string; instant: number }> = fc.oneof(
  { weight: 3, arbitrary: zoneAndInstantNearTransitionArb },
  { weight: 1, arbitrary: zoneAndUniformInstantArb },
);

/**
 * A wall time ("wall ms": wall-clock fields encoded as UTC) near a transition:
 * just inside/outside its gap or fold, measured from either edge.
 */
export const zoneAndWallNearTransitionArb: fc.Arbitrary<{ zone: string; wall: number }> = fc
  .record({ seed: transitionSeedArb, edge: fc.constantFrom<'before' | 'after'>('before', 'after') })
  .map(({ seed: { zone, year, month, delta }, edge }) => {
    const tr = transitionNear(zone, year, month);
    if (tr === null) return { zone, wall: Date.UTC(year, month - 1, 1) + delta };
    return { zone, wall: tr.instant + (edge === 'before' ? tr.before : tr.after) + delta };
  });

export const zoneAndWallArb: fc.Arbitrary<{ zone: string; wall: number }> = fc.oneof(
  { weight: 3, arbitrary: zoneAndWallNearTransitionArb },
  { weight: 1, arbitrary: fc.record({ zone: zoneNameArb, wall: uniformInstantArb }) },
);

/** Temporal's plain date-time for a wall ms value (computed independently of civil.ts). */
export function plainOfWall(wall: number): Temporal.PlainDateTime {
  return Temporal.Instant.fromEpochMilliseconds(wall).toZonedDateTimeISO('UTC').toPlainDateTime();
}

export function zonedAt(zone: string, instant: number): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone);
}

/** Temporal's offset (ms) at an instant. */
export function temporalOffset(zone: string, instant: number): number {
  return offsetMsAt(zone, instant);
}

/** Smallest and largest offset in force over the closed interval [from, to], per Temporal. */
export function temporalOffsetRange(zone: string, from: number, to: number): [number, number] {
  let zdt = zonedAt(zone, from);
  let min = zdt.offsetNanoseconds;
  let max = min;
  for (;;) {
    const next = zdt.getTimeZoneTransition('next');
    if (next === null || next.epochMilliseconds > to) break;
    min = Math.min(min, next.offsetNanoseconds);
    max = Math.max(max, next.offsetNanoseconds);
    zdt = next;
  }
  return [min / 1e6, max / 1e6];
}
