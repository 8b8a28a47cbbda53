/**
 * "Why didn't my job run at 02:30?" answered from what the store recorded:
 * the job's changes (which trigger was in force, when it was paused), the
 * fire ledger (what happened to the slot), the nodes' check-ins (was any
 * scheduler alive) and the store's outages. The answer is a verdict, the
 * slot it is about, the fire when there is one, and evidence: the sentences
 * that led to the verdict, in the order they were checked.
 *
 * The reasoning is pure: everything it reads comes through an
 * {@link ExplainSource}, so it answers alike for every store and is tested
 * with facts laid out by hand as well as with real schedulers.
 */
import type { FireRecord } from '../../stores/ledger.ts';
import type { StoreOutage } from '../../stores/outages.ts';
import { formatInstant } from '../../time/format.ts';
import type { DateInput } from '../../time/parse.ts';
import { getZone, type Zone } from '../../time/zone.ts';
import { triggerFromJSON } from '../../triggers/registry.ts';
import type { Trigger, TriggerJSON } from '../../triggers/trigger.ts';
import { readAskedTime } from './asked-time.ts';
import { type Excluded, readExcluded } from './excluded.ts';
import { readFolded } from './folded.ts';
import { type JobChange, jobStateAt } from './job-change.ts';
import { slotsAround } from './slots.ts';

export type ExplainVerdict =
  | 'ran'
  | 'failed'
  | 'running'
  | 'missed'
  | 'coalesced'
  | 'excluded'
  | 'skipped_max_instances'
  | 'abandoned'
  | 'paused'
  | 'not_a_slot'
  | 'before_added'
  | 'after_end'
  | 'removed'
  | 'no_node_alive'
  | 'store_unavailable'
  | 'unknown';

export interface Explanation {
  readonly verdict: ExplainVerdict;
  /** The fire time of the job nearest the time asked about (the time itself when it is one); null when the job has none. */
  readonly slot: Date | null;
  /** The ledger's record of the slot, when there is one. */
  readonly fire?: FireRecord;
  /** How the verdict was reached, one plain sentence each. */
  readonly evidence: readonly string[];
}

/** A span of time during which a scheduler was checked in with the store. */
export interface NodeWindow {
  readonly nodeId: string;
  readonly from: number;
  readonly to: number;
}

/** The job as its store holds it now, for a job whose changes were not recorded. */
export interface StoredDefinition {
  readonly trigger: TriggerJSON;
  readonly paused: boolean;
  readonly misfireGraceTime: number | null;
  readonly coalesce: boolean;
  readonly maxInstances: number;
}

/** What an explanation reads. Every method may answer "not known" (undefined). */
export interface ExplainSource {
  /** The store's clock, epoch ms. */
  now(): Promise<number>;
  /** The job's recorded changes, oldest first (empty when none were recorded). */
  changes(jobId: string): Promise<readonly JobChange[]>;
  /** The job as stored now, or null when the store has no such job. */
  current(jobId: string): Promise<StoredDefinition | null>;
  /** The job's fires scheduled at or before `to`, newest first, at most `limit`. */
  firesUpTo(jobId: string, to: number, limit: number): Promise<readonly FireRecord[]>;
  /** The oldest fire the ledger still keeps for the job (older ones were purged), or undefined when it keeps none. */
  oldestFire?(jobId: string): Promise<FireRecord | undefined>;
  /** When schedulers were checked in between `from` and `to`; undefined when not known. */
  nodesAlive?(from: number, to: number): Promise<readonly NodeWindow[] | undefined>;
  /** Store outages overlapping `from`..`to`; undefined when not known. */
  outages?(from: number, to: number): Promise<readonly StoreOutage[] | undefined>;
  /** The calendar of the job that excludes this time now, and its rule; undefined when none does (or it is not known). */
  calendarExclusion?(
    jobId: string,
    time: number,
  ): Promise<{ readonly calendar: string; readonly reason: string } | undefined>;
  /** What the ledger keeps, for a sentence when a slot's record may have been purged (e.g. "the last 1,000 fires"). */
  readonly retention?: string;
}

export interface ExplainOptions {
  /** The zone a wall time without an offset is read in when the job's trigger names none. */
  readonly zone?: Zone;
}

/** How far back the fire times of a trigger whose start is not recorded are looked for. */
const UNKNOWN_AGE_LOOKBACK_MS = 10 * 366 * 86_400_000;

/** Rows read around a slot: enough to find the coalesced or excluded row that stands for it. */
const ROWS_AROUND = 3;

