/**
 * Random ids of 32 hex digits (128 bits) for fires and batches, a few per
 * run: drawn from a pool of random bytes refilled 256 ids at a time, one call
 * into the system's generator where `randomBytes(16)` per id made one each.
 */
import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_IDS = 256;
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
/** The next unused id of the pool; POOL_IDS when it is used up. */
let next = POOL_IDS;

export function randomId(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const at = next * ID_BYTES;
  next += 1;
  return pool.toString('hex', at, at + ID_BYTES);
}
