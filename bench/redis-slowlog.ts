// How long single script calls of the Redis store held the server, read from the server's own
// SLOWLOG: a script runs alone (no other client is served meanwhile), so its duration there is
// the pause every other client saw. While a `ScriptLog` is open, the server logs every command
// slower than THRESHOLD_US; `scripts(prefix)` keeps the EVALSHA/EVAL calls on the keys of one
// store (their first key starts with its prefix), so other clients of the server do not count.
// `close()` puts the server's settings back.
import { Redis } from 'ioredis';
import * as ledgerScripts from '../src/stores/redis/redis-ledger-scripts.ts';
import * as jobScripts from '../src/stores/redis/redis-scripts.ts';

/** Calls faster than this are not logged: what is left is what matters (µs). */
const THRESHOLD_US = 100;

export interface ScriptStats {
  /** Calls slower than THRESHOLD_US. */
  readonly logged: number;
  /** The longest call, ms. */
  readonly longestMs: number;
  /** The median of the calls logged, ms: on a loaded machine, the longest tells more about the load. */
  readonly medianMs: number;
}

/** One script's logged calls. */
export interface ScriptCalls {
  readonly name: string;
  readonly ms: number;
  readonly medianMs: number;
}

/** The scripts' names by SHA-1. */
function scriptNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const module of [ledgerScripts, jobScripts])
    for (const value of Object.values(module) as unknown[])
      if (typeof value === 'object' && value !== null && 'sha' in value && 'name' in value)
        names.set(String(value.sha), String(value.name));
  return names;
}

export class ScriptLog {
  readonly #client: Redis;
  readonly #saved: string[];
  readonly #names = scriptNames();

  private constructor(client: Redis, saved: string[]) {
    this.#client = client;
    this.#saved = saved;
  }

  /** Starts logging (and clears the log); null when the server refuses CONFIG SET. */
  static async open(url: string): Promise<ScriptLog | null> {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      const [, threshold] = (await client.config('GET', 'slowlog-log-slower-than')) as string[];
      const [, length] = (await client.config('GET', 'slowlog-max-len')) as string[];
      await client.config('SET', 'slowlog-log-slower-than', String(THRESHOLD_US));
      await client.config('SET', 'slowlog-max-len', '100000');
      await client.slowlog('RESET');
      return new ScriptLog(client, [threshold ?? '10000', length ?? '128']);
    } catch {
      client.disconnect();
      return null;
    }
  }

  /** Clears the log: what `scripts` reports next starts here. */
  async reset(): Promise<void> {
    await this.#client.slowlog('RESET');
  }

  /** The logged script calls on keys under `prefix` since the last reset, by script name. */
  async scripts(prefix: string): Promise<Map<string, ScriptStats>> {
    const entries = (await this.#client.slowlog('GET', -1)) as [number, number, number, string[]][];
    const durations = new Map<string, number[]>();
    for (const [, , micros, args] of entries) {
      const command = String(args[0]).toUpperCase();
      if (command !== 'EVALSHA' && command !== 'EVAL') continue;
      if (!String(args[3] ?? '').startsWith(prefix)) continue;
      const name =
        command === 'EVALSHA' ? (this.#names.get(String(args[1])) ?? 'other') : 'EVAL (first run)';
      const list = durations.get(name) ?? [];
      list.push(micros / 1000);
      durations.set(name, list);
    }
    const stats = new Map<string, ScriptStats>();
    for (const [name, list] of durations) {
      list.sort((a, b) => a - b);
      stats.set(name, {
        logged: list.length,
        longestMs: list[list.length - 1] ?? 0,
        medianMs: list[Math.floor(list.length / 2)] ?? 0,
      });
    }
    return stats;
  }

  /** The script with the longest logged call on keys under `prefix` since the last reset. */
  async longest(prefix: string): Promise<ScriptCalls | null> {
    let best: ScriptCalls | null = null;
    for (const [name, { longestMs, medianMs }] of await this.scripts(prefix))
      if (best === null || longestMs > best.ms) best = { name, ms: longestMs, medianMs };
    return best;
  }

  async close(): Promise<void> {
    const [threshold, length] = this.#saved;
    try {
      await this.#client.config('SET', 'slowlog-log-slower-than', threshold as string);
      await this.#client.config('SET', 'slowlog-max-len', length as string);
    } finally {
      this.#client.disconnect();
    }
  }
}
