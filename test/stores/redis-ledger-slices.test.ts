/**
 * The Redis ledger cuts every operation on many jobs or fires into script
 * calls of bounded size (a script holds the server alone): claims, commits,
 * fire updates, renewals, reaper rounds and releases of claims each do all
 * their work, in calls no larger than their slice, and a renewal that keeps
 * being interrupted still renews every fire in turn. Needs a Redis server
 * (REDIS_URL, default redis://127.0.0.1:6379), as redis.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/index.ts';
import type { ClusterLedger, FireUpdate, JobCommit } from '../../src/stores/ledger.ts';
import { runScript, storeKeys } from '../../src/stores/redis/redis-keys.ts';
import { FireLeaseRenewal } from '../../src/stores/redis/redis-lease-renewal.ts';
import * as ledgerScripts from '../../src/stores/redis/redis-ledger-scripts.ts';
import {
  CLAIM_SCAN,
  CLAIM_SLICE,
  COMMIT_SLICE,
  FIRES_SLICE,
  REAP_BUDGET,
  REAP_SLICE,
  RENEW_SLICE,
  UPDATE_SLICE,
} from '../../src/stores/redis/redis-ledger-slices.ts';
import type { RedisScript } from '../../src/stores/redis/redis-scripts.ts';
import {
  describeBackend,
  REDIS_URL,
  redisBackend,
  redisUnreachable,
} from '../helpers/durability.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { runFire } from './ledger-contract.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

const RUN_PREFIX = `horarium-test:${process.pid}:${randomUUID()}:`;
const LEASE = 30_000;
const unreachable = await redisUnreachable(REDIS_URL);

/** The ledger scripts' names by SHA-1 (EVALSHA) and by source (EVAL, the first call). */
const SCRIPTS = new Map<string, string>();
for (const value of Object.values(ledgerScripts) as unknown[])
  if (typeof value === 'object' && value !== null && 'sha' in value && 'name' in value) {
    const { sha, source, name } = value as RedisScript;
    SCRIPTS.set(sha, name);
    SCRIPTS.set(source, name);
  }

/** One script call the store made: the script, its arguments after the keys, its reply. */
interface Call {
  readonly script: string;
  readonly args: readonly string[];
  readonly reply: unknown;
}

