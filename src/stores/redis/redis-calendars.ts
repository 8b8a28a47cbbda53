/** The named calendars of the Redis job store: one hash, `${keyPrefix}calendars`, name → state JSON. */
import type { Cluster, Redis } from 'ioredis';
import { byName, type CalendarStore, type StoredCalendar } from '../calendars.ts';

export class RedisCalendars implements CalendarStore {
  readonly #client: () => Redis | Cluster;
  readonly #key: string;

  /** `client()` is the started store's client (it throws before `start()`). */
  constructor(client: () => Redis | Cluster, keyPrefix: string) {
    this.#client = client;
    this.#key = `${keyPrefix}calendars`;
  }

  async getCalendars(): Promise<StoredCalendar[]> {
    const all = await this.#client().hgetall(this.#key);
    return byName(Object.entries(all).map(([name, state]) => ({ name, state })));
  }

  async putCalendar(name: string, state: string, replace: boolean): Promise<boolean> {
    const client = this.#client();
    if (replace) {
      await client.hset(this.#key, name, state);
      return true;
    }
    return (await client.hsetnx(this.#key, name, state)) === 1;
  }

  async removeCalendar(name: string): Promise<boolean> {
    return (await this.#client().hdel(this.#key, name)) === 1;
  }
}
