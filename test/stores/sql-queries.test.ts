/**
 * How the SQL job store splits a bulk add into multi-row inserts
 * and a batch update or removal into padded statements (src/stores/sql/queries.ts):
 * few statement shapes, every row once, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  insertSizes,
  MAX_INSERT_ROWS,
  MAX_PADDED_ROWS,
  paddedSizes,
} from '../../src/stores/sql/queries.ts';

describe('insertSizes', () => {
  it('fills statements of the largest size, then takes the binary digits of the rest', () => {
    expect(insertSizes(0, 64)).toEqual([]);
    expect(insertSizes(1, 64)).toEqual([1]);
    expect(insertSizes(64, 64)).toEqual([64]);
    expect(insertSizes(1000, 64)).toEqual([...Array(15).fill(64), 32, 8]);
    expect(insertSizes(1000, 1000)).toEqual([1000]);
    expect(insertSizes(1999, 1000)).toEqual([1000, 512, 256, 128, 64, 32, 4, 2, 1]);
  });

  it('covers every row with at most log2(max) + 2 shapes, within the parameter limits', () => {
    for (const max of Object.values(MAX_INSERT_ROWS)) {
      // Three parameters a row; PostgreSQL and MySQL allow 65,535, SQLite 32,766.
      expect(max * 3).toBeLessThanOrEqual(32_766);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5 * max }), (rows) => {
          const sizes = insertSizes(rows, max);
          expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(rows);
          for (const size of sizes) {
            expect(size === max || (size < max && Number.isInteger(Math.log2(size)))).toBe(true);
          }
        }),
      );
    }
  });
});

describe('paddedSizes', () => {
  it('takes one statement for the scheduler’s batches and splits where padding would exceed a fifth of it', () => {
    expect(paddedSizes(0, 1024)).toEqual([]);
    expect(paddedSizes(1, 1024)).toEqual([1]);
    expect(paddedSizes(3, 1024)).toEqual([2, 1]);
    expect(paddedSizes(125, 1024)).toEqual([128]);
    expect(paddedSizes(250, 1024)).toEqual([256]);
    expect(paddedSizes(500, 1024)).toEqual([512]);
    expect(paddedSizes(1000, 1024)).toEqual([1024]);
    expect(paddedSizes(600, 1024)).toEqual([512, 64, 16, 8]);
    expect(paddedSizes(2100, 1024)).toEqual([1024, 1024, 64]);
  });

  it('covers every row with powers of two up to the maximum, padding at most a fifth of a statement', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * MAX_PADDED_ROWS }), (rows) => {
        const sizes = paddedSizes(rows, MAX_PADDED_ROWS);
        const room = sizes.reduce((sum, size) => sum + size, 0);
        expect(room).toBeGreaterThanOrEqual(rows);
        if (rows > 0) {
          // Only the last statement is padded, by at most a fifth of itself.
          expect(sizes.slice(0, -1).reduce((sum, size) => sum + size, 0)).toBeLessThan(rows);
          expect((room - rows) * 5).toBeLessThanOrEqual(sizes.at(-1)!);
        }
        for (const size of sizes) {
          expect(size <= MAX_PADDED_ROWS && Number.isInteger(Math.log2(size))).toBe(true);
        }
        // Three parameters a row, within MySQL's 65,535.
        expect(MAX_PADDED_ROWS * 3).toBeLessThanOrEqual(65_535);
      }),
    );
  });
});
