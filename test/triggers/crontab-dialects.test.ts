/**
 * Crontab lines as users of Vixie cron, croner, cron-parser, Quartz and
 * Jenkins write them (SPEC §2 "Triggers": `fromCrontab` and its extensions),
 * and the field form, which keeps its own grammar.
 *
 * Expected fire times are literal ISO strings in a named zone, worked out by
 * hand from a calendar (weekdays and month lengths checked independently of
 * the code under test). Chains: t0 = getNextFireTime(null, now), then
 * t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import { CronSyntaxError, CronTrigger, InvalidTriggerError } from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { chain } from '../helpers/trigger-chains.ts';

const NEW_YORK = getZone('America/New_York');
const BERLIN = getZone('Europe/Berlin');

/** A crontab line in New York, its chain from `now` formatted in New York. */
const ny = (expression: string, now: string, count: number): (string | null)[] =>
  chain(
    CronTrigger.fromCrontab(expression, { timezone: 'America/New_York' }),
    now,
    count,
    NEW_YORK,
  );

/** A crontab line in Berlin, its chain from `now` formatted in Berlin. */
const berlin = (expression: string, now: string, count: number): (string | null)[] =>
  chain(CronTrigger.fromCrontab(expression, { timezone: 'Europe/Berlin' }), now, count, BERLIN);

describe('a step at least as large as its range selects the first value (Vixie cron)', () => {
  it("'*/60 * * * *' fires at minute 0 of every hour", () => {
    expect(berlin('*/60 * * * *', '2024-05-01T12:07:00+02:00', 3)).toEqual([
      '2024-05-01T13:00:00+02:00',
      '2024-05-01T14:00:00+02:00',
      '2024-05-01T15:00:00+02:00',
    ]);
  });

  it("'0 */24 * * *' fires at midnight every day", () => {
    expect(berlin('0 */24 * * *', '2024-05-01T12:00:00+02:00', 3)).toEqual([
      '2024-05-02T00:00:00+02:00',
      '2024-05-03T00:00:00+02:00',
      '2024-05-04T00:00:00+02:00',
    ]);
  });

  it("'0 0 */31 * *' fires on the 1st and '0 0 1 */12 *' on January 1", () => {
    expect(berlin('0 0 */31 * *', '2024-05-01T12:00:00+02:00', 2)).toEqual([
      '2024-06-01T00:00:00+02:00',
      '2024-07-01T00:00:00+02:00',
    ]);
    expect(berlin('0 0 1 */12 *', '2024-05-01T12:00:00+02:00', 2)).toEqual([
      '2025-01-01T00:00:00+01:00',
      '2026-01-01T00:00:00+01:00',
    ]);
  });

  it("a range with a wider step is its first value: '0-59/60' is minute 0, '0 9 1-5/10 * *' the 1st", () => {
    expect(berlin('0-59/60 * * * *', '2024-05-01T12:07:00+02:00', 2)).toEqual([
      '2024-05-01T13:00:00+02:00',
      '2024-05-01T14:00:00+02:00',
    ]);
    expect(berlin('0 9 1-5/10 * *', '2024-05-01T12:00:00+02:00', 2)).toEqual([
      '2024-06-01T09:00:00+02:00',
      '2024-07-01T09:00:00+02:00',
    ]);
  });

  it("weekdays: '0 0 * * */7' is Sunday only", () => {
    // 2024-05-01 is a Wednesday.
    expect(berlin('0 0 * * */7', '2024-05-01T12:00:00+02:00', 2)).toEqual([
      '2024-05-05T00:00:00+02:00',
      '2024-05-12T00:00:00+02:00',
    ]);
  });

  it("the field form keeps APScheduler's rule: minute='*/60' is an error", () => {
    expect(() => new CronTrigger({ minute: '*/60', timezone: 'UTC' })).toThrow(
      /Invalid minute expression "\*\/60": the step 60 is larger than the range it divides \(59\)/,
    );
  });
});

