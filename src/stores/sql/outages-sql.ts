/**
 * The store outage log (`../outages.ts`) of the SQL job store, in
 * `<table>_outages` (`migrations.ts`, `0008_store_outages`): one row per
 * outage record, keyed by its id. A write with a known id extends the record
 * (delete and insert in one transaction, alike on every dialect); each write
 * also removes the records that ended before the keeping time.
 */
import { type Kysely, sql } from 'kysely';
import {
  OUTAGE_KEEP_MS,
  type OutageLog,
  type OutageQuery,
  readOutage,
  type StoreOutage,
  storableOutage,
} from '../outages.ts';
import type { SqlBackend } from './sql-backend.ts';
import type { RunStatement } from './statement-runner.ts';
import type { TableNames } from './table-names.ts';

/** The log of a SQL store; `backend()` is read at each call (the store may restart). */
export class SqlOutages implements OutageLog {
  readonly #backend: () => SqlBackend;
  readonly #names: TableNames;

  constructor(backend: () => SqlBackend, names: TableNames) {
    this.#backend = backend;
    this.#names = names;
  }

  async recordOutage(outage: StoreOutage): Promise<void> {
    const o = storableOutage(outage);
    const backend = this.#backend();
    const db = backend.db as unknown as Kysely<unknown>;
    const O = sql.table(this.#names.outages);
    const statements = [
      sql`delete from ${O} where outage_id = ${o.id} or ended_at < ${o.to - OUTAGE_KEEP_MS}`,
      sql`insert into ${O} (outage_id, node, started_at, ended_at, operation, failures, message)
        values (${o.id}, ${o.node}, ${o.from}, ${o.to}, ${o.operation}, ${o.failures}, ${o.message})`,
    ].map((statement) => statement.compile(db));
    await backend.transaction(async (run: RunStatement) => {
      for (const statement of statements) await run(statement);
    });
  }

  async getOutages(query: OutageQuery): Promise<StoreOutage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit >= 1)) return [];
    const backend = this.#backend();
    const O = sql.table(this.#names.outages);
    const { rows } = await backend.runOnce<Record<string, unknown>>(
      sql`select outage_id as id, node, started_at as ${sql.ref('from')}, ended_at as ${sql.ref('to')},
          operation, failures, message
        from ${O} where started_at <= ${query.to} and ended_at >= ${query.from}
        order by started_at desc, outage_id desc limit ${sql.lit(limit)}`.compile(
        backend.db as unknown as Kysely<unknown>,
      ),
    );
    const outages: StoreOutage[] = [];
    for (const row of rows) {
      const outage = readOutage(row);
      if (outage !== undefined) outages.push(outage);
    }
    return outages;
  }
}
