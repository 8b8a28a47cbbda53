/**
 * The store outage log (`../outages.ts`) of the MongoDB job store, in the
 * collection `<collection>_outages`: one document per outage record,
 * `{ _id: <outage id>, node, from, to, operation, failures, message }`, with
 * an index on `from`. A write with a known id extends the record (an upsert);
 * each write also removes the records that ended before the keeping time.
 */
import type { Collection } from 'mongodb';
import {
  OUTAGE_KEEP_MS,
  type OutageLog,
  type OutageQuery,
  readOutage,
  type StoreOutage,
  storableOutage,
} from '../outages.ts';

export interface MongoOutageDocument {
  _id: string;
  node: string;
  from: number;
  to: number;
  operation: string;
  failures: number;
  message: string;
}

/** The collection of the outage log of the store whose jobs are in `collection`. */
export function outagesCollectionName(collection: string): string {
  return `${collection}_outages`;
}

/** The log's index: outages by start. */
export const OUTAGE_INDEX = { key: { from: 1 }, name: 'outage_from' } as const;

export class MongoOutages implements OutageLog {
  readonly #outages: () => Collection<MongoOutageDocument>;

  /** `outages()` is the started store's collection (it throws before `start()`). */
  constructor(outages: () => Collection<MongoOutageDocument>) {
    this.#outages = outages;
  }

  async recordOutage(outage: StoreOutage): Promise<void> {
    const o = storableOutage(outage);
    const collection = this.#outages();
    await collection.deleteMany({ to: { $lt: o.to - OUTAGE_KEEP_MS } });
    const { id, ...fields } = o;
    await collection.updateOne({ _id: id }, { $set: fields }, { upsert: true });
  }

  async getOutages(query: OutageQuery): Promise<StoreOutage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit >= 1)) return [];
    const documents = await this.#outages()
      .find({ from: { $lte: query.to }, to: { $gte: query.from } })
      .sort({ from: -1 })
      .limit(limit)
      .toArray();
    const outages: StoreOutage[] = [];
    for (const { _id, ...fields } of documents) {
      const outage = readOutage({ id: _id, ...fields });
      if (outage !== undefined) outages.push(outage);
    }
    return outages;
  }
}
