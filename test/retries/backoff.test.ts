/**
 * The backoff of `retry` and the checks of `retry` and `overlap`: the waits
 * grow by `factor` from `delay` up to `maxDelay`, jitter stays between half
 * the wait and all of it, and bad input names the field at fault.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsyncScheduler, InvalidJobOptionError, silentLogger } from '../../src/index.ts';
import {
  checkOverlap,
  checkRetry,
  isRetryPolicy,
  type RetryPolicy,
  retriesLeft,
  retryDelayMs,
} from '../../src/jobs/retry.ts';

const policy = (fields: Partial<RetryPolicy> = {}): RetryPolicy =>
  checkRetry({ attempts: 5, ...fields }) as RetryPolicy;

describe('the backoff', () => {
  it('starts at delay and grows by factor', () => {
    const p = policy({ delay: 1, factor: 2 });
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(p, n))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('stops growing at maxDelay', () => {
    const p = policy({ delay: 10, factor: 3, maxDelay: 60 });
    expect([1, 2, 3, 4].map((n) => retryDelayMs(p, n))).toEqual([10000, 30000, 60000, 60000]);
  });

  it('waits the same each time with factor 1, and not at all with delay 0', () => {
    expect(retryDelayMs(policy({ delay: 7, factor: 1 }), 9)).toBe(7000);
    expect(retryDelayMs(policy({ delay: 0 }), 3)).toBe(0);
  });

  it('never overflows after many failures', () => {
    const p = checkRetry({ attempts: 1000, delay: 1, factor: 10, maxDelay: 300 }) as RetryPolicy;
    expect(retryDelayMs(p, 1000)).toBe(300000);
  });

  it('with jitter waits between half the backoff and all of it', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (delay, factor, attempt, random) => {
          const plain = policy({ delay, factor, maxDelay: 300 });
          const jittered = { ...plain, jitter: true };
          const full = retryDelayMs(plain, attempt);
          const waited = retryDelayMs(jittered, attempt, () => random);
          expect(waited).toBeGreaterThanOrEqual(Math.floor(full / 2));
          expect(waited).toBeLessThanOrEqual(full);
        },
      ),
    );
    const p = policy({ delay: 8, jitter: true });
    expect(retryDelayMs(p, 1, () => 0)).toBe(4000);
    expect(retryDelayMs(p, 1, () => 0.999999)).toBe(8000);
  });

  it('counts attempts: `attempts` more runs after the first', () => {
    const p = policy({ attempts: 2 } as Partial<RetryPolicy>);
    expect([1, 2, 3].map((n) => retriesLeft(p, n))).toEqual([true, true, false]);
    expect(retriesLeft(null, 1)).toBe(false);
    expect(retriesLeft(policy({ attempts: 0 } as Partial<RetryPolicy>), 1)).toBe(false);
  });
});

describe('the retry option', () => {
  it('fills in the defaults', () => {
    expect(checkRetry({ attempts: 3 })).toEqual({
      attempts: 3,
      delay: 1,
      factor: 2,
      maxDelay: 300,
      jitter: false,
    });
    expect(checkRetry(null)).toBeNull();
    expect(isRetryPolicy(checkRetry({ attempts: 3, jitter: true }))).toBe(true);
    expect(isRetryPolicy({ attempts: 3 })).toBe(false);
    expect(isRetryPolicy({ attempts: -1, delay: 1, factor: 2, maxDelay: 300, jitter: false })).toBe(
      false,
    );
  });

  const cases: [unknown, string, RegExp][] = [
    [{ attempts: -1 }, 'retry.attempts', /whole number from 0/],
    [{ attempts: 1.5 }, 'retry.attempts', /whole number/],
    [{}, 'retry.attempts', /got undefined/],
    [{ attempts: Number.POSITIVE_INFINITY }, 'retry.attempts', /whole number/],
    [{ attempts: 1, delay: Number.NaN }, 'retry.delay', /0 or more/],
    [{ attempts: 1, delay: -1 }, 'retry.delay', /0 or more/],
    [{ attempts: 1, factor: 0.5 }, 'retry.factor', /1 or more/],
    [{ attempts: 1, factor: Number.POSITIVE_INFINITY }, 'retry.factor', /1 or more/],
    [{ attempts: 1, delay: 10, maxDelay: 5 }, 'retry.maxDelay', /not be less than retry.delay/],
    [{ attempts: 1, jitter: 'yes' }, 'retry.jitter', /true or false/],
    [{ attempts: 1, dleay: 2 }, 'retry.dleay', /did you mean "delay"/],
    [3, 'retry', /an object such as/],
  ];
  it.each(cases)('refuses %j naming %s', (value, field, message) => {
    let thrown: unknown;
    try {
      checkRetry(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidJobOptionError);
    expect((thrown as InvalidJobOptionError).option).toBe(field);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('the overlap option', () => {
  it('takes skip, queue and replace', () => {
    for (const value of ['skip', 'queue', 'replace']) expect(checkOverlap(value)).toBe(value);
  });

  it('refuses anything else, with a suggestion', () => {
    expect(() => checkOverlap('queued')).toThrow(/did you mean 'queue'\?/);
    expect(() => checkOverlap(1)).toThrow(InvalidJobOptionError);
  });

  it('is checked by addJob and modifyJob', async () => {
    const scheduler = new AsyncScheduler({ logger: silentLogger });
    await expect(
      scheduler.addJob(() => {}, 'interval', { seconds: 1, overlap: 'Replace' as never }),
    ).rejects.toMatchObject({ name: 'InvalidJobOptionError', option: 'overlap' });
    await expect(
      scheduler.addJob(() => {}, 'interval', { seconds: 1, retry: { attempts: -2 } }),
    ).rejects.toMatchObject({ name: 'InvalidJobOptionError', option: 'retry.attempts' });
    const job = await scheduler.addJob(() => {}, 'interval', {
      seconds: 1,
      retry: { attempts: 2 },
      overlap: 'queue',
    });
    expect(job.retry).toMatchObject({ attempts: 2, delay: 1 });
    expect(job.overlap).toBe('queue');
    await expect(
      scheduler.modifyJob(job.id, { retry: { attempts: 1, factor: 0 } }),
    ).rejects.toMatchObject({
      option: 'retry.factor',
    });
  });
});