describeBackend('RedisJobStore cluster ledger in slices', redisBackend, unreachable, () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  const clients: Redis[] = [];
  let count = 0;

  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await admin.quit();
  });

  interface Started {
    store: RedisJobStore;
    ledger: ClusterLedger;
    prefix: string;
    client: Redis;
    /** The script calls made so far. */
    calls: Call[];
    /** The calls of one script so far. */
    callsOf(script: string): Call[];
  }

  /** A started store on a new prefix, over a client that records every script call. */
  async function started(): Promise<Started> {
    const prefix = `${RUN_PREFIX}${++count}:`;
    const client = new Redis(REDIS_URL);
    clients.push(client);
    const calls: Call[] = [];
    const call = client.call.bind(client) as (command: string, args: string[]) => Promise<unknown>;
    (client as unknown as { call: unknown }).call = async (command: string, args: string[]) => {
      const reply = await call(command, args);
      if (command === 'EVALSHA' || command === 'EVAL') {
        const keys = Number(args[1]);
        const script = SCRIPTS.get(String(args[0])) ?? 'other';
        calls.push({ script, args: args.slice(2 + keys), reply });
      }
      return reply;
    };
    const store = new RedisJobStore({ client, keyPrefix: prefix });
    await store.start(storeTestContext(), 'default');
    return {
      store,
      ledger: store.ledger,
      prefix,
      client,
      calls,
      callsOf: (script) => calls.filter((c) => c.script === script),
    };
  }

  const jobIds = (n: number, from = 0): string[] =>
    Array.from({ length: n }, (_, i) => `job-${String(from + i).padStart(5, '0')}`);

  async function addJobs({ store }: Started, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000)
      await store.addJobs(ids.slice(i, i + 1000).map((id) => makeJob(id, BASE_TIME)));
  }

  /** Claims every due job for `owner` and commits one run fire each; returns the fire ids. */
  async function liveFires(started_: Started, owner: string, n: number): Promise<string[]> {
    const { ledger } = started_;
    await addJobs(started_, jobIds(n));
    const claim = await ledger.claimDueJobs({ owner, limit: n, leaseMs: LEASE, now: BASE_TIME });
    const result = await ledger.commitClaims(
      owner,
      claim.jobs.map(({ job, fence }) => ({
        jobId: job.id,
        fence,
        job: job.withNextRunTime(new Date(BASE_TIME + 3_600_000)),
        fires: [runFire(BASE_TIME)],
      })),
      { runLeaseMs: LEASE, now: BASE_TIME },
    );
    expect(result.won).toHaveLength(n);
    return [...result.won];
  }

  /** Each fire's run lease, as the reaper's index holds it. */
  async function leases({ prefix }: Started, fires: readonly string[]): Promise<number[]> {
    const scores = await admin.zmscore(`${prefix}live_fires`, ...fires);
    return scores.map(Number);
  }

  it('claims more jobs than one call claims, in calls of at most its slice, all at one time', async () => {
    const started_ = await started();
    const ids = jobIds(2 * CLAIM_SLICE + 5);
    await addJobs(started_, ids);
    const claim = await started_.ledger.claimDueJobs({
      owner: 'a',
      limit: ids.length,
      leaseMs: LEASE,
    });
    expect(claim.jobs.map((c) => c.job.id)).toEqual(ids);
    const calls = started_.callsOf('claimDueJobs');
    expect(calls).toHaveLength(3);
    // Every slice claims at the first slice's time: one lease end for every claim.
    const claims = await admin.hvals(`${started_.prefix}claims`);
    expect(new Set(claims)).toEqual(new Set([`${claim.now + LEASE} a`]));
    for (const call of calls) expect(Number(call.args[1])).toBeLessThanOrEqual(CLAIM_SLICE);
  });

  it('looks past the claims of other nodes in calls of bounded length, and claims the jobs behind them', async () => {
    const started_ = await started();
    const { ledger } = started_;
    const held = CLAIM_SCAN + 100;
    const ids = jobIds(held + 50);
    await addJobs(started_, ids);
    // A node that died holding the claims of the first jobs due.
    const dead = await ledger.claimDueJobs({
      owner: 'b',
      limit: held,
      leaseMs: LEASE,
      now: BASE_TIME,
    });
    expect(dead.jobs).toHaveLength(held);
    started_.calls.length = 0;
    const claim = await ledger.claimDueJobs({
      owner: 'a',
      limit: 10,
      leaseMs: LEASE,
      now: BASE_TIME,
    });
    expect(claim.jobs.map((c) => c.job.id)).toEqual(ids.slice(held, held + 10));
    // The first call looked at its limit and CLAIM_SCAN due jobs, and the next went on from there.
    expect(started_.callsOf('claimDueJobs').map((call) => call.args[4])).toEqual([
      '0',
      String(10 + CLAIM_SCAN),
    ]);
  });

  it('commits more fires than one call inserts, in calls of about its slice, never splitting a job', async () => {
    const started_ = await started();
    const { ledger } = started_;
    const ids = jobIds(2 * COMMIT_SLICE + 10);
    await addJobs(started_, ids);
    const claim = await ledger.claimDueJobs({
      owner: 'a',
      limit: ids.length,
      leaseMs: LEASE,
      now: BASE_TIME,
    });
    // One job catches up on more runs than a slice holds.
    const many = COMMIT_SLICE + 20;
    const commits: JobCommit[] = claim.jobs.map(({ job, fence }, i) => ({
      jobId: job.id,
      fence,
      job: job.withNextRunTime(new Date(BASE_TIME + 3_600_000)),
      fires: Array.from({ length: i === 50 ? many : 1 }, (_, k) => runFire(BASE_TIME - k * 1000)),
    }));
    const result = await ledger.commitClaims('a', commits, { runLeaseMs: LEASE, now: BASE_TIME });
    expect(result.lost).toEqual([]);
    expect(new Set(result.won)).toEqual(
      new Set(commits.flatMap((c) => c.fires.map((f) => f.fireId))),
    );
    const calls = started_.callsOf('commitClaims');
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const call of calls) {
      // owner, lease, now, then per job: id, fence, state, score, prefix, fire count, history, 6 per fire.
      const jobs: { id: string; fires: number }[] = [];
      for (let at = 3; at < call.args.length; ) {
        const fires = Number(call.args[at + 5]);
        jobs.push({ id: call.args[at] as string, fires });
        at += 7 + 6 * fires;
      }
      const fires = jobs.reduce((sum, job) => sum + job.fires, 0);
      if (jobs.length > 1) expect(fires).toBeLessThanOrEqual(COMMIT_SLICE);
    }
    expect(
      (await ledger.getFires({ jobId: claim.jobs[50]?.job.id as string, limit: 1000 })).length,
    ).toBe(many);
    expect(await admin.hlen(`${started_.prefix}claims`)).toBe(0);
  });

  it('writes more fire updates than one call writes, each fire in order across calls', async () => {
    const started_ = await started();
    const fires = await liveFires(started_, 'a', UPDATE_SLICE + 50);
    // Each fire's start and end: the starts fill the first call, the ends spill into the next ones.
    const updates: FireUpdate[] = [
      ...fires.map((fireId) => ({ fireId, state: 'running' as const, at: BASE_TIME + 1 })),
      ...fires.map((fireId) => ({ fireId, state: 'succeeded' as const, at: BASE_TIME + 2 })),
    ];
    expect(await started_.ledger.updateFires('a', updates)).toEqual([]);
    const calls = started_.callsOf('updateFires');
    expect(calls).toHaveLength(Math.ceil(updates.length / UPDATE_SLICE));
    for (const call of calls)
      expect((JSON.parse(call.args[1] as string) as unknown[]).length).toBeLessThanOrEqual(
        UPDATE_SLICE,
      );
    const records = await started_.ledger.getFires({ limit: fires.length });
    expect(records.map((r) => [r.state, r.startedAt, r.finishedAt])).toEqual(
      fires.map(() => ['succeeded', BASE_TIME + 1, BASE_TIME + 2]),
    );
    expect(await admin.zcard(`${started_.prefix}live_fires`)).toBe(0);
  });

  it('renews more fires than one call renews: all of them, in calls of at most its slice', async () => {
    const started_ = await started();
    const fires = await liveFires(started_, 'a', 2 * RENEW_SLICE + 17);
    const renewed = await started_.ledger.renewFireLeases('a', LEASE, BASE_TIME + 1000);
    expect(new Set(renewed)).toEqual(new Set(fires));
    expect(renewed).toHaveLength(fires.length);
    const calls = started_.callsOf('renewFireLeases');
    expect(calls).toHaveLength(3);
    for (const call of calls)
      expect((call.reply as [string[], string])[0].length).toBeLessThanOrEqual(RENEW_SLICE);
    expect(new Set(await leases(started_, fires))).toEqual(new Set([BASE_TIME + 1000 + LEASE]));
  });

  it('a renewal interrupted at the same slice every time still renews every fire in turn', async () => {
    const started_ = await started();
    const fires = await liveFires(started_, 'a', 35);
    const keys = storeKeys(started_.prefix);
    // Every renewal fails at its third call, as if that call always timed out.
    let callsThisRenewal = 0;
    const run = async (script: RedisScript, args: readonly string[]): Promise<unknown> => {
      if (++callsThisRenewal === 3) throw new Error('timed out');
      return runScript(started_.client, keys, script, args);
    };
    const renewal = new FireLeaseRenewal(run, 10);
    const renewAt = async (now: number): Promise<void> => {
      callsThisRenewal = 0;
      await expect(renewal.renew('a', LEASE, now)).rejects.toThrow('timed out');
    };
    const first = BASE_TIME + 1000;
    await renewAt(first);
    // The first 20 fires (by id) were renewed; the others still have the lease of their commit.
    const sorted = [...fires].sort();
    const after = await leases(started_, sorted);
    expect(after.slice(0, 20)).toEqual(sorted.slice(0, 20).map(() => first + LEASE));
    expect(after.slice(20)).toEqual(sorted.slice(20).map(() => BASE_TIME + LEASE));
    // The next renewal starts where the last one stopped: the fires it did not reach come first.
    const second = BASE_TIME + 2000;
    await renewAt(second);
    expect(await leases(started_, sorted)).toEqual([
      ...sorted.slice(0, 20).map(() => first + LEASE),
      ...sorted.slice(20).map(() => second + LEASE),
    ]);
    // And so on, in turn: no fire waits more than two renewals.
    const third = BASE_TIME + 3000;
    await renewAt(third);
    expect(await leases(started_, sorted)).toEqual([
      ...sorted.slice(0, 20).map(() => third + LEASE),
      ...sorted.slice(20).map(() => second + LEASE),
    ]);
  });

  it('reaps more fires than one call reaps, and looks past stale index entries in bounded calls', async () => {
    const started_ = await started();
    const fires = await liveFires(started_, 'a', 2 * REAP_SLICE + 30);
    // Entries of fires that are gone, due before every real one.
    const stale = Array.from({ length: REAP_BUDGET + 50 }, (_, i) => [0, `gone-${i}`]).flat();
    await admin.zadd(`${started_.prefix}live_fires`, ...(stale as (string | number)[]));
    const reaped = await started_.ledger.reapExpiredFires('b', {
      limit: 10_000,
      runLeaseMs: LEASE,
      now: BASE_TIME + 2 * LEASE,
    });
    expect(new Set(reaped.abandoned.map((f) => f.fireId))).toEqual(new Set(fires));
    expect(reaped.abandoned).toHaveLength(fires.length);
    const calls = started_.callsOf('reapExpiredFires');
    for (const call of calls) {
      expect(Number(call.args[1])).toBeLessThanOrEqual(REAP_SLICE);
      expect(Number(call.args[4])).toBeLessThanOrEqual(REAP_BUDGET);
    }
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(await admin.zcard(`${started_.prefix}live_fires`)).toBe(0);
  });

  it('lists more fires than one call reads, newest first, going on from where each call stopped', async () => {
    const started_ = await started();
    const { ledger } = started_;
    const fires = await liveFires(started_, 'a', FIRES_SLICE + 100);
    // Same scheduled time: newest first is by fire id, descending.
    const newestFirst = [...fires].sort().reverse();
    const failed = newestFirst.slice(-3);
    await ledger.updateFires(
      'a',
      failed.map((fireId) => ({ fireId, state: 'failed', at: BASE_TIME + 1 })),
    );
    started_.calls.length = 0;
    const all = await ledger.getFires({ limit: fires.length });
    expect(all.map((f) => f.fireId)).toEqual(newestFirst);
    // The oldest three are the only failed ones: found past a whole call's worth of others.
    const found = await ledger.getFires({ states: ['failed'], limit: 10 });
    expect(found.map((f) => f.fireId)).toEqual(failed);
    const calls = started_.callsOf('getFires');
    expect(calls).toHaveLength(4);
    for (const call of calls) expect(Number(call.args[8])).toBeLessThanOrEqual(FIRES_SLICE);
    // One job's fires, by its own index.
    const [job] = jobIds(1, 90_000);
    await addJobs(started_, [job as string]);
    const claim = await ledger.claimDueJobs({
      owner: 'a',
      limit: 1,
      leaseMs: LEASE,
      now: BASE_TIME,
    });
    const many = Array.from({ length: FIRES_SLICE + 20 }, (_, k) => runFire(BASE_TIME - k * 1000));
    await ledger.commitClaims(
      'a',
      [{ jobId: job as string, fence: claim.jobs[0]?.fence as number, job: null, fires: many }],
      { runLeaseMs: LEASE, now: BASE_TIME },
    );
    started_.calls.length = 0;
    const own = await ledger.getFires({ jobId: job as string, limit: 10_000 });
    expect(own.map((f) => f.fireId)).toEqual(many.map((f) => f.fireId));
    expect(started_.callsOf('getFires')).toHaveLength(2);
  });

  it('pages after a given place across calls, whether or not the place is a fire', async () => {
    const started_ = await started();
    const { ledger } = started_;
    const fires = await liveFires(started_, 'a', FIRES_SLICE + 100);
    const newestFirst = [...fires].sort().reverse();
    const pages: string[] = [];
    let after: { scheduledTime: number; fireId: string } | undefined;
    for (;;) {
      const page = await ledger.getFires({ limit: 250, ...(after === undefined ? {} : { after }) });
      if (page.length === 0) break;
      pages.push(...page.map((f) => f.fireId));
      const last = page[page.length - 1] as { scheduledTime: number; fireId: string };
      after = { scheduledTime: last.scheduledTime, fireId: last.fireId };
    }
    expect(pages).toEqual(newestFirst);
    // A place between two fires of the same time: the fires after it, from the next call on too.
    const between = `${newestFirst[299] as string}0`;
    const rest = await ledger.getFires({
      limit: fires.length,
      after: { scheduledTime: BASE_TIME, fireId: between },
    });
    expect(rest.map((f) => f.fireId)).toEqual(newestFirst.slice(299));
  });

  it('releases more claims than one step looks at: all of its own, none of the others', async () => {
    const started_ = await started();
    const { ledger } = started_;
    await addJobs(started_, jobIds(1500));
    await ledger.claimDueJobs({ owner: 'a', limit: 1000, leaseMs: LEASE, now: BASE_TIME });
    await ledger.claimDueJobs({ owner: 'b', limit: 500, leaseMs: LEASE, now: BASE_TIME });
    started_.calls.length = 0;
    await ledger.releaseClaims('a');
    expect(started_.callsOf('releaseClaims').length).toBeGreaterThan(1);
    const left = await admin.hvals(`${started_.prefix}claims`);
    expect(left).toHaveLength(500);
    expect(left.every((claim) => claim.endsWith(' b'))).toBe(true);
  });
});

describe('FireLeaseRenewal', () => {
  it('checks what it is given before Redis is touched', async () => {
    const renewal = new FireLeaseRenewal(() => Promise.reject(new Error('not reached')));
    await expect(renewal.renew('a', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(renewal.renew('\ud800', 1000)).rejects.toBeInstanceOf(TypeError);
  });
});