describe("'?' is '*' in every field of a crontab line", () => {
  it("'? 9 * * *' fires every minute from 09:00 to 09:59", () => {
    expect(ny('? 9 * * *', '2024-05-01T09:58:00-04:00', 3)).toEqual([
      '2024-05-01T09:58:00-04:00',
      '2024-05-01T09:59:00-04:00',
      '2024-05-02T09:00:00-04:00',
    ]);
  });

  it("'30 ? * * *' fires at :30 every hour", () => {
    expect(ny('30 ? * * *', '2024-05-01T09:58:00-04:00', 2)).toEqual([
      '2024-05-01T10:30:00-04:00',
      '2024-05-01T11:30:00-04:00',
    ]);
  });

  it("'0 12 ? * mon' (day of month) and '0 12 15 * ?' (day of week) restrict only the other day field", () => {
    // 2024-05-01 is a Wednesday; the Mondays are the 6th and 13th.
    expect(ny('0 12 ? * mon', '2024-05-01T00:00:00-04:00', 2)).toEqual([
      '2024-05-06T12:00:00-04:00',
      '2024-05-13T12:00:00-04:00',
    ]);
    expect(ny('0 12 15 * ?', '2024-05-01T00:00:00-04:00', 2)).toEqual([
      '2024-05-15T12:00:00-04:00',
      '2024-06-15T12:00:00-04:00',
    ]);
  });

  it("'0 0 1 ? *' (month) fires on the 1st of every month", () => {
    expect(ny('0 0 1 ? *', '2024-05-02T00:00:00-04:00', 2)).toEqual([
      '2024-06-01T00:00:00-04:00',
      '2024-07-01T00:00:00-04:00',
    ]);
  });

  it("'? 0 9 * * *' (seconds) fires every second of 09:00", () => {
    expect(ny('? 0 9 * * *', '2024-05-01T09:00:58-04:00', 3)).toEqual([
      '2024-05-01T09:00:58-04:00',
      '2024-05-01T09:00:59-04:00',
      '2024-05-02T09:00:00-04:00',
    ]);
  });

  it("'0 0 0 1 1 ? ?' (year) fires on every January 1", () => {
    expect(ny('0 0 0 1 1 ? ?', '2024-05-01T00:00:00-04:00', 2)).toEqual([
      '2025-01-01T00:00:00-05:00',
      '2026-01-01T00:00:00-05:00',
    ]);
  });

  it("an hour of '?' is a wildcard hour for the DST policy: '30 ? * * *' has no 02:30 on spring-forward night", () => {
    expect(berlin('30 ? * * *', '2024-03-31T00:00:00+01:00', 3)).toEqual([
      '2024-03-31T00:30:00+01:00',
      '2024-03-31T01:30:00+01:00',
      '2024-03-31T03:30:00+02:00',
    ]);
  });

  it("the field form still takes '?' only in the day fields, and says what to write", () => {
    expect(() => new CronTrigger({ minute: '?', timezone: 'UTC' })).toThrow(
      /Invalid minute expression "\?": "\?" is only allowed in the day and dayOfWeek fields: write "\*"/,
    );
  });
});

describe("day of week 'a/c' runs to 7 (Sunday again), as in cron-parser", () => {
  // 2024-05-01 is a Wednesday.
  it("'1/2' is Monday, Wednesday, Friday and Sunday", () => {
    expect(ny('0 9 * * 1/2', '2024-05-01T00:00:00-04:00', 5)).toEqual([
      '2024-05-01T09:00:00-04:00',
      '2024-05-03T09:00:00-04:00',
      '2024-05-05T09:00:00-04:00',
      '2024-05-06T09:00:00-04:00',
      '2024-05-08T09:00:00-04:00',
    ]);
  });

  it("'1/2' is the same as '1-7/2'", () => {
    expect(ny('0 9 * * 1/2', '2024-05-01T00:00:00-04:00', 12)).toEqual(
      ny('0 9 * * 1-7/2', '2024-05-01T00:00:00-04:00', 12),
    );
  });

  it("'6/1' is Saturday and Sunday", () => {
    expect(ny('0 9 * * 6/1', '2024-05-01T00:00:00-04:00', 4)).toEqual([
      '2024-05-04T09:00:00-04:00',
      '2024-05-05T09:00:00-04:00',
      '2024-05-11T09:00:00-04:00',
      '2024-05-12T09:00:00-04:00',
    ]);
  });

  it("the field form keeps 'a/c' up to 6: dayOfWeek='1/2' is Monday, Wednesday and Friday", () => {
    const trigger = new CronTrigger({ dayOfWeek: '1/2', hour: 9, timezone: 'America/New_York' });
    expect(chain(trigger, '2024-05-01T00:00:00-04:00', 4, NEW_YORK)).toEqual([
      '2024-05-01T09:00:00-04:00',
      '2024-05-03T09:00:00-04:00',
      '2024-05-06T09:00:00-04:00',
      '2024-05-08T09:00:00-04:00',
    ]);
  });
});

