/**
 * Property tests: the cached time-zone engine (src/time/zone.ts) and the civil
 * calendar functions (src/time/civil.ts) agree with temporal-polyfill across
 * many zones and years, biased toward real DST/offset transitions.
 */

import { fc, test } from '@fast-check/vitest';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, vi } from 'vitest';
import {
  daysFromCivil,
  daysInMonth,
  fieldsFromWall,
  isoWeekOfDays,
  wallFromFields,
  weekdayOfDays,
} from '../../src/time/civil.ts';
import { type Disambiguation, getZone, IntlZone } from '../../src/time/zone.ts';
import {
  MS_DAY,
  MS_HOUR,
  plainOfWall,
  temporalOffset,
  temporalOffsetRange,
  zoneAndInstantArb,
  zoneAndInstantNearTransitionArb,
  zoneAndUniformInstantArb,
  zoneAndWallArb,
  zonedAt,
  zoneNameArb,
} from '../helpers/zones.ts';

/** Scale every numRuns (e.g. PROPERTY_SCALE=10 for a long bug hunt); the default keeps the file under ~10 s. */
const SCALE = Number(process.env.PROPERTY_SCALE ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// Long hunts need more than the default 30 s per test.
if (SCALE > 1) vi.setConfig({ testTimeout: 3_600_000 });

const DISAMBIGUATIONS: readonly Exclude<Disambiguation, 'reject'>[] = [
  'compatible',
  'earlier',
  'later',
];

/** The same formatter options getZone uses, for building a cold (uncached) zone. */
function coldZone(name: string): IntlZone {
  return new IntlZone(
    name,
    new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }),
  );
}

function temporalInstant(
  zone: string,
  wall: number,
  disambiguation: Disambiguation,
): number | undefined {
  try {
    return plainOfWall(wall).toZonedDateTime(zone, { disambiguation }).epochMilliseconds;
  } catch (error) {
    if (disambiguation === 'reject' && error instanceof RangeError) return undefined;
    throw error;
  }
}

