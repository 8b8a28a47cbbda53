/**
 * The named calendars of a store: what `scheduler.addCalendar` saves, so that
 * every scheduler sharing the store evaluates the same calendar. A store keeps
 * each calendar as the JSON text of its state (`calendar.toJSON()`); the
 * scheduler restores it with `calendarFromJSON`, which trusts nothing in it.
 */

/** A calendar as a store keeps it. */
export interface StoredCalendar {
  readonly name: string;
  /** `JSON.stringify(calendar.toJSON())`. */
  readonly state: string;
}

/** The calendar part of a store: every built-in store has one. */
export interface CalendarStore {
  /** Every stored calendar, by name (ascending). */
  getCalendars(): Promise<StoredCalendar[]>;
  /**
   * Saves a calendar. With `replace` false an existing calendar of that name
   * is left as it is and false returned; otherwise true.
   */
  putCalendar(name: string, state: string, replace: boolean): Promise<boolean>;
  /** Removes a calendar; false when there was none of that name. */
  removeCalendar(name: string): Promise<boolean>;
}

/** The longest calendar name a store accepts (it fits every backend's key). */
export const MAX_CALENDAR_NAME_LENGTH = 191;

/** Calendars sorted by name, as every store lists them. */
export function byName(calendars: StoredCalendar[]): StoredCalendar[] {
  return calendars.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A store's calendars kept in the process (the memory store). */
export class MemoryCalendars implements CalendarStore {
  readonly #calendars = new Map<string, string>();

  async getCalendars(): Promise<StoredCalendar[]> {
    return byName([...this.#calendars].map(([name, state]) => ({ name, state })));
  }

  async putCalendar(name: string, state: string, replace: boolean): Promise<boolean> {
    if (!replace && this.#calendars.has(name)) return false;
    this.#calendars.set(name, state);
    return true;
  }

  async removeCalendar(name: string): Promise<boolean> {
    return this.#calendars.delete(name);
  }
}