describe("'L-n': n days before the last day of the month (Quartz)", () => {
  it("'L-2' is the 27th of February in a leap year (29 days)", () => {
    expect(ny('0 9 L-2 2 *', '2024-01-01T00:00:00-05:00', 1)).toEqual([
      '2024-02-27T09:00:00-05:00',
    ]);
  });

  it("'L-2' is the 26th of February in a common year (28 days)", () => {
    expect(ny('0 9 L-2 2 *', '2023-01-01T00:00:00-05:00', 1)).toEqual([
      '2023-02-26T09:00:00-05:00',
    ]);
  });

  it("'L-2' follows the month length: 29 Jan, 27 Feb, 29 Mar, 28 Apr 2024", () => {
    expect(ny('0 9 L-2 * *', '2024-01-01T00:00:00-05:00', 4)).toEqual([
      '2024-01-29T09:00:00-05:00',
      '2024-02-27T09:00:00-05:00',
      '2024-03-29T09:00:00-04:00',
      '2024-04-28T09:00:00-04:00',
    ]);
  });

  it("'L-0' is the last day, the same as 'L'", () => {
    expect(ny('0 9 L-0 * *', '2024-01-01T00:00:00-05:00', 2)).toEqual([
      '2024-01-31T09:00:00-05:00',
      '2024-02-29T09:00:00-05:00',
    ]);
  });

  it("'L-30' is the 1st of 31-day months only", () => {
    expect(ny('0 9 L-30 * *', '2024-02-01T12:00:00-05:00', 2)).toEqual([
      '2024-03-01T09:00:00-05:00',
      '2024-05-01T09:00:00-04:00',
    ]);
  });

  it("combines with a list: '0 9 1,L-1 * *' is the 1st and the day before the last", () => {
    expect(ny('0 9 1,L-1 * *', '2024-02-02T00:00:00-05:00', 3)).toEqual([
      '2024-02-28T09:00:00-05:00',
      '2024-03-01T09:00:00-05:00',
      '2024-03-30T09:00:00-04:00',
    ]);
  });
});

describe("'L-nW': the weekday nearest n days before the last day", () => {
  it('a weekday stays: 30 August 2024 is a Friday', () => {
    expect(ny('0 9 L-1W 8 *', '2024-01-01T00:00:00-05:00', 1)).toEqual([
      '2024-08-30T09:00:00-04:00',
    ]);
  });

  it('a Saturday moves to the Friday before: 30 March 2024 → Friday the 29th', () => {
    expect(ny('0 9 L-1W 3 *', '2024-01-01T00:00:00-05:00', 1)).toEqual([
      '2024-03-29T09:00:00-04:00',
    ]);
  });

  it('a Sunday moves to the Monday after: 29 September 2024 → Monday the 30th', () => {
    expect(ny('0 9 L-1W 9 *', '2024-01-01T00:00:00-05:00', 1)).toEqual([
      '2024-09-30T09:00:00-04:00',
    ]);
  });

  it('a Saturday on the 1st moves forward, never out of the month: L-29W in June 2024 is Monday the 3rd', () => {
    // June 2024 has 30 days and starts on a Saturday: L-29 is the 1st.
    expect(ny('0 9 L-29W 6 *', '2024-01-01T00:00:00-05:00', 1)).toEqual([
      '2024-06-03T09:00:00-04:00',
    ]);
  });
});

