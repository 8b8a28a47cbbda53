/**
 * `horarium next` says a crontab line in words: the crontab forms of other
 * tools (L-n, #L, weekday ranges before L or #, wide steps, `?`) and hashed
 * fields (H), described by the values they fire at.
 */
import { describe, expect, it } from 'vitest';
import { describeTrigger } from '../../src/cli/commands/next.ts';
import { CronTrigger } from '../../src/index.ts';

const words = (line: string, seed?: string): string =>
  describeTrigger(
    CronTrigger.fromCrontab(
      line,
      seed === undefined ? { timezone: 'UTC' } : { timezone: 'UTC', seed },
    ),
  );

describe('crontab forms in words', () => {
  it.each([
    ['0 9 L-2 * *', 'at 09:00 on the day 2 days before the last day of the month'],
    ['0 9 L-1 * *', 'at 09:00 on the day before the last day of the month'],
    ['0 9 L-0 * *', 'at 09:00 on the last day of the month'],
    ['0 9 L-1W * *', 'at 09:00 on the weekday nearest the day before the last day of the month'],
    [
      '0 9 L-3W * *',
      'at 09:00 on the weekday nearest the day 3 days before the last day of the month',
    ],
    ['0 9 * * 5#L', 'at 09:00 on the last Friday of the month'],
    ['0 9 * * FRI#L', 'at 09:00 on the last Friday of the month'],
    [
      '0 9 * * MON-FRIL',
      'at 09:00 on the last Monday, Tuesday, Wednesday, Thursday and Friday of the month',
    ],
    ['0 9 * * 5-6#L', 'at 09:00 on the last Friday and Saturday of the month'],
    [
      '0 9 * * 1-5#2',
      'at 09:00 on the second Monday, Tuesday, Wednesday, Thursday and Friday of the month',
    ],
    ['0 9 * * 1/2', 'at 09:00 on Monday, Wednesday, Friday and Sunday'],
    ['0 9 * * 6/1', 'at 09:00 on Saturday and Sunday'],
    ['*/60 * * * *', 'at minute 0 past every hour'],
    ['0 */24 * * *', 'at 00:00 every day'],
    ['0 0 1-5/10 * *', 'at 00:00 on the 1st of the month'],
    ['? 9 * * *', 'every minute from 09:00 to 09:59 every day'],
    ['0 ? * * *', 'at minute 0 past every hour'],
    ['0 12 1 * +MON', 'at 12:00 on the 1st of the month if it is Monday'],
  ])("'%s': %s", (line, expected) => {
    expect(words(line)).toBe(expected);
  });

  it('a stepped range reads as its values: 5-59/15 → minutes 5, 20, 35 and 50', () => {
    expect(words('5-59/15 * * * *')).toBe('at minutes 5, 20, 35 and 50 past every hour');
  });
});

describe('hashed fields in words', () => {
  it("say the values they fire at and the seed: 'H H * * *' for 'job-1' is 02:42", () => {
    expect(words('H H * * *', 'job-1')).toBe('at 02:42 every day (H hashed from seed "job-1")');
  });

  it("'H/15' for 'job-1' is minutes 10, 25, 40 and 55", () => {
    expect(words('H/15 * * * *', 'job-1')).toBe(
      'at minutes 10, 25, 40 and 55 past every hour (H hashed from seed "job-1")',
    );
  });

  it("'H#3' for 'job-2' is the third Wednesday", () => {
    expect(words('0 9 * * H#3', 'job-2')).toBe(
      'at 09:00 on the third Wednesday of the month (H hashed from seed "job-2")',
    );
  });

  it('without a seed they say that a job hashes its id', () => {
    expect(words('H * * * *')).toBe(
      'at minute 14 past every hour (H hashed from the empty seed; a job hashes its id, see --seed)',
    );
  });
});
