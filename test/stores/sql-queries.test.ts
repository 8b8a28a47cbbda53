/**
 * How the SQL job store splits a bulk add into multi-row inserts
 * (src/stores/sql/queries.ts): few statement shapes, every row once, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertSizes, MAX_INSERT_ROWS } from '../../src/stores/sql/queries.ts';

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
