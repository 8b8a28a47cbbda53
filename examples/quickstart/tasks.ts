/**
 * The quickstart's job functions. A persistent store keeps a job's function as
 * a reference ('module:export'), so job functions live in a module of their own:
 * the store imports it again when the program restarts, and the thread pool
 * imports it in its worker threads.
 */
import { threadId } from 'node:worker_threads';
import { currentJob } from '../../src/index.ts'; // in your project: from 'horarium'

/** An interval job: reports the process's memory use. */
export function heartbeat(): string {
  return `rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`;
}

/** A cron job in a named time zone: the scheduled time, on Tokyo's wall clock. */
export function tokyoClock(): string {
  const scheduled = currentJob()?.scheduledRunTime ?? new Date();
  const time = scheduled.toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo' });
  return `${time} in Tokyo`;
}

/** A one-off date job with an argument. */
export function welcome(name: string): string {
  return `hello, ${name}`;
}

/** CPU-bound work for the thread pool: counts the primes below `limit` (a sieve). */
export function crunch(limit: number): string {
  const composite = new Uint8Array(limit);
  let primes = 0;
  for (let n = 2; n < limit; n++) {
    if (composite[n] === 1) continue;
    primes++;
    for (let m = n * n; m < limit; m += n) composite[m] = 1;
  }
  return `${primes} primes below ${limit.toLocaleString('en')} (worker thread ${threadId})`;
}
