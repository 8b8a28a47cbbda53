/**
 * DateTrigger as a specification (SPEC §2 "Triggers": "DateTrigger: returns
 * runDate once (even if in the past), then null"; date-like inputs; "Precision":
 * date triggers keep milliseconds, `runDate` is used as given).
 *
 * Expected fire times are literal ISO strings worked out by hand from SPEC.
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import { DateTrigger } from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { first, iso } from '../helpers/trigger-chains.ts';

const BERLIN = getZone('Europe/Berlin');

describe('DateTrigger fires once', () => {
  it.each([
    ['before runDate', '2024-04-01T00:00:00Z'],
    ['at runDate', '2024-05-01T12:00:00Z'],
    ['after runDate (a run date in the past is still returned)', '2024-06-01T00:00:00Z'],
  ])('a first call %s returns runDate', (_when, now) => {
    const trigger = new DateTrigger({ runDate: '2024-05-01 12:00:00', timezone: 'UTC' });
    expect(first(trigger, now)).toBe('2024-05-01T12:00:00+00:00');
  });

  it('after it has fired, the next call returns null', () => {
    const trigger = new DateTrigger({ runDate: '2024-05-01 12:00:00', timezone: 'UTC' });
    const fired = trigger.getNextFireTime(null, new Date('2024-06-01T00:00:00Z'));
    expect(fired).not.toBeNull();
    expect(trigger.getNextFireTime(fired, fired as Date)).toBeNull();
    expect(trigger.getNextFireTime(fired, new Date('2030-01-01T00:00:00Z'))).toBeNull();
  });

  it('a runDate with milliseconds fires at that millisecond, not at the next whole second', () => {
    const trigger = new DateTrigger({ runDate: '2024-05-01 12:00:00.250', timezone: 'UTC' });
    const fired = trigger.getNextFireTime(null, new Date('2024-04-01T00:00:00Z'));
    expect(fired?.toISOString()).toBe('2024-05-01T12:00:00.250Z');
  });

  it('new Date(now + 100) fires 100 ms after now', () => {
    const now = new Date('2024-05-01T12:00:00.930Z');
    const trigger = new DateTrigger({ runDate: new Date(now.getTime() + 100), timezone: 'UTC' });
    expect(trigger.getNextFireTime(null, now)?.toISOString()).toBe('2024-05-01T12:00:01.030Z');
  });

  it('fractional epoch milliseconds round up to the next millisecond (never early)', () => {
    const trigger = new DateTrigger({ runDate: Date.UTC(2024, 4, 1, 12) + 0.25, timezone: 'UTC' });
    const fired = trigger.getNextFireTime(null, new Date('2024-04-01T00:00:00Z'));
    expect(fired?.toISOString()).toBe('2024-05-01T12:00:00.001Z');
  });
});

describe('DateTrigger without runDate ("run once, now")', () => {
  it("fires at the first call's now exactly, milliseconds included", () => {
    const trigger = new DateTrigger({ timezone: 'UTC' });
    expect(first(trigger, '2024-05-01T12:00:00.500Z')).toBe('2024-05-01T12:00:00.500+00:00');
  });

  it('a whole-second now is the fire time itself', () => {
    const trigger = new DateTrigger({ timezone: 'UTC' });
    expect(first(trigger, '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00+00:00');
  });

  it('the fire time is fixed by the first call; then it finishes', () => {
    const trigger = new DateTrigger({ timezone: 'UTC' });
    const fired = trigger.getNextFireTime(null, new Date('2024-05-01T12:00:00Z'));
    expect(first(trigger, '2024-05-01T12:10:00Z')).toBe('2024-05-01T12:00:00+00:00');
    expect(trigger.getNextFireTime(fired, fired as Date)).toBeNull();
  });
});

describe('DateTrigger runDate inputs', () => {
  /** The (only) fire time of a DateTrigger, asked long before it. */
  const fireTime = (runDate: string | number | Date, timezone: string): Date => {
    const fired = new DateTrigger({ runDate, timezone }).getNextFireTime(
      null,
      new Date('2000-01-01T00:00:00Z'),
    );
    if (fired === null) throw new Error('the trigger returned no fire time');
    return fired;
  };

  it('a naive string is read in the trigger zone (Europe/Berlin, summer time)', () => {
    expect(iso(fireTime('2024-03-31 12:00', 'Europe/Berlin'), BERLIN)).toBe(
      '2024-03-31T12:00:00+02:00',
    );
    expect(fireTime('2024-03-31 12:00', 'Europe/Berlin').toISOString()).toBe(
      '2024-03-31T10:00:00.000Z',
    );
  });

  it("a naive string with 'T' and seconds reads the same way (winter time)", () => {
    expect(fireTime('2024-01-15T08:30:15', 'Europe/Berlin').toISOString()).toBe(
      '2024-01-15T07:30:15.000Z',
    );
  });

  it("'Z' overrides the trigger zone", () => {
    const t = fireTime('2024-03-31T12:00:00Z', 'Europe/Berlin');
    expect(t.toISOString()).toBe('2024-03-31T12:00:00.000Z');
    expect(iso(t, BERLIN)).toBe('2024-03-31T14:00:00+02:00');
  });

  it('an explicit offset overrides the trigger zone', () => {
    const t = fireTime('2024-03-31T12:00:00+05:30', 'Europe/Berlin');
    expect(t.toISOString()).toBe('2024-03-31T06:30:00.000Z');
    expect(iso(t, BERLIN)).toBe('2024-03-31T08:30:00+02:00');
  });

  it("'2009-7-6' (one-digit month and day, date only) is midnight of that day in the zone", () => {
    const newYork = getZone('America/New_York');
    expect(iso(fireTime('2009-7-6', 'America/New_York'), newYork)).toBe(
      '2009-07-06T00:00:00-04:00',
    );
    expect(iso(fireTime('2009-7-6', 'UTC'))).toBe('2009-07-06T00:00:00+00:00');
  });

  it('a Date and epoch milliseconds are instants, whatever the zone', () => {
    const instant = Date.UTC(2024, 4, 1, 12, 0, 0);
    expect(fireTime(new Date(instant), 'Asia/Tokyo').getTime()).toBe(instant);
    expect(fireTime(instant, 'America/New_York').getTime()).toBe(instant);
  });
});

