/**
 * The job change log (`../job-changes.ts`) of the MongoDB job store, in the
 * collection `<collection>_job_changes`: one document per change,
 * `{ _id: "<version>:<job id>", job_id, version, kind, at, trigger_json,
 * misfire_grace_time, coalesce, max_instances, node }`, with a unique index
 * on (job_id, version).
 *
 * A change's version is the job's highest plus one; two schedulers that
 * record a change of one job at once compute the same version, and the
 * unique key lets one insert win: the other reads again and retries, so
 * versions stay strictly increasing. The time is the server's clock
 * (`hello`'s `localTime`), read once per batch. The trigger is kept as JSON
 * text, so that it reads back exactly as it was written.
 */
import type { Collection, Db } from 'mongodb';
import { isStorableId } from '../common.ts';
import {
  changeLimit,
  checkJobChange,
  InvalidJobChangeError,
  type JobChange,
  type JobChangeLog,
  type JobChangeQuery,
  type NewJobChange,
  oldestFirst,
  readJobChange,
  readTriggerText,
} from '../job-changes.ts';
import { serverHello } from './mongo-fires.ts';

export interface MongoJobChangeDocument {
  _id: string;
  job_id: string;
  version: number;
  kind: string;
  at: number;
  trigger_json: string | null;
  misfire_grace_time: number | null;
  coalesce: boolean;
  max_instances: number;
  node: string | null;
}

const DUPLICATE_KEY = 11000;
/**
 * An insert that lost its version to another writer is tried again, this
 * many times at most: each round of writers racing for one version has a
 * winner, so this bounds the writers of one job at once, not the chance.
 */
const RECORD_ATTEMPTS = 50;

/** The collection of the log of the store whose jobs are in `collection`. */
export function jobChangesCollectionName(collection: string): string {
  return `${collection}_job_changes`;
}

/** The log's index: a job's changes by version, unique. */
export const JOB_CHANGE_INDEX = {
  key: { job_id: 1, version: 1 },
  name: 'job_version',
  unique: true,
} as const;

export class MongoJobChanges implements JobChangeLog {
  readonly #parts: () => { db: Db; changes: Collection<MongoJobChangeDocument> };

  /** `parts()` is the started store's (it throws before `start()`). */
  constructor(parts: () => { db: Db; changes: Collection<MongoJobChangeDocument> }) {
    this.#parts = parts;
  }

  async recordJobChanges(changes: readonly NewJobChange[]): Promise<void> {
    const checked = changes.map((change) => {
      const trigger = checkJobChange(change);
      if (!isStorableId(change.jobId))
        throw new InvalidJobChangeError(
          'jobId',
          'holds a lone UTF-16 surrogate, which MongoDB cannot store',
        );
      if (change.node !== null && !isStorableId(change.node))
        throw new InvalidJobChangeError(
          'node',
          'holds a lone UTF-16 surrogate, which MongoDB cannot store',
        );
      return { change, trigger };
    });
    if (checked.length === 0) return;
    const { db, changes: collection } = this.#parts();
    const at = (await serverHello(db)).localTime;
    for (const { change, trigger } of checked) {
      for (let attempt = 1; ; attempt++) {
        const [last] = await collection
          .find({ job_id: change.jobId }, { projection: { version: 1 } })
          .sort({ version: -1 })
          .limit(1)
          .toArray();
        const version = (typeof last?.version === 'number' ? last.version : 0) + 1;
        try {
          await collection.insertOne({
            _id: `${version}:${change.jobId}`,
            job_id: change.jobId,
            version,
            kind: change.kind,
            at,
            trigger_json: trigger,
            misfire_grace_time: change.misfireGraceTime,
            coalesce: change.coalesce,
            max_instances: change.maxInstances,
            node: change.node,
          });
          break;
        } catch (error) {
          const duplicate = (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
          if (!duplicate || attempt >= RECORD_ATTEMPTS) throw error;
          // Spread the losers out, so that the next round has fewer of them.
          await new Promise((resolve) =>
            setTimeout(resolve, Math.random() * 5 * Math.min(attempt, 10)),
          );
        }
      }
    }
  }

  async getJobChanges(jobId: string, query?: JobChangeQuery): Promise<JobChange[]> {
    const limit = changeLimit(query);
    if (!isStorableId(jobId)) return [];
    const { changes: collection } = this.#parts();
    const documents = await collection
      .find({ job_id: jobId })
      .sort({ version: -1 })
      .limit(limit)
      .toArray();
    return oldestFirst(documents, (document) => changeOfDocument(jobId, document));
  }
}

function changeOfDocument(jobId: string, document: MongoJobChangeDocument): JobChange | undefined {
  const trigger = readTriggerText(document.trigger_json);
  return readJobChange(jobId, document.version, document.at, {
    kind: document.kind,
    trigger,
    misfireGraceTime: document.misfire_grace_time,
    coalesce: document.coalesce,
    maxInstances: document.max_instances,
    node: document.node,
  });
}
