/**
 * Kysely's `Migrator` decides whether its bookkeeping tables exist by listing
 * every table of the database with its columns. That answer is wrong and
 * fragile for a job store sharing a database with other applications:
 *
 * - on PostgreSQL it lists tables of every schema, so a same-named table in
 *   another schema counts as ours and the migration then fails on the missing
 *   table in the current one;
 * - the listing reads the columns of every table, which fails when another
 *   session drops a table meanwhile, and is slow in large databases.
 *
 * `withOwnTablesIntrospection` hands the `Migrator` a view of the database
 * whose introspection only asks about the named tables, in the schema where
 * unqualified names are created.
 */
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';
import type { SqlDialectName } from './dialects.ts';

/** The names, among `names`, of tables that unqualified statements of this session create and use. */
async function existingTables(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  names: readonly string[],
): Promise<string[]> {
  const list = sql.join(names.map((name) => sql.lit(name)));
  const query =
    dialect === 'postgres'
      ? sql<{ name: string }>`
          select c.relname as name from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname in (${list})`
      : dialect === 'mysql'
        ? sql<{ name: string }>`
          select table_name as name from information_schema.tables
          where table_schema = database() and table_name in (${list})`
        : sql<{ name: string }>`
          select name from sqlite_master where type = 'table' and name in (${list})`;
  const { rows } = await query.execute(db);
  return rows.map((row) => row.name);
}

class OwnTablesIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #dialect: SqlDialectName;
  readonly #names: readonly string[];

  constructor(db: Kysely<unknown>, dialect: SqlDialectName, names: readonly string[]) {
    this.#db = db;
    this.#dialect = dialect;
    this.#names = names;
  }

  getSchemas(): Promise<SchemaMetadata[]> {
    return this.#db.introspection.getSchemas();
  }

  async getTables(): Promise<TableMetadata[]> {
    const found = await existingTables(this.#db, this.#dialect, this.#names);
    // The Migrator reads only the names; it never qualifies them with a schema here.
    return found.map((name) => ({ name, isView: false, columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/**
 * `db` as the `Migrator` should see it: the same connections and executor,
 * with an introspection limited to `names`.
 */
export function withOwnTablesIntrospection(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  names: readonly string[],
): Kysely<unknown> {
  const introspection = new OwnTablesIntrospector(db, dialect, names);
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      // Kysely keeps its state in private fields, so getters and methods must see the real instance.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
