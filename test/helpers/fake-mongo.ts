/**
 * An in-process model of the part of the mongodb driver that `MongoJobStore`
 * and its ledger use, for running their logic where no MongoDB server is
 * available: collections of plain documents, the query operators the store
 * sends ($in, $nin, $lt, $lte, $gte, $exists, $type, $not, $and, $or, $nor;
 * null matching a missing field), $set / $inc / $setOnInsert, sorts, unique
 * indexes with duplicate key errors (code 11000, `writeErrors` for unordered
 * inserts), the two-stage `$group` the ledger aggregates with, `hello`, and
 * sessions whose transactions simply run their callback.
 *
 * It is a model, not MongoDB: it checks what the store does with the answers
 * it gets (fences, claims, commits, reaping), not how a server answers. The
 * tests against a real server run when MONGODB_URL is set.
 */

type Doc = Record<string, unknown>;

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);

function isPlainObject(value: unknown): value is Doc {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** BSON's type of a JS value as the driver serializes it (integers within int32 → int, other numbers → double). */
function typeOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? 'int' : 'double';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  return 'object';
}

/** Comparison operators match values of the operand's type only, as MongoDB's do (numbers; strings by code unit, the simple collation). */
function compareNumbers(
  value: unknown,
  operand: unknown,
  test: (a: number | string, b: number | string) => boolean,
) {
  if (typeof value === 'number' && typeof operand === 'number') return test(value, operand);
  return typeof value === 'string' && typeof operand === 'string' && test(value, operand);
}

function matchValue(value: unknown, condition: unknown): boolean {
  if (isPlainObject(condition) && Object.keys(condition).some((key) => key.startsWith('$'))) {
    return Object.entries(condition).every(([operator, operand]) => {
      switch (operator) {
        case '$in':
          return (operand as unknown[]).some((item) => matchValue(value, item));
        case '$nin':
          return !(operand as unknown[]).some((item) => matchValue(value, item));
        case '$lt':
          return compareNumbers(value, operand, (a, b) => a < b);
        case '$lte':
          return compareNumbers(value, operand, (a, b) => a <= b);
        case '$gt':
          return compareNumbers(value, operand, (a, b) => a > b);
        case '$gte':
          return compareNumbers(value, operand, (a, b) => a >= b);
        case '$exists':
          return (value !== undefined) === operand;
        case '$type':
          return typeOf(value) === operand;
        case '$not':
          return !matchValue(value, operand);
        default:
          throw new Error(`fake-mongo: unsupported operator ${operator}`);
      }
    });
  }
  if (condition === null) return value === null || value === undefined;
  return same(value, condition);
}

export function matches(document: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as Doc[]).every((part) => matches(document, part));
    if (key === '$or') return (condition as Doc[]).some((part) => matches(document, part));
    if (key === '$nor') return !(condition as Doc[]).some((part) => matches(document, part));
    return matchValue(document[key], condition);
  });
}

/** BSON order for the values the store sorts on: missing/null, then numbers, then strings. */
function rank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 1;
  return 2;
}

function sortDocuments(documents: Doc[], sort: Doc | undefined): Doc[] {
  if (sort === undefined) return documents;
  const keys = Object.entries(sort) as [string, number][];
  return [...documents].sort((a, b) => {
    for (const [key, direction] of keys) {
      const x = a[key];
      const y = b[key];
      const byRank = rank(x) - rank(y);
      const order =
        byRank !== 0
          ? byRank
          : x === y || rank(x) === 0
            ? 0
            : (x as number) < (y as number)
              ? -1
              : 1;
      if (order !== 0) return order * direction;
    }
    return 0;
  });
}

function project(document: Doc, projection: Doc | undefined): Doc {
  if (projection === undefined) return structuredClone(document);
  const out: Doc = { _id: document._id };
  for (const key of Object.keys(projection))
    if (key in document) out[key] = structuredClone(document[key]);
  return out;
}

