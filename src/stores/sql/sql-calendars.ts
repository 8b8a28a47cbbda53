/** The named calendars of the SQL job store, in `<table>_calendars` (`migrations.ts`, `0006_calendars`). */
import { type Kysely, sql } from 'kysely';
import { byName, type CalendarStore, type StoredCalendar } from '../calendars.ts';
import type { SqlBackend } from './sql-backend.ts';
import type { TableNames } from './table-names.ts';

/** The calendars of a SQL store; `backend()` is read at each call (the store may restart). */
export class SqlCalendars implements CalendarStore {
  readonly #backend: () => SqlBackend;
  readonly #names: TableNames;

  constructor(backend: () => SqlBackend, names: TableNames) {
    this.#backend = backend;
    this.#names = names;
  }

  async getCalendars(): Promise<StoredCalendar[]> {
    const backend = this.#backend();
    const T = sql.table(this.#names.calendars);
    const { rows } = await backend.run<{ name: unknown; state: unknown }>(
      sql`select name, state from ${T}`.compile(backend.db as unknown as Kysely<unknown>),
    );
    return byName(
      rows
        .filter((row) => typeof row.name === 'string' && typeof row.state === 'string')
        .map((row) => ({ name: row.name as string, state: row.state as string })),
    );
  }

  async putCalendar(name: string, state: string, replace: boolean): Promise<boolean> {
    const backend = this.#backend();
    const db = backend.db as unknown as Kysely<unknown>;
    const T = sql.table(this.#names.calendars);
    const insert = sql`insert into ${T} (name, state) values (${name}, ${state})`;
    if (replace) {
      const upsert =
        backend.dialect === 'mysql'
          ? sql`${insert} on duplicate key update state = values(state)`
          : sql`${insert} on conflict (name) do update set state = excluded.state`;
      await backend.runOnce(upsert.compile(db));
      return true;
    }
    try {
      await backend.runOnce(insert.compile(db));
      return true;
    } catch (error) {
      if (backend.isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async removeCalendar(name: string): Promise<boolean> {
    const backend = this.#backend();
    const db = backend.db as unknown as Kysely<unknown>;
    const T = sql.table(this.#names.calendars);
    return backend.transaction(async (run) => {
      const { rows } = await run<{ name: unknown }>(
        sql`select name from ${T} where name = ${name}`.compile(db),
      );
      if (rows.length === 0) return false;
      await run(sql`delete from ${T} where name = ${name}`.compile(db));
      return true;
    });
  }
}