describe("'#L' and weekday ranges before 'L' and '#' (croner)", () => {
  it("'5#L' is the last Friday: the 23rd of a February with four Fridays, the 29th of a March with five", () => {
    // February 2024: Fridays 2, 9, 16, 23. March 2024: Fridays 1, 8, 15, 22, 29.
    expect(ny('0 9 * * 5#L', '2024-02-01T00:00:00-05:00', 2)).toEqual([
      '2024-02-23T09:00:00-05:00',
      '2024-03-29T09:00:00-04:00',
    ]);
  });

  it("'FRI#L' and 'FRIL' are the same as '5#L' and '5L'", () => {
    const expected = ny('0 9 * * 5#L', '2024-01-01T00:00:00-05:00', 12);
    expect(ny('0 9 * * FRI#L', '2024-01-01T00:00:00-05:00', 12)).toEqual(expected);
    expect(ny('0 9 * * FRIL', '2024-01-01T00:00:00-05:00', 12)).toEqual(expected);
    expect(ny('0 9 * * 5L', '2024-01-01T00:00:00-05:00', 12)).toEqual(expected);
  });

  it("'MON-FRIL' is the last Monday, Tuesday, Wednesday, Thursday and Friday of the month", () => {
    expect(ny('0 9 * * MON-FRIL', '2024-05-01T00:00:00-04:00', 6)).toEqual([
      '2024-05-27T09:00:00-04:00',
      '2024-05-28T09:00:00-04:00',
      '2024-05-29T09:00:00-04:00',
      '2024-05-30T09:00:00-04:00',
      '2024-05-31T09:00:00-04:00',
      '2024-06-24T09:00:00-04:00',
    ]);
  });

  it("'5-6#L' is the last Friday and the last Saturday", () => {
    // June 2024: last Friday the 28th, last Saturday the 29th.
    expect(ny('0 9 * * 5-6#L', '2024-06-01T00:00:00-04:00', 2)).toEqual([
      '2024-06-28T09:00:00-04:00',
      '2024-06-29T09:00:00-04:00',
    ]);
  });

  it("'1-5#2' is the second Monday … second Friday", () => {
    // May 2024: second Wednesday 8, Thursday 9, Friday 10, Monday 13, Tuesday 14.
    expect(ny('0 9 * * 1-5#2', '2024-05-01T00:00:00-04:00', 5)).toEqual([
      '2024-05-08T09:00:00-04:00',
      '2024-05-09T09:00:00-04:00',
      '2024-05-10T09:00:00-04:00',
      '2024-05-13T09:00:00-04:00',
      '2024-05-14T09:00:00-04:00',
    ]);
  });

  it('the field form refuses them and says what to write there', () => {
    expect(() => new CronTrigger({ dayOfWeek: '5#L', timezone: 'UTC' })).toThrow(
      /"5#L" is crontab syntax, not accepted in the field form: write "5L"/,
    );
    expect(() => new CronTrigger({ dayOfWeek: 'MON-FRIL', timezone: 'UTC' })).toThrow(
      /list the weekdays: "monL,tueL,wedL,thuL,friL"/,
    );
    expect(() => new CronTrigger({ day: 'L-2', timezone: 'UTC' })).toThrow(
      /"L-2" is crontab syntax, not accepted in the field form: pass the line to CronTrigger\.fromCrontab/,
    );
  });
});

describe("croner's '+' before the day of week: day AND weekday", () => {
  it("'0 12 1 * +MON' fires only when the 1st is a Monday", () => {
    expect(ny('0 12 1 * +MON', '2024-01-02T00:00:00-05:00', 3)).toEqual([
      '2024-04-01T12:00:00-04:00',
      '2024-07-01T12:00:00-04:00',
      '2025-09-01T12:00:00-04:00',
    ]);
  });

  it("conflicts with dayMatching: 'or'", () => {
    expect(() =>
      CronTrigger.fromCrontab('0 12 1 * +MON', { timezone: 'UTC', dayMatching: 'or' }),
    ).toThrow(InvalidTriggerError);
  });
});