function serverError(message: string, code: number, extra: Doc = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

function applyUpdate(document: Doc, update: Doc, inserting: boolean): void {
  for (const [operator, fields] of Object.entries(update)) {
    for (const [key, value] of Object.entries(fields as Doc)) {
      if (operator === '$set' || (operator === '$setOnInsert' && inserting))
        document[key] = structuredClone(value);
      else if (operator === '$inc') {
        const current = document[key];
        if (current !== undefined && typeof current !== 'number')
          throw serverError('Cannot apply $inc to a value of non-numeric type', 14);
        document[key] = ((current as number | undefined) ?? 0) + (value as number);
      } else if (operator !== '$setOnInsert')
        throw new Error(`fake-mongo: unsupported update operator ${operator}`);
    }
  }
}

/** One `$group` stage's `_id`: a field path, `$ifNull`, or an object of them. */
function groupKey(document: Doc, expression: unknown): unknown {
  if (typeof expression === 'string' && expression.startsWith('$')) {
    let value: unknown = document;
    for (const part of expression.slice(1).split('.')) value = (value as Doc | undefined)?.[part];
    return value ?? null;
  }
  if (isPlainObject(expression)) {
    if ('$ifNull' in expression) {
      const [first, fallback] = expression.$ifNull as unknown[];
      return groupKey(document, first) ?? groupKey(document, fallback);
    }
    return Object.fromEntries(
      Object.entries(expression).map(([key, part]) => [key, groupKey(document, part)]),
    );
  }
  return expression;
}

function group(documents: Doc[], stage: Doc): Doc[] {
  const { _id: key, ...accumulators } = stage;
  const groups = new Map<string, Doc>();
  for (const document of documents) {
    const id = groupKey(document, key);
    const name = JSON.stringify(id);
    let entry = groups.get(name);
    if (entry === undefined) {
      entry = { _id: id };
      for (const field of Object.keys(accumulators)) entry[field] = 0;
      groups.set(name, entry);
    }
    for (const [field, accumulator] of Object.entries(accumulators)) {
      const { $sum } = accumulator as { $sum?: unknown };
      if (typeof $sum !== 'number') throw new Error('fake-mongo: only { $sum: <number> } groups');
      entry[field] = (entry[field] as number) + $sum;
    }
  }
  return [...groups.values()];
}

export class FakeCollection {
  documents: Doc[] = [];
  readonly #unique: string[][] = [['_id']];

  #conflicts(document: Doc): boolean {
    return this.#unique.some((keys) =>
      this.documents.some((other) => keys.every((key) => same(other[key], document[key]))),
    );
  }

  async createIndex(key: Doc, options: { unique?: boolean; name?: string } = {}): Promise<string> {
    if (options.unique === true) this.#unique.push(Object.keys(key));
    return options.name ?? Object.keys(key).join('_');
  }

  async createIndexes(specs: { key: Doc; unique?: boolean; name?: string }[]): Promise<string[]> {
    return Promise.all(specs.map((spec) => this.createIndex(spec.key, spec)));
  }

  async insertOne(document: Doc): Promise<{ insertedId: unknown }> {
    if (this.#conflicts(document)) throw serverError('E11000 duplicate key error', 11000);
    this.documents.push(structuredClone(document));
    return { insertedId: document._id };
  }

  async insertMany(documents: Doc[], options: { ordered?: boolean } = {}): Promise<object> {
    const writeErrors: { code: number; index: number }[] = [];
    for (const [index, document] of documents.entries()) {
      if (this.#conflicts(document)) {
        writeErrors.push({ code: 11000, index });
        if (options.ordered !== false) break;
      } else this.documents.push(structuredClone(document));
    }
    if (writeErrors.length > 0)
      throw serverError('E11000 duplicate key error', 11000, {
        writeErrors,
        result: { getWriteConcernError: () => undefined },
      });
    return { insertedCount: documents.length };
  }

  find(filter: Doc = {}, options: { projection?: Doc } = {}) {
    let sort: Doc | undefined;
    let limit = 0;
    const cursor = {
      sort: (by: Doc) => {
        sort = by;
        return cursor;
      },
      limit: (count: number) => {
        limit = count;
        return cursor;
      },
      toArray: async (): Promise<Doc[]> => {
        const found = sortDocuments(
          this.documents.filter((document) => matches(document, filter)),
          sort,
        );
        return (limit > 0 ? found.slice(0, limit) : found).map((document) =>
          project(document, options.projection),
        );
      },
      next: async (): Promise<Doc | null> => (await cursor.toArray())[0] ?? null,
    };
    return cursor;
  }

  async findOne(filter: Doc): Promise<Doc | null> {
    return (await this.find(filter).limit(1).toArray())[0] ?? null;
  }

  async countDocuments(filter: Doc = {}): Promise<number> {
    return this.documents.filter((document) => matches(document, filter)).length;
  }

  async findOneAndUpdate(
    filter: Doc,
    update: Doc,
    options: { sort?: Doc; returnDocument?: 'before' | 'after'; projection?: Doc } = {},
  ): Promise<Doc | null> {
    const [document] = sortDocuments(
      this.documents.filter((candidate) => matches(candidate, filter)),
      options.sort,
    );
    if (document === undefined) return null;
    const before = structuredClone(document);
    applyUpdate(document, update, false);
    return project(options.returnDocument === 'after' ? document : before, options.projection);
  }

  async updateOne(filter: Doc, update: Doc, options: { upsert?: boolean } = {}) {
    const document = this.documents.find((candidate) => matches(candidate, filter));
    if (document !== undefined) {
      const before = JSON.stringify(document);
      applyUpdate(document, update, false);
      const modifiedCount = before === JSON.stringify(document) ? 0 : 1;
      return { matchedCount: 1, modifiedCount, upsertedCount: 0, upsertedId: null };
    }
    if (options.upsert !== true)
      return { matchedCount: 0, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
    const fresh: Doc = {};
    for (const [key, value] of Object.entries(filter))
      if (!key.startsWith('$') && !isPlainObject(value)) fresh[key] = structuredClone(value);
    applyUpdate(fresh, update, true);
    if (this.#conflicts(fresh)) throw serverError('E11000 duplicate key error', 11000);
    this.documents.push(fresh);
    return { matchedCount: 0, modifiedCount: 0, upsertedCount: 1, upsertedId: fresh._id };
  }

  async updateMany(filter: Doc, update: Doc) {
    const found = this.documents.filter((document) => matches(document, filter));
    for (const document of found) applyUpdate(document, update, false);
    return { matchedCount: found.length, modifiedCount: found.length };
  }

  async deleteOne(filter: Doc): Promise<{ deletedCount: number }> {
    const index = this.documents.findIndex((document) => matches(document, filter));
    if (index >= 0) this.documents.splice(index, 1);
    return { deletedCount: index >= 0 ? 1 : 0 };
  }

  async deleteMany(filter: Doc): Promise<{ deletedCount: number }> {
    const before = this.documents.length;
    this.documents = this.documents.filter((document) => !matches(document, filter));
    return { deletedCount: before - this.documents.length };
  }

  async bulkWrite(
    operations: { updateOne: { filter: Doc; update: Doc; upsert?: boolean } }[],
  ): Promise<{ upsertedIds: Record<number, unknown> }> {
    const upsertedIds: Record<number, unknown> = {};
    for (const [index, { updateOne }] of operations.entries()) {
      const result = await this.updateOne(updateOne.filter, updateOne.update, updateOne);
      if (result.upsertedCount === 1) upsertedIds[index] = result.upsertedId;
    }
    return { upsertedIds };
  }

  aggregate(pipeline: Doc[]) {
    return {
      toArray: async (): Promise<Doc[]> => {
        let documents = structuredClone(this.documents);
        for (const stage of pipeline) {
          if (isPlainObject(stage.$match))
            documents = documents.filter((document) => matches(document, stage.$match as Doc));
          else if (isPlainObject(stage.$group)) documents = group(documents, stage.$group);
          else throw new Error(`fake-mongo: unsupported stage ${Object.keys(stage).join()}`);
        }
        return documents;
      },
    };
  }
}

export interface FakeMongoClient {
  db(name?: string): {
    collection(name: string): FakeCollection;
    command(command: Doc): Promise<Doc>;
  };
  withSession<T>(run: (session: object) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A client of one in-process database. `replicaSet` makes `hello` say so, so
 * that the store commits through (modelled) transactions; `clock` is the
 * server's clock `hello` reports.
 */
export function fakeMongoClient(
  options: { replicaSet?: boolean; clock?: () => number } = {},
): FakeMongoClient {
  const collections = new Map<string, FakeCollection>();
  const clock = options.clock ?? Date.now;
  const db = {
    collection(name: string): FakeCollection {
      let collection = collections.get(name);
      if (collection === undefined) {
        collection = new FakeCollection();
        collections.set(name, collection);
      }
      return collection;
    },
    async command(command: Doc): Promise<Doc> {
      if (!('hello' in command)) throw serverError('no such command', 59);
      const reply: Doc = { localTime: new Date(clock()), logicalSessionTimeoutMinutes: 30 };
      if (options.replicaSet === true) reply.setName = 'rs0';
      return reply;
    },
  };
  const session = {
    withTransaction: <T>(run: () => Promise<T>): Promise<T> => run(),
  };
  return {
    db: () => db,
    withSession: (run) => run(session),
    close: async () => {},
  };
}