/** A trigger restored for replaying its slots: without jitter, whose delays are random. */
function replayable(json: TriggerJSON): Trigger {
  const withoutJitter = json.jitter === undefined ? json : { ...json, jitter: null };
  return triggerFromJSON(withoutJitter);
}

function zoneOf(json: TriggerJSON | undefined, fallback: Zone): Zone {
  const name = json?.timezone;
  if (typeof name !== 'string') return fallback;
  try {
    return getZone(name);
  } catch {
    return fallback;
  }
}

const VERDICT_OF_STATE: Readonly<Record<string, ExplainVerdict>> = {
  succeeded: 'ran',
  failed: 'failed',
  timed_out: 'failed',
  cancelled: 'failed',
  retried: 'failed',
  queued: 'running',
  claimed: 'running',
  running: 'running',
  missed: 'missed',
  coalesced: 'coalesced',
  excluded: 'excluded',
  skipped_max_instances: 'skipped_max_instances',
  abandoned: 'abandoned',
};

/**
 * Explains what happened to the job's fire time at (or nearest) `at`.
 *
 * @throws InvalidDateError when `at` cannot be read as a time.
 */
export async function explainFire(
  source: ExplainSource,
  jobId: string,
  at: DateInput,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const [now, recorded, current] = await Promise.all([
    source.now(),
    source.changes(jobId),
    source.current(jobId),
  ]);
  const fallbackZone = options.zone ?? getZone('UTC');
  const evidence: string[] = [];
  let changes = recorded;
  if (changes.length === 0) {
    if (current === null)
      return {
        verdict: 'unknown',
        slot: null,
        evidence: [
          `The store has no job ${JSON.stringify(jobId)} and no recorded change of one: it was never added to this store, or it was removed and its history purged.`,
        ],
      };
    evidence.push(
      `No change of job ${JSON.stringify(jobId)} is recorded (it was added before its store kept a history, or the history was purged); its current trigger is used for every time.`,
    );
    changes = [
      {
        jobId,
        version: 0,
        kind: 'added',
        at: Number.NEGATIVE_INFINITY,
        trigger: current.trigger,
        misfireGraceTime: current.misfireGraceTime,
        coalesce: current.coalesce,
        maxInstances: current.maxInstances,
        node: null,
      },
      ...(current.paused
        ? [
            {
              jobId,
              version: 0,
              kind: 'paused' as const,
              at: Number.NEGATIVE_INFINITY,
              trigger: current.trigger,
              misfireGraceTime: current.misfireGraceTime,
              coalesce: current.coalesce,
              maxInstances: current.maxInstances,
              node: null,
            },
          ]
        : []),
    ];
  }
  const latestDefinition = changes.findLast((c) => c.trigger !== null);
  const zone = zoneOf(latestDefinition?.trigger ?? undefined, fallbackZone);
  const asked = readAskedTime(at, zone);
  if (asked.dstNote !== undefined) evidence.push(`${asked.dstNote}.`);
  const show = (time: number) => formatInstant(time, zone);
  let instant = asked.instant;

  const first = changes[0] as JobChange;
  let firstSlot: Date | null = null;
  let addedByThen = instant >= first.at;
  if (!addedByThen) {
    const firstTrigger = first.trigger === null ? null : replayable(first.trigger);
    firstSlot = firstTrigger?.getNextFireTime(null, new Date(first.at)) ?? null;
    // A job's first fire time is decided before its add is written, and the add is
    // recorded after the write, by the store's clock: a time that fired (or that a row
    // of excluded fire times stands for), or the first fire time itself, is the job's
    // however late the add's record (a job run at once, a first run time given in the past).
    addedByThen =
      (firstSlot !== null && instant >= firstSlot.getTime()) ||
      (await source.firesUpTo(jobId, instant, 1)).some(
        (fire) => fire.scheduledTime === instant || (readExcluded(fire)?.to ?? -1) >= instant,
      );
  }
  const state = jobStateAt(changes, addedByThen ? Math.max(instant, first.at) : instant);
  if (state.change === undefined) {
    evidence.push(
      `Job ${JSON.stringify(jobId)} was added at ${show(first.at)}, after ${show(instant)}.`,
    );
    if (firstSlot !== null) evidence.push(`Its first fire time was ${show(firstSlot.getTime())}.`);
    return { verdict: 'before_added', slot: firstSlot, evidence };
  }
  const definition = state.definition ?? first;
  if (definition.trigger === null)
    return {
      verdict: 'unknown',
      slot: null,
      evidence: [...evidence, `The recorded changes of the job name no trigger in force then.`],
    };
  const trigger = replayable(definition.trigger);
  if (definition.trigger.jitter !== undefined && definition.trigger.jitter !== null)
    evidence.push(
      `Its trigger adds up to ${String(definition.trigger.jitter)} s of random delay (jitter); fire times are compared without it.`,
    );
  // A definition of unknown age (no change recorded): its fire times are counted from
  // far enough back that the one before the time asked about is found.
  // A time before the add's record that the ledger says was the job's (a first run
  // time given in the past) is replayed from that time.
  const since = Number.isFinite(definition.at)
    ? Math.min(definition.at, instant)
    : instant - UNKNOWN_AGE_LOOKBACK_MS;
  let around = slotsAround(trigger, instant, since);
  if (
    around.previous !== instant &&
    asked.laterOccurrence !== undefined &&
    slotsAround(trigger, asked.laterOccurrence, since).previous === asked.laterOccurrence
  ) {
    instant = asked.laterOccurrence;
    around = slotsAround(trigger, instant, since);
    evidence.push(`Its trigger fires at the second occurrence, ${show(instant)}.`);
  }
  const exact = around.previous === instant;
  const describeTrigger = `Its trigger then was ${trigger.toString()}`;

  // What the ledger recorded at the time asked about, or, when that is no fire
  // time, at the nearest one.
  const nearest =
    exact || around.next === null
      ? around.previous
      : around.previous === null
        ? around.next
        : instant - around.previous <= around.next - instant
          ? around.previous
          : around.next;
  const rowsAtAsked = await source.firesUpTo(jobId, instant, ROWS_AROUND);
  const atAsked = rowsAtAsked.find((fire) => fire.scheduledTime === instant);
  if (atAsked !== undefined) {
    const answer = fromFire(atAsked, instant, [...evidence, `${describeTrigger}.`], show);
    if (answer.verdict !== 'missed' && answer.verdict !== 'coalesced') return answer;
    // Why it could not run in time: the store, if it says so.
    const until = readFolded(atAsked)?.into ?? atAsked.finishedAt ?? instant;
    return {
      ...answer,
      evidence: [...answer.evidence, ...(await outageEvidence(source, instant, until, show))],
    };
  }

  // A job is removed when its trigger has no fire time left: after its last one, the
  // answer is that the trigger ended, not that someone removed the job.
  const ended =
    around.next === null && (around.previous === null || around.previous <= state.change.at);
  if (state.removed && !exact && !ended) {
    evidence.push(`${describeTrigger}.`, `The job was removed at ${show(state.change.at)}.`);
    return { verdict: 'removed', slot: nearestDate(nearest), evidence };
  }
  if (around.next === null && !exact) {
    evidence.push(
      `${describeTrigger}.`,
      around.previous === null
        ? 'It gave no fire time at all.'
        : `Its last fire time was ${show(around.previous)}; it gives none after.`,
    );
    if (state.removed)
      evidence.push(
        `The job was removed at ${show(state.change.at)}, as a job whose trigger has no fire time left is.`,
      );
    return { verdict: 'after_end', slot: nearestDate(around.previous), evidence };
  }
  if (!exact) {
    const times = [around.previous, around.next].filter((t): t is number => t !== null);
    evidence.push(
      `${describeTrigger}; ${show(instant)} is not one of its fire times. The nearest ${times.length === 1 ? 'is' : 'are'} ${times.map(show).join(' and ')}.`,
    );
    return { verdict: 'not_a_slot', slot: nearestDate(nearest), evidence };
  }

  // The time asked about is a fire time of the trigger in force.
  const slot = instant;
  evidence.push(`${describeTrigger}; ${show(slot)} is one of its fire times.`);
  if (asked.missingWall !== undefined)
    evidence.push(
      `${asked.missingWall} was shifted to ${show(slot).slice(11, 16)} by the DST gap.`,
    );
  if (state.removed) {
    evidence.push(`The job was removed at ${show(state.change.at)}, before this fire time.`);
    return { verdict: 'removed', slot: new Date(slot), evidence };
  }
  if (state.paused) {
    const pausedAt = state.pausedAt;
    evidence.push(
      `The job was paused${pausedAt !== undefined && Number.isFinite(pausedAt) ? ` at ${show(pausedAt)}` : ''}${
        state.resumedAt !== undefined
          ? ` and resumed at ${show(state.resumedAt)}`
          : ' and is still paused'
      }: a paused job's fire times are not run (resuming computes the next one from then).`,
    );
    return { verdict: 'paused', slot: new Date(slot), evidence };
  }
  const newest = rowsAtAsked[0];
  if (newest !== undefined && newest.state === 'coalesced') {
    const folded = readFolded(newest);
    const into = folded?.into;
    if (folded !== undefined && into !== undefined && into > slot) {
      const count = `${folded.complete ? '' : 'at least '}${folded.count.toLocaleString('en-US')}`;
      evidence.push(
        `It was one of ${count} fire times due while the job could not run (from ${show(newest.scheduledTime)}), coalesced into one run at ${show(into)}.`,
        ...(await outageEvidence(source, slot, into, show)),
      );
      return { verdict: 'coalesced', slot: new Date(slot), fire: newest, evidence };
    }
  }
  const excluded = newest === undefined ? undefined : readExcluded(newest);
  if (newest !== undefined && excluded !== undefined && excluded.to >= slot) {
    evidence.push(excludedSentence(excluded, show));
    return { verdict: 'excluded', slot: new Date(slot), fire: newest, evidence };
  }
  // No row: a first run time computed by addJob, resumeJob or rescheduleJob skips
  // excluded times without one, and a time still to come has none yet.
  const ruled = await source.calendarExclusion?.(jobId, slot);
  if (ruled !== undefined) {
    evidence.push(
      `The ledger has no record of it, and calendar ${JSON.stringify(ruled.calendar)} of the job excludes it now (rule: ${ruled.reason}): a job skips the fire times its calendar excludes.`,
    );
    return { verdict: 'excluded', slot: new Date(slot), evidence };
  }
  if (slot > now) {
    evidence.push(`${show(slot)} is still to come (the store's clock reads ${show(now)}).`);
    return { verdict: 'unknown', slot: new Date(slot), evidence };
  }
  evidence.push('The ledger has no record of this fire time.');
  const grace = definition.misfireGraceTime;
  const windowEnd = grace === null ? Math.min(now, slot + 60_000) : slot + grace * 1000;
  const windowText =
    grace === null
      ? `from ${show(slot)} to ${show(windowEnd)}`
      : `within its misfire grace time (${grace} s, until ${show(windowEnd)})`;
  const outages = await source.outages?.(slot, windowEnd);
  const nodes = await source.nodesAlive?.(slot, windowEnd);
  if (nodes !== undefined && nodes.length === 0) {
    evidence.push(`No scheduler was checked in with the store ${windowText}.`);
    return { verdict: 'no_node_alive', slot: new Date(slot), evidence };
  }
  if (outages !== undefined && outages.length > 0) {
    evidence.push(...outageSentences(outages, show));
    return { verdict: 'store_unavailable', slot: new Date(slot), evidence };
  }
  const oldest = await source.oldestFire?.(jobId);
  if (oldest !== undefined && oldest.scheduledTime > slot)
    evidence.push(
      `The oldest fire the ledger keeps for this job is at ${show(oldest.scheduledTime)}${source.retention === undefined ? '' : ` (it keeps ${source.retention})`}: the record of this one may have been purged.`,
    );
  else if (nodes !== undefined)
    evidence.push(
      `Schedulers were checked in then (${[...new Set(nodes.map((n) => n.nodeId))].map((id) => JSON.stringify(id)).join(', ')}), and the store reported no outage.`,
    );
  return { verdict: 'unknown', slot: new Date(slot), evidence };
}