describe('Zone vs Temporal', () => {
  test.prop([zoneAndInstantArb], { numRuns: runs(300) })(
    'offsetAt and wallAt equal Temporal offset and plain date-time fields',
    ({ zone, instant }) => {
      const z = zonedAt(zone, instant);
      expect(getZone(zone).offsetAt(instant)).toBe(z.offsetNanoseconds / 1e6);
      const wall = getZone(zone).wallAt(instant);
      expect(fieldsFromWall(wall)).toEqual({
        year: z.year,
        month: z.month,
        day: z.day,
        hour: z.hour,
        minute: z.minute,
        second: z.second,
        millisecond: z.millisecond,
      });
      // Also independently of civil.ts: the wall ms is the same date-time read as UTC.
      expect(plainOfWall(wall).equals(z.toPlainDateTime())).toBe(true);
    },
  );

  test.prop([zoneAndWallArb], { numRuns: runs(200) })(
    'instantOf equals Temporal toZonedDateTime for every disambiguation',
    ({ zone, wall }) => {
      const z = getZone(zone);
      for (const d of DISAMBIGUATIONS) {
        expect({ d, instant: z.instantOf(wall, d) }).toEqual({
          d,
          instant: temporalInstant(zone, wall, d),
        });
      }
      expect(z.instantOf(wall)).toBe(temporalInstant(zone, wall, 'compatible'));
      expect(z.instantOf(wall, 'reject')).toBe(temporalInstant(zone, wall, 'reject'));
    },
  );

  test.prop([zoneAndWallArb], { numRuns: runs(250) })(
    'resolveWall kind agrees with Temporal',
    ({ zone, wall }) => {
      const r = getZone(zone).resolveWall(wall);
      const earlier = temporalInstant(zone, wall, 'earlier') as number;
      const later = temporalInstant(zone, wall, 'later') as number;
      const reject = temporalInstant(zone, wall, 'reject');
      const pdt = plainOfWall(wall);
      if (reject !== undefined) {
        // Exactly one instant has this wall time.
        expect(earlier).toBe(reject);
        expect(later).toBe(reject);
        expect(r).toEqual({ kind: 'unique', instant: reject });
      } else if (zonedAt(zone, earlier).toPlainDateTime().equals(pdt)) {
        // Two instants show this wall time: a fold.
        expect(zonedAt(zone, later).toPlainDateTime().equals(pdt)).toBe(true);
        expect(earlier).toBeLessThan(later);
        expect(r).toEqual({ kind: 'fold', earlier, later });
      } else {
        // No instant shows it: a gap; 'earlier'/'later' shift by the gap length.
        expect(zonedAt(zone, later).toPlainDateTime().equals(pdt)).toBe(false);
        expect(r).toEqual({ kind: 'gap', earlier, later });
      }
      // Whatever the kind, every instant resolveWall names is consistent with offsetAt.
      if (r.kind === 'unique') expect(getZone(zone).wallAt(r.instant)).toBe(wall);
      if (r.kind === 'fold') {
        expect(getZone(zone).wallAt(r.earlier)).toBe(wall);
        expect(getZone(zone).wallAt(r.later)).toBe(wall);
      }
    },
  );

  test.prop(
    [
      fc.record({
        zone: zoneNameArb,
        instant: fc
          .oneof(zoneAndInstantNearTransitionArb, zoneAndUniformInstantArb)
          .map((x) => x.instant),
        window: fc.oneof(
          fc.constantFrom(0, 1000, MS_HOUR, MS_DAY),
          fc.integer({ min: 0, max: 800 * MS_DAY }),
        ),
      }),
    ],
    { numRuns: runs(100) },
  )(
    'offsetRange equals the min/max Temporal offset over [t − w, t + w]',
    ({ zone, instant, window }) => {
      expect(getZone(zone).offsetRange(instant, window)).toEqual(
        temporalOffsetRange(zone, instant - window, instant + window),
      );
    },
  );

  test.prop([zoneAndInstantNearTransitionArb, zoneAndInstantNearTransitionArb], {
    numRuns: runs(50),
  })(
    'offsetRange around a real transition, with the zone of a nearby instant',
    ({ zone, instant }, { instant: other }) => {
      // A window reaching from `instant` to another instant near some transition of another zone/year.
      const window = Math.min(Math.abs(other - instant), 3 * 365 * MS_DAY);
      expect(getZone(zone).offsetRange(instant, window)).toEqual(
        temporalOffsetRange(zone, instant - window, instant + window),
      );
    },
  );
});

describe('cold vs warm zone cache', () => {
  const queriesArb = fc.record({
    zone: zoneNameArb,
    queries: fc.array(
      fc.oneof(
        zoneAndInstantNearTransitionArb.map((x) => ({
          kind: 'instant' as const,
          value: x.instant,
        })),
        zoneAndUniformInstantArb.map((x) => ({ kind: 'instant' as const, value: x.instant })),
        zoneAndInstantNearTransitionArb.map((x) => ({
          kind: 'wall' as const,
          value: x.instant + 3600_000,
        })),
      ),
      { minLength: 1, maxLength: 25 },
    ),
  });

  test.prop([queriesArb], { numRuns: runs(25) })(
    'a fresh zone answers like the shared cached one, in any query order',
    ({ zone, queries }) => {
      const cold = coldZone(zone);
      const warm = getZone(zone);
      for (const q of queries) {
        if (q.kind === 'instant') {
          expect({ q, offset: cold.offsetAt(q.value) }).toEqual({
            q,
            offset: warm.offsetAt(q.value),
          });
        } else {
          expect({ q, r: cold.resolveWall(q.value) }).toEqual({ q, r: warm.resolveWall(q.value) });
        }
      }
      // And both agree with Temporal on the queried instants.
      for (const q of queries) {
        if (q.kind === 'instant')
          expect({ q, offset: cold.offsetAt(q.value) }).toEqual({
            q,
            offset: temporalOffset(zone, q.value),
          });
      }
    },
  );

  test.prop(
    [
      fc.record({
        zone: zoneNameArb,
        instants: fc.array(
          zoneAndUniformInstantArb.map((x) => x.instant),
          { minLength: 2, maxLength: 15 },
        ),
      }),
    ],
    {
      numRuns: runs(25),
    },
  )(
    'a cold zone queried far apart first, then everywhere, matches Temporal',
    ({ zone, instants }) => {
      const cold = coldZone(zone);
      for (const t of instants)
        expect({ t, offset: cold.offsetAt(t) }).toEqual({ t, offset: temporalOffset(zone, t) });
      // Now query between the cached segments (segments created far apart must not overlap wrongly).
      const sorted = [...instants].sort((a, b) => a - b);
      for (let i = 0; i + 1 < sorted.length; i++) {
        const mid = Math.floor(((sorted[i] as number) + (sorted[i + 1] as number)) / 2);
        expect({ mid, offset: cold.offsetAt(mid) }).toEqual({
          mid,
          offset: temporalOffset(zone, mid),
        });
      }
    },
  );
});