describe('nicknames of cron-parser', () => {
  it.each([
    ['@weekdays', '0 0 * * 1-5'],
    ['@weekends', '0 0 * * 0,6'],
    ['@minutely', '* * * * *'],
    ['@secondly', '* * * * * *'],
  ])('%s is %s', (nickname, line) => {
    expect(ny(nickname, '2024-05-03T23:59:58-04:00', 4)).toEqual(
      ny(line, '2024-05-03T23:59:58-04:00', 4),
    );
  });

  it('@weekdays fires at midnight from Monday to Friday', () => {
    // 2024-05-03 is a Friday.
    expect(ny('@weekdays', '2024-05-03T12:00:00-04:00', 2)).toEqual([
      '2024-05-06T00:00:00-04:00',
      '2024-05-07T00:00:00-04:00',
    ]);
  });

  it('@midnight stays 00:00 (Jenkins hashes it; write H H(0-2) * * * for that)', () => {
    expect(ny('@midnight', '2024-05-01T12:00:00-04:00', 1)).toEqual(['2024-05-02T00:00:00-04:00']);
  });
});

describe('serialization of crontab triggers', () => {
  const roundTrip = (trigger: CronTrigger): CronTrigger =>
    triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON()))) as CronTrigger;

  it('a line that means the same in the field form is stored in the version 1 format', () => {
    const trigger = CronTrigger.fromCrontab('30 2 * * mon-fri', { timezone: 'Europe/Berlin' });
    expect(trigger.toJSON()).toEqual({
      type: 'cron',
      version: 1,
      fields: { minute: '30', hour: '2', day: '*', month: '*', dayOfWeek: 'mon-fri' },
      dayMatching: 'or',
      timezone: 'Europe/Berlin',
      startDate: null,
      endDate: null,
      jitter: null,
      dst: null,
    });
  });

  it.each([
    '*/60 * * * *',
    '0 0 L-2 * *',
    '0 9 * * 1/2',
    '0 9 * * 5#L',
    '? ? * * *',
    '0 9 L-1W * MON-FRIL',
  ])("'%s' is stored as crontab syntax (version 2) and restores to the same fire times", (line) => {
    const trigger = CronTrigger.fromCrontab(line, { timezone: 'America/New_York' });
    const json = trigger.toJSON();
    expect(json).toMatchObject({ type: 'cron', version: 2, syntax: 'crontab' });
    const restored = roundTrip(trigger);
    expect(restored.syntax).toBe('crontab');
    expect(chain(restored, '2024-01-01T00:00:00-05:00', 20, NEW_YORK)).toEqual(
      chain(trigger, '2024-01-01T00:00:00-05:00', 20, NEW_YORK),
    );
  });

  it('a stored trigger of the version 1 format loads unchanged: dayOfWeek 1/2 stays Monday, Wednesday, Friday', () => {
    const stored = {
      type: 'cron',
      version: 1,
      fields: { minute: '0', hour: '9', day: '*', month: '*', dayOfWeek: '1/2' },
      dayMatching: 'or',
      timezone: 'America/New_York',
      startDate: null,
      endDate: null,
      jitter: null,
      dst: null,
    };
    const restored = triggerFromJSON(stored) as CronTrigger;
    expect(restored.syntax).toBe('fields');
    expect(chain(restored, '2024-05-01T00:00:00-04:00', 4, NEW_YORK)).toEqual([
      '2024-05-01T09:00:00-04:00',
      '2024-05-03T09:00:00-04:00',
      '2024-05-06T09:00:00-04:00',
      '2024-05-08T09:00:00-04:00',
    ]);
    expect(restored.toJSON()).toEqual(stored);
  });

  it('an unknown syntax in a version 2 state is refused', () => {
    expect(() =>
      triggerFromJSON({
        type: 'cron',
        version: 2,
        syntax: 'quartz',
        fields: { minute: '0' },
        dayMatching: 'or',
        timezone: 'UTC',
        startDate: null,
        endDate: null,
        jitter: null,
        dst: null,
      }),
    ).toThrow(/unknown cron syntax "quartz"/);
  });
});