/** What the store's outage log says of `from`..`to`: a sentence per outage, the latest three. */
function outageSentences(
  outages: readonly StoreOutage[],
  show: (time: number) => string,
): string[] {
  return outages
    .slice(0, 3)
    .map(
      (outage) =>
        `Scheduler ${JSON.stringify(outage.node)} could not reach the store from ${show(outage.from)} to ${show(outage.to)} (${outage.failures} failed ${outage.operation}: ${outage.message}).`,
    );
}

/** The outage sentences for a fire time that could not run in time, or none when the store recorded no outage then. */
async function outageEvidence(
  source: ExplainSource,
  from: number,
  to: number,
  show: (time: number) => string,
): Promise<string[]> {
  const outages = await source.outages?.(from, Math.max(from, to));
  return outages === undefined ? [] : outageSentences(outages, show);
}

/** Which calendar excluded a fire time, by which rule, and the stretch it was part of. */
function excludedSentence(excluded: Excluded, show: (time: number) => string): string {
  const { count } = excluded;
  const stretch =
    count === 1
      ? 'the only fire time it excluded in that pass'
      : `one of ${excluded.complete ? '' : 'at least '}${count.toLocaleString('en-US')} fire times it excluded from ${show(excluded.from)} to ${show(excluded.to)}`;
  const rule =
    excluded.reason === null
      ? ''
      : count === 1
        ? ` (rule: ${excluded.reason})`
        : ` (the first by the rule ${excluded.reason})`;
  return `It was not run: calendar ${JSON.stringify(excluded.calendar)} of the job excluded it, ${stretch}${rule}; a job skips the fire times its calendar excludes.`;
}

