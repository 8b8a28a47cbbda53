/** The named calendars of the MongoDB job store: `<collection>_calendars`, one document per calendar, `_id` = name. */
import type { Collection } from 'mongodb';
import { byName, type CalendarStore, type StoredCalendar } from '../calendars.ts';

export interface MongoCalendarDocument {
  _id: string;
  state: string;
}

const DUPLICATE_KEY = 11000;

export function calendarsCollectionName(collection: string): string {
  return `${collection}_calendars`;
}

export class MongoCalendars implements CalendarStore {
  readonly #collection: () => Collection<MongoCalendarDocument>;

  /** `collection()` is the started store's collection (it throws before `start()`). */
  constructor(collection: () => Collection<MongoCalendarDocument>) {
    this.#collection = collection;
  }

  async getCalendars(): Promise<StoredCalendar[]> {
    const documents = await this.#collection().find({}).toArray();
    return byName(
      documents
        .filter((d) => typeof d._id === 'string' && typeof d.state === 'string')
        .map((d) => ({ name: d._id, state: d.state })),
    );
  }

  async putCalendar(name: string, state: string, replace: boolean): Promise<boolean> {
    const collection = this.#collection();
    if (replace) {
      await collection.updateOne({ _id: name }, { $set: { state } }, { upsert: true });
      return true;
    }
    try {
      await collection.insertOne({ _id: name, state });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async removeCalendar(name: string): Promise<boolean> {
    return (await this.#collection().deleteOne({ _id: name })).deletedCount === 1;
  }
}