describe('civil.ts vs Temporal.PlainDate', () => {
  const dateArb = fc
    .record({
      year: fc.integer({ min: 1, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
    })
    .map(({ year, month, day }) =>
      Temporal.PlainDate.from({ year, month, day }, { overflow: 'constrain' }),
    );
  const edgeDateArb = fc
    .record({
      year: fc.integer({ min: 1, max: 9999 }),
      md: fc.constantFrom(
        [1, 1],
        [1, 2],
        [1, 3],
        [1, 4],
        [12, 28],
        [12, 29],
        [12, 30],
        [12, 31],
        [2, 28],
        [2, 29],
        [3, 1],
      ),
    })
    .map(({ year, md: [month, day] }) =>
      Temporal.PlainDate.from(
        { year, month: month as number, day: day as number },
        { overflow: 'constrain' },
      ),
    );
  const anyDateArb = fc.oneof(dateArb, edgeDateArb);

  function epochDays(d: Temporal.PlainDate): number {
    return d.toZonedDateTime('UTC').epochMilliseconds / MS_DAY;
  }

  test.prop([anyDateArb], { numRuns: runs(1000) })(
    'daysFromCivil, weekdayOfDays, isoWeekOfDays, daysInMonth',
    (d) => {
      const days = daysFromCivil(d.year, d.month, d.day);
      expect(days).toBe(epochDays(d));
      expect(weekdayOfDays(days)).toBe(d.dayOfWeek % 7);
      expect(isoWeekOfDays(days)).toBe(d.weekOfYear);
      expect(daysInMonth(d.year, d.month)).toBe(d.daysInMonth);
    },
  );

  test.prop(
    [
      anyDateArb,
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 999 }),
    ],
    { numRuns: runs(1000) },
  )(
    'wallFromFields / fieldsFromWall round trip and match Temporal',
    (d, hour, minute, second, millisecond) => {
      const wall = wallFromFields(d.year, d.month, d.day, hour, minute, second, millisecond);
      expect(fieldsFromWall(wall)).toEqual({
        year: d.year,
        month: d.month,
        day: d.day,
        hour,
        minute,
        second,
        millisecond,
      });
      const pdt = d.toPlainDateTime({ hour, minute, second, millisecond });
      expect(wall).toBe(pdt.toZonedDateTime('UTC').epochMilliseconds);
    },
  );

  test.prop(
    [
      fc.integer({
        min: wallFromFields(1, 1, 1),
        max: wallFromFields(9999, 12, 31, 23, 59, 59, 999),
      }),
    ],
    { numRuns: runs(1000) },
  )('fieldsFromWall of any wall ms inverts wallFromFields', (wall) => {
    const f = fieldsFromWall(wall);
    expect(wallFromFields(f.year, f.month, f.day, f.hour, f.minute, f.second, f.millisecond)).toBe(
      wall,
    );
    const z = Temporal.Instant.fromEpochMilliseconds(wall).toZonedDateTimeISO('UTC');
    expect(f).toEqual({
      year: z.year,
      month: z.month,
      day: z.day,
      hour: z.hour,
      minute: z.minute,
      second: z.second,
      millisecond: z.millisecond,
    });
  });
});