function nearestDate(time: number | null): Date | null {
  return time === null ? null : new Date(time);
}

/** The verdict of a fire the ledger recorded, with what it says. */
function fromFire(
  fire: FireRecord,
  slot: number,
  evidence: string[],
  show: (time: number) => string,
): Explanation {
  const verdict = VERDICT_OF_STATE[fire.state] ?? 'unknown';
  const by = fire.node === null ? '' : ` by scheduler ${JSON.stringify(fire.node)}`;
  const claimed =
    fire.claimedAt === null
      ? ''
      : ` claimed${by} at ${show(fire.claimedAt)} (fencing token ${fire.fence})`;
  switch (fire.state) {
    case 'succeeded':
    case 'failed':
    case 'timed_out':
    case 'cancelled':
    case 'abandoned':
    case 'claimed':
    case 'running': {
      evidence.push(`The fire (${fire.fireId}) was${claimed || ` recorded${by}`}.`);
      if (fire.startedAt !== null)
        evidence.push(
          `Its run started at ${show(fire.startedAt)}, ${Math.max(0, fire.startedAt - slot)} ms after its fire time${fire.attempt > 1 ? ` (attempt ${fire.attempt})` : ''}${fire.recovering ? ', run again after its first node died' : ''}.`,
        );
      const ended = fire.finishedAt === null ? '' : ` at ${show(fire.finishedAt)}`;
      if (fire.state === 'succeeded') evidence.push(`It succeeded${ended}.`);
      else if (fire.state === 'failed')
        evidence.push(
          `It failed${ended}${fire.errorName === null ? '' : `: ${fire.errorName}: ${fire.errorMessage ?? ''}`}.`,
        );
      else if (fire.state === 'timed_out')
        evidence.push(`It ran past its timeout and was stopped${ended}.`);
      else if (fire.state === 'cancelled')
        evidence.push(
          `It was cancelled${ended}${fire.detail === null ? '' : ` (${fire.detail})`}.`,
        );
      else if (fire.state === 'abandoned')
        evidence.push(
          `Its scheduler stopped renewing the run's lease (it died or lost the store); the fire was recorded abandoned${ended}${fire.detail === null ? '' : ` (${fire.detail})`}.`,
        );
      else evidence.push('It has not finished yet.');
      break;
    }
    case 'missed':
      evidence.push(
        `It was not run: when its turn came it was later than the job's misfire grace time allows${fire.finishedAt === null ? '' : ` (decided at ${show(fire.finishedAt)}${by})`}.`,
      );
      break;
    case 'coalesced': {
      const folded = readFolded(fire);
      evidence.push(
        folded === undefined
          ? `It was due while the job could not run and was coalesced${fire.detail === null ? '' : ` (${fire.detail})`}.`
          : `It was the first of ${folded.complete ? '' : 'at least '}${folded.count.toLocaleString('en-US')} fire times due while the job could not run, coalesced into one run at ${show(folded.into)}.`,
      );
      break;
    }
    case 'retried':
      evidence.push(
        `Its run (attempt ${fire.attempt}) failed${fire.finishedAt === null ? '' : ` at ${show(fire.finishedAt)}`}${fire.errorName === null ? '' : `: ${fire.errorName}: ${fire.errorMessage ?? ''}`}; it runs again${fire.leaseUntil === null ? '' : ` at ${show(fire.leaseUntil)}`} (retry).`,
      );
      break;
    case 'queued':
      evidence.push(
        `It waits for a running instance of the job to end, as the job already had as many runs in progress as its maxInstances allows (overlap: queue).`,
      );
      break;
    case 'excluded': {
      const excluded = readExcluded(fire);
      evidence.push(
        excluded === undefined
          ? `It was not run: the job's calendar excluded it${fire.detail === null ? '' : ` (${fire.detail})`}.`
          : excludedSentence(excluded, show),
      );
      break;
    }
    case 'skipped_max_instances':
      evidence.push(
        `It was not run: the job already had as many runs in progress as its maxInstances allows${by === '' ? '' : ` (decided${by})`}.`,
      );
      break;
    default:
      evidence.push(
        `The ledger records it as ${fire.state}${fire.detail === null ? '' : ` (${fire.detail})`}.`,
      );
  }
  return { verdict, slot: new Date(slot), fire, evidence };
}