describe('malformed forms of the new syntax', () => {
  it.each<[string, string, string, RegExp]>([
    ['0 0 L-31 * *', 'day', 'L-31', /L-n counts back at most 30/],
    ['0 0 L-x * *', 'day', 'L-x', /expected L, LW, L-n or L-nW/],
    ['0 0 L-2X * *', 'day', 'L-2X', /expected L, LW, L-n or L-nW/],
    ['0 0 * * FRI#X', 'dayOfWeek', 'FRI#X', /expected weekday#n with n from 1 to 5, or weekday#L/],
    ['0 0 * * FRI#6', 'dayOfWeek', 'FRI#6', /must be between #1 and #5/],
    ['0 0 * * MON-FUNL', 'dayOfWeek', 'MON-FUNL', /unknown weekday name "fun"/],
  ])("'%s' names %s and '%s'", (line, field, text, reason) => {
    let error: unknown;
    try {
      CronTrigger.fromCrontab(line, { timezone: 'UTC' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CronSyntaxError);
    expect((error as CronSyntaxError).field).toBe(field);
    expect((error as CronSyntaxError).expression).toBe(text);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('H: a value hashed from a seed (Jenkins, cron-parser)', () => {
  /** A crontab line with a seed in New York, its chain formatted in New York. */
  const seeded = (
    expression: string,
    seed: string,
    now: string,
    count: number,
  ): (string | null)[] =>
    chain(
      CronTrigger.fromCrontab(expression, { timezone: 'America/New_York', seed }),
      now,
      count,
      NEW_YORK,
    );

  // The values below follow from the documented hash (FNV-1a over the UTF-8 seed, a 0 byte and
  // the field name; value = a + ⌊h / 2^32 · n⌋), worked out with an independent implementation.
  // A change here moves every stored job that uses H.
  describe('pinned values', () => {
    it("'H * * * *' is minute 42 for seed 'job-1' and minute 37 for 'job-2'", () => {
      expect(seeded('H * * * *', 'job-1', '2024-05-01T09:00:00-04:00', 2)).toEqual([
        '2024-05-01T09:42:00-04:00',
        '2024-05-01T10:42:00-04:00',
      ]);
      expect(seeded('H * * * *', 'job-2', '2024-05-01T09:00:00-04:00', 2)).toEqual([
        '2024-05-01T09:37:00-04:00',
        '2024-05-01T10:37:00-04:00',
      ]);
    });

    it("'H H * * *' is 02:42 for 'job-1' and 17:35 for 'nightly-report' (each field hashed on its own)", () => {
      expect(seeded('H H * * *', 'job-1', '2024-05-01T09:00:00-04:00', 2)).toEqual([
        '2024-05-02T02:42:00-04:00',
        '2024-05-03T02:42:00-04:00',
      ]);
      expect(seeded('H H * * *', 'nightly-report', '2024-05-01T09:00:00-04:00', 1)).toEqual([
        '2024-05-01T17:35:00-04:00',
      ]);
    });

    it("Jenkins' 'H H(0-7) * * *' is a time between 00:00 and 07:59: 05:35 for 'nightly-report'", () => {
      expect(seeded('H H(0-7) * * *', 'nightly-report', '2024-05-01T09:00:00-04:00', 2)).toEqual([
        '2024-05-02T05:35:00-04:00',
        '2024-05-03T05:35:00-04:00',
      ]);
    });

    it("'H/15' starts at a hashed offset below 15: :10, :25, :40, :55 for 'job-1'", () => {
      expect(seeded('H/15 * * * *', 'job-1', '2024-05-01T09:00:00-04:00', 5)).toEqual([
        '2024-05-01T09:10:00-04:00',
        '2024-05-01T09:25:00-04:00',
        '2024-05-01T09:40:00-04:00',
        '2024-05-01T09:55:00-04:00',
        '2024-05-01T10:10:00-04:00',
      ]);
    });

    it("'H(0-29)' is one minute of the first half hour: :21 for 'job-1'", () => {
      expect(seeded('H(0-29) * * * *', 'job-1', '2024-05-01T09:00:00-04:00', 2)).toEqual([
        '2024-05-01T09:21:00-04:00',
        '2024-05-01T10:21:00-04:00',
      ]);
    });

    it("'H(0-29)/10' (Jenkins) steps from a hashed offset below 10 within 0-29: :07, :17, :27 for 'job-1'", () => {
      expect(seeded('H(0-29)/10 * * * *', 'job-1', '2024-05-01T09:00:00-04:00', 4)).toEqual([
        '2024-05-01T09:07:00-04:00',
        '2024-05-01T09:17:00-04:00',
        '2024-05-01T09:27:00-04:00',
        '2024-05-01T10:07:00-04:00',
      ]);
    });

    it("every H of a field takes the same fraction: 'H(0-29),H(30-59)' is :21 and :51 for 'job-1'", () => {
      expect(seeded('H(0-29),H(30-59) * * * *', 'job-1', '2024-05-01T09:00:00-04:00', 3)).toEqual([
        '2024-05-01T09:21:00-04:00',
        '2024-05-01T09:51:00-04:00',
        '2024-05-01T10:21:00-04:00',
      ]);
    });

    it("day, month, weekday and second fields: 'job-1' hashes to the 24th, April, Tuesday and second 49", () => {
      expect(seeded('0 9 H * *', 'job-1', '2024-05-01T00:00:00-04:00', 2)).toEqual([
        '2024-05-24T09:00:00-04:00',
        '2024-06-24T09:00:00-04:00',
      ]);
      expect(seeded('0 9 1 H *', 'job-1', '2024-05-01T00:00:00-04:00', 1)).toEqual([
        '2025-04-01T09:00:00-04:00',
      ]);
      expect(seeded('0 9 * * H', 'job-1', '2024-05-01T00:00:00-04:00', 2)).toEqual([
        '2024-05-07T09:00:00-04:00',
        '2024-05-14T09:00:00-04:00',
      ]);
      expect(seeded('H 0 9 * * *', 'job-1', '2024-05-01T00:00:00-04:00', 1)).toEqual([
        '2024-05-01T09:00:49-04:00',
      ]);
    });

    it("a hashed weekday before # or L (cron-parser): 'H#3' is the third Wednesday for 'job-2', 'HL' the last Tuesday for 'job-1'", () => {
      expect(seeded('0 9 * * H#3', 'job-2', '2024-05-01T00:00:00-04:00', 2)).toEqual([
        '2024-05-15T09:00:00-04:00',
        '2024-06-19T09:00:00-04:00',
      ]);
      expect(seeded('0 9 * * HL', 'job-1', '2024-05-01T00:00:00-04:00', 2)).toEqual([
        '2024-05-28T09:00:00-04:00',
        '2024-06-25T09:00:00-04:00',
      ]);
    });

    it('the seed is hashed as UTF-8: "Zürich" gives minute 13', () => {
      expect(seeded('H * * * *', 'Zürich', '2024-05-01T09:00:00-04:00', 1)).toEqual([
        '2024-05-01T09:13:00-04:00',
      ]);
    });

    it("without a seed (a trigger used on its own) the seed is the empty string: 'H H * * *' is 20:14", () => {
      const trigger = CronTrigger.fromCrontab('H H * * *', { timezone: 'America/New_York' });
      expect(trigger.seed).toBeNull();
      expect(chain(trigger, '2024-05-01T09:00:00-04:00', 1, NEW_YORK)).toEqual([
        '2024-05-01T20:14:00-04:00',
      ]);
    });
  });

  it('fields keep the text as written; resolvedFields holds the hashed values', () => {
    const trigger = CronTrigger.fromCrontab('H/15 H(0-7) * * *', {
      timezone: 'UTC',
      seed: 'job-1',
    });
    expect(trigger.fields.minute).toBe('H/15');
    expect(trigger.fields.hour).toBe('H(0-7)');
    expect(trigger.resolvedFields.minute).toBe('10-59/15');
    expect(trigger.resolvedFields.hour).toBe('0');
    expect(String(trigger)).toBe(
      "cron[month='*', day='*', dayOfWeek='*', hour='H(0-7)', minute='H/15']",
    );
  });

  it('a hashed hour is a fixed hour for the DST policy: 02:42 moves to 03:42 on spring-forward night and fires once on fall-back night (Berlin)', () => {
    const trigger = CronTrigger.fromCrontab('H H * * *', {
      timezone: 'Europe/Berlin',
      seed: 'job-1',
    });
    expect(trigger.dst).toEqual({ gap: 'shift', fold: 'first' });
    expect(chain(trigger, '2024-03-30T12:00:00+01:00', 3, BERLIN)).toEqual([
      '2024-03-31T03:42:00+02:00',
      '2024-04-01T02:42:00+02:00',
      '2024-04-02T02:42:00+02:00',
    ]);
    expect(chain(trigger, '2024-10-26T12:00:00+02:00', 2, BERLIN)).toEqual([
      '2024-10-27T02:42:00+02:00',
      '2024-10-28T02:42:00+01:00',
    ]);
  });

  it("a hashed day of month is restricted: with a day of week the two combine with OR, or AND on request ('job-1': the 24th)", () => {
    // May 2024: Mondays 6, 13, 20, 27; the 24th is a Friday. June 24th is a Monday.
    expect(seeded('0 9 H * mon', 'job-1', '2024-05-15T00:00:00-04:00', 4)).toEqual([
      '2024-05-20T09:00:00-04:00',
      '2024-05-24T09:00:00-04:00',
      '2024-05-27T09:00:00-04:00',
      '2024-06-03T09:00:00-04:00',
    ]);
    const and = CronTrigger.fromCrontab('0 9 H * mon', {
      timezone: 'America/New_York',
      seed: 'job-1',
      dayMatching: 'and',
    });
    expect(chain(and, '2024-05-15T00:00:00-04:00', 1, NEW_YORK)).toEqual([
      '2024-06-24T09:00:00-04:00',
    ]);
  });

  describe('serialization stores the fields as written and the seed', () => {
    const roundTrip = (trigger: CronTrigger): CronTrigger =>
      triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON()))) as CronTrigger;

    it('a seeded trigger restores with its seed and fires at the same times', () => {
      const trigger = CronTrigger.fromCrontab('H/15 H(0-7) * * *', {
        timezone: 'America/New_York',
        seed: 'job-1',
      });
      expect(trigger.toJSON()).toEqual({
        type: 'cron',
        version: 2,
        syntax: 'crontab',
        fields: { minute: 'H/15', hour: 'H(0-7)', day: '*', month: '*', dayOfWeek: '*' },
        seed: 'job-1',
        dayMatching: 'or',
        timezone: 'America/New_York',
        startDate: null,
        endDate: null,
        jitter: null,
        dst: null,
      });
      const restored = roundTrip(trigger);
      expect(restored.seed).toBe('job-1');
      expect(chain(restored, '2024-05-01T00:00:00-04:00', 10, NEW_YORK)).toEqual(
        chain(trigger, '2024-05-01T00:00:00-04:00', 10, NEW_YORK),
      );
    });

    it('an unseeded trigger stores seed null and restores unseeded (the empty-string seed)', () => {
      const trigger = CronTrigger.fromCrontab('H H * * *', { timezone: 'UTC' });
      expect(trigger.toJSON()).toMatchObject({ version: 2, seed: null });
      const restored = roundTrip(trigger);
      expect(restored.seed).toBeNull();
      expect(chain(restored, '2024-05-01T00:00:00Z', 3)).toEqual(
        chain(trigger, '2024-05-01T00:00:00Z', 3),
      );
    });
  });
});
