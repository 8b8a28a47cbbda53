/**
 * Printing instants (src/time/format.ts): the text of `printJobs`, `job.toString()`,
 * trigger descriptions and the CLI. Whole seconds print as APScheduler prints a
 * datetime; milliseconds appear only when they are not zero (SPEC §2 "Precision":
 * date and interval triggers keep milliseconds).
 */
import { describe, expect, it } from 'vitest';
import { formatInstant, formatIso } from '../../src/time/format.ts';
import { getZone } from '../../src/time/zone.ts';

const BERLIN = getZone('Europe/Berlin');
const NEW_YORK = getZone('America/New_York');
const UTC = getZone('UTC');

describe('formatInstant', () => {
  it('prints a whole second without a fraction: 2024-03-31 03:30:00+02:00', () => {
    expect(formatInstant(Date.parse('2024-03-31T01:30:00Z'), BERLIN)).toBe(
      '2024-03-31 03:30:00+02:00',
    );
  });

  it.each([
    ['2024-03-31T01:30:00.250Z', '2024-03-31 03:30:00.250+02:00'],
    ['2024-03-31T01:30:00.001Z', '2024-03-31 03:30:00.001+02:00'],
    ['2024-03-31T01:30:59.999Z', '2024-03-31 03:30:59.999+02:00'],
  ])('prints milliseconds when there are any: %s → %s', (instant, text) => {
    expect(formatInstant(Date.parse(instant), BERLIN)).toBe(text);
  });

  it('puts the milliseconds before a negative offset (New York, winter)', () => {
    expect(formatInstant(Date.parse('2024-01-15T14:00:00.500Z'), NEW_YORK)).toBe(
      '2024-01-15 09:00:00.500-05:00',
    );
  });

  it('prints an instant before 1970 with its milliseconds', () => {
    expect(formatInstant(Date.parse('1969-12-31T23:59:59.750Z'), UTC)).toBe(
      '1969-12-31 23:59:59.750+00:00',
    );
  });
});

describe('formatIso', () => {
  it('is formatInstant with a T: whole seconds without a fraction', () => {
    expect(formatIso(Date.parse('2024-10-27T01:30:00Z'), BERLIN)).toBe('2024-10-27T02:30:00+01:00');
  });

  it('keeps milliseconds that are not zero', () => {
    expect(formatIso(Date.parse('2024-10-27T01:30:00.040Z'), BERLIN)).toBe(
      '2024-10-27T02:30:00.040+01:00',
    );
  });
});