describe('DateTrigger toString', () => {
  it('prints the run date with the zone offset: date[2024-03-31 03:30:00+02:00]', () => {
    expect(
      String(new DateTrigger({ runDate: '2024-03-31 03:30', timezone: 'Europe/Berlin' })),
    ).toBe('date[2024-03-31 03:30:00+02:00]');
  });

  it('prints milliseconds only when the run date has some: date[2024-03-31 03:30:00.250+02:00]', () => {
    expect(
      String(new DateTrigger({ runDate: '2024-03-31 03:30:00.250', timezone: 'Europe/Berlin' })),
    ).toBe('date[2024-03-31 03:30:00.250+02:00]');
  });

  it('prints UTC as +00:00', () => {
    expect(String(new DateTrigger({ runDate: '2024-05-01T12:00:00Z', timezone: 'UTC' }))).toBe(
      'date[2024-05-01 12:00:00+00:00]',
    );
  });
});

describe('DateTrigger JSON round trip', () => {
  it('a restored trigger fires at the same time, prints the same and then finishes', () => {
    const original = new DateTrigger({ runDate: '2024-03-31 03:30', timezone: 'Europe/Berlin' });
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(original.toJSON())));
    expect(restored).toBeInstanceOf(DateTrigger);
    expect(String(restored)).toBe(String(original));
    const now = new Date('2024-01-01T00:00:00Z');
    const fired = restored.getNextFireTime(null, now);
    expect(iso(fired, BERLIN)).toBe('2024-03-31T03:30:00+02:00');
    expect(iso(original.getNextFireTime(null, now), BERLIN)).toBe('2024-03-31T03:30:00+02:00');
    expect(restored.getNextFireTime(fired, fired as Date)).toBeNull();
  });

  it('keeps the milliseconds of runDate: the JSON holds them and the restored trigger fires at them', () => {
    const original = new DateTrigger({ runDate: '2024-05-01T12:00:00.250Z', timezone: 'UTC' });
    const json = JSON.parse(JSON.stringify(original.toJSON()));
    expect(json).toEqual({
      type: 'date',
      version: 1,
      runDate: '2024-05-01T12:00:00.250Z',
      timezone: 'UTC',
    });
    expect(first(triggerFromJSON(json), '2024-01-01T00:00:00Z')).toBe(
      '2024-05-01T12:00:00.250+00:00',
    );
  });

  it('restores a date trigger stored by earlier releases (whole seconds) unchanged', () => {
    // The JSON written before date triggers kept milliseconds: runDate rounded up to a whole second.
    const stored = {
      type: 'date',
      version: 1,
      runDate: '2024-03-31T01:30:01.000Z',
      timezone: 'Europe/Berlin',
    };
    const restored = triggerFromJSON(stored);
    expect(String(restored)).toBe('date[2024-03-31 03:30:01+02:00]');
    const fired = restored.getNextFireTime(null, new Date('2024-01-01T00:00:00Z'));
    expect(fired?.toISOString()).toBe('2024-03-31T01:30:01.000Z');
    expect(restored.getNextFireTime(fired, fired as Date)).toBeNull();
    expect(restored.toJSON()).toEqual(stored);
  });

  it('a trigger without runDate keeps the time fixed by its first call', () => {
    const trigger = new DateTrigger({ timezone: 'UTC' });
    trigger.getNextFireTime(null, new Date('2024-05-01T12:00:00Z'));
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    expect(first(restored, '2024-05-02T00:00:00Z')).toBe('2024-05-01T12:00:00+00:00');
  });

  it('a trigger without runDate keeps the milliseconds of its first call through JSON', () => {
    const trigger = new DateTrigger({ timezone: 'UTC' });
    trigger.getNextFireTime(null, new Date('2024-05-01T12:00:00.007Z'));
    expect(trigger.toJSON().runDate).toBe('2024-05-01T12:00:00.007Z');
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    expect(first(restored, '2024-05-02T00:00:00Z')).toBe('2024-05-01T12:00:00.007+00:00');
  });
});
