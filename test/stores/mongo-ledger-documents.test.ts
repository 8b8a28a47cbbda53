/**
 * The MongoDB cluster ledger's pure parts, which need no server: fire and
 * node documents to and from records (stored documents are untrusted), the
 * `hello` reply (store clock, transactions), which refused inserts were
 * duplicates, and the lease worker's connection options.
 */
import { describe, expect, it } from 'vitest';
import { MongoJobStore } from '../../src/index.ts';
import {
  fireRecordOf,
  helloOf,
  LedgerDocumentError,
  ledgerCollectionNames,
  newFireDocument,
  nodeFields,
  nodeRecordOf,
  urlHosts,
} from '../../src/stores/mongodb/mongo-fires.ts';
import {
  LEASE_RENEWER_MODULE,
  openLeaseRenewer,
} from '../../src/stores/mongodb/mongo-lease-renewer.ts';
import { duplicateIndexes } from '../../src/stores/mongodb/mongo-ledger.ts';

const NOW = 1_767_225_600_000;

describe('MongoDB ledger documents', () => {
  it('names the ledger collections after the jobs collection', () => {
    expect(ledgerCollectionNames('jobs')).toEqual({ fires: 'jobs_fires', nodes: 'jobs_nodes' });
  });

  it('writes a claimed fire with the committer, its fence and a run lease, and reads it back', () => {
    const document = newFireDocument(
      'node-a',
      { jobId: 'j', fence: 4 },
      { fireId: 'f1', scheduledTime: NOW - 10, state: 'claimed', batchId: 'b1' },
      NOW,
      30_000,
    );
    expect(document).toEqual({
      _id: 'f1',
      job_id: 'j',
      scheduled_time: NOW - 10,
      state: 'claimed',
      node: 'node-a',
      fence: 4,
      batch_id: 'b1',
      lease_until: NOW + 30_000,
      claimed_at: NOW,
      started_at: null,
      finished_at: null,
      recovering: false,
      attempt: 1,
      error_name: null,
      error_message: null,
      detail: null,
    });
    expect(fireRecordOf(document)).toEqual({
      fireId: 'f1',
      jobId: 'j',
      scheduledTime: NOW - 10,
      state: 'claimed',
      node: 'node-a',
      fence: 4,
      batchId: 'b1',
      leaseUntil: NOW + 30_000,
      claimedAt: NOW,
      startedAt: null,
      finishedAt: null,
      recovering: false,
      attempt: 1,
      errorName: null,
      errorMessage: null,
      detail: null,
    });
  });

  it('writes a fire decided when planned as final: no lease, finished now, with its detail', () => {
    const document = newFireDocument(
      'node-a',
      { jobId: 'j', fence: 1 },
      { fireId: 'f2', scheduledTime: NOW, state: 'coalesced', batchId: null, detail: '{"n":3}' },
      NOW,
      30_000,
    );
    expect(fireRecordOf(document)).toMatchObject({
      state: 'coalesced',
      leaseUntil: null,
      finishedAt: NOW,
      batchId: null,
      detail: '{"n":3}',
    });
  });

  it('reads a fire written by an earlier layout without recovering or attempt as a first attempt', () => {
    const {
      recovering: _r,
      attempt: _a,
      ...older
    } = newFireDocument(
      'n',
      { jobId: 'j', fence: 1 },
      { fireId: 'f', scheduledTime: NOW, state: 'claimed', batchId: 'f' },
      NOW,
      1000,
    );
    expect(fireRecordOf(older)).toMatchObject({ recovering: false, attempt: 1 });
  });

  it('refuses a fire document that is not one, naming the field', () => {
    const good = newFireDocument(
      'n',
      { jobId: 'j', fence: 1 },
      { fireId: 'f', scheduledTime: NOW, state: 'claimed', batchId: 'f' },
      NOW,
      1000,
    );
    const bad: [unknown, RegExp][] = [
      [null, /a stored fire is not a document/],
      [[good], /not a document/],
      [{ ...good, _id: 7 }, /a stored fire: _id is not a string \(a number\)/],
      [{ ...good, state: 'exploded' }, /fire "f": state "exploded" is not a fire state/],
      [{ ...good, state: 'toString' }, /is not a fire state/],
      [{ ...good, scheduled_time: '1' }, /scheduled_time is not an integer \(a string\)/],
      [{ ...good, scheduled_time: 1.5 }, /scheduled_time is not an integer/],
      [{ ...good, fence: Number.NaN }, /fence is not an integer/],
      [{ ...good, job_id: undefined }, /job_id is not a string \(missing\)/],
      [{ ...good, node: { $gt: '' } }, /node is not a string \(a object\)/],
      [{ ...good, lease_until: [1] }, /lease_until is not an integer \(an array\)/],
      [{ ...good, recovering: 'yes' }, /recovering is not a boolean/],
      [{ ...good, error_message: 42 }, /error_message is not a string/],
    ];
    for (const [document, message] of bad) {
      expect(() => fireRecordOf(document)).toThrow(LedgerDocumentError);
      expect(() => fireRecordOf(document)).toThrow(message);
    }
  });

  it('writes and reads node check-ins, refusing a document that is not one', () => {
    const fields = nodeFields({
      hostname: 'h',
      pid: 12,
      version: '0.1.0',
      startedAt: NOW - 5,
      clockSkewMs: -3,
    });
    expect(fields).toEqual({
      hostname: 'h',
      pid: 12,
      version: '0.1.0',
      started_at: NOW - 5,
      clock_skew_ms: -3,
    });
    const document = { _id: 'node-a', ...fields, last_seen: NOW };
    expect(nodeRecordOf(document)).toEqual({
      nodeId: 'node-a',
      hostname: 'h',
      pid: 12,
      version: '0.1.0',
      startedAt: NOW - 5,
      lastSeen: NOW,
      clockSkewMs: -3,
    });
    expect(() => nodeRecordOf({ ...document, pid: '12' })).toThrow(
      /node "node-a": pid is not an integer \(a string\)/,
    );
    expect(() => nodeRecordOf({ ...document, last_seen: undefined })).toThrow(/last_seen/);
    expect(() => nodeRecordOf('node')).toThrow(/not a document/);
  });
});

describe('MongoDB hello replies', () => {
  it('gives the server clock in ms and says which deployments have transactions', () => {
    const localTime = new Date(NOW + 7);
    expect(helloOf({ localTime, logicalSessionTimeoutMinutes: 30 })).toEqual({
      localTime: NOW + 7,
      transactions: false,
    });
    expect(
      helloOf({ localTime, logicalSessionTimeoutMinutes: 30, setName: 'rs0' }).transactions,
    ).toBe(true);
    expect(
      helloOf({ localTime, logicalSessionTimeoutMinutes: 30, msg: 'isdbgrid' }).transactions,
    ).toBe(true);
    // A replica set member without sessions (sessions off): no transactions.
    expect(helloOf({ localTime, setName: 'rs0' }).transactions).toBe(false);
  });

  it('refuses a reply without a usable clock', () => {
    expect(() => helloOf({})).toThrow(/no valid localTime \(missing\)/);
    expect(() => helloOf({ localTime: NOW })).toThrow(/no valid localTime \(a number\)/);
    expect(() => helloOf({ localTime: new Date(Number.NaN) })).toThrow(/no valid localTime/);
  });
});

describe('MongoDB refused fire inserts', () => {
  it('lists the duplicates of an unordered insert, and nothing when anything else failed', () => {
    const duplicate = (index: number) => ({ code: 11000, index });
    expect(duplicateIndexes({ writeErrors: [duplicate(0), duplicate(3)] })).toEqual([0, 3]);
    expect(duplicateIndexes({ writeErrors: duplicate(2) })).toEqual([2]);
    expect(duplicateIndexes({ writeErrors: [duplicate(0), { code: 121, index: 1 }] })).toBeNull();
    expect(duplicateIndexes({ writeErrors: [] })).toBeNull();
    expect(duplicateIndexes(new Error('connection reset'))).toBeNull();
    expect(duplicateIndexes(null)).toBeNull();
    expect(
      duplicateIndexes({
        writeErrors: [duplicate(0)],
        result: { getWriteConcernError: () => ({ code: 64 }) },
      }),
    ).toBeNull();
    expect(
      duplicateIndexes({
        writeErrors: [duplicate(0)],
        result: { getWriteConcernError: () => undefined },
      }),
    ).toEqual([0]);
  });
});

describe('MongoDB store identity (wake-up topics)', () => {
  it('names the servers of a connection string without credentials or options, in one order', () => {
    expect(urlHosts('mongodb://user:p%40ss@Db2:27018,db1/app?replicaSet=rs0')).toBe(
      'db1,db2:27018',
    );
    expect(urlHosts('mongodb://127.0.0.1:27017')).toBe('127.0.0.1:27017');
    expect(urlHosts('mongodb+srv://u:secret@cluster0.example.net/?retryWrites=true')).toBe(
      'srv:cluster0.example.net',
    );
  });

  it('is the servers, database and collection, and holds no secret', () => {
    const fromUrl = new MongoJobStore({
      url: 'mongodb://admin:secret@db1,db2/x',
      database: 'app',
      collection: 'tasks',
    });
    expect(fromUrl.ledger.identity()).toBe('mongodb:db1,db2/app.tasks');
    const client = { options: { hosts: [{ toString: () => 'Db9:27017' }] } };
    expect(new MongoJobStore({ client: client as never }).ledger.identity()).toBe(
      'mongodb:db9:27017/horarium.jobs',
    );
  });
});

describe('MongoDB lease worker connection', () => {
  it('is given for a store configured from a URL: this module, its export, where the fires are', async () => {
    const store = new MongoJobStore({
      url: 'mongodb://127.0.0.1:1',
      database: 'db1',
      collection: 'tasks',
      clientOptions: { serverSelectionTimeoutMS: 500 },
    });
    const connection = store.ledger.leaseConnection();
    expect(connection).toEqual({
      module: LEASE_RENEWER_MODULE,
      export: 'openLeaseRenewer',
      options: {
        url: 'mongodb://127.0.0.1:1',
        clientOptions: { serverSelectionTimeoutMS: 500 },
        database: 'db1',
        fires: 'tasks_fires',
      },
    });
    // What a worker receives: the options survive structured cloning, the export exists.
    expect(structuredClone(connection?.options)).toEqual(connection?.options);
    const module = (await import(connection?.module as string)) as Record<string, unknown>;
    expect(module[connection?.export as string]).toBe(openLeaseRenewer);
  });

  it('is not given for a store given a client, nor when its client options cannot reach a worker', () => {
    const withClient = new MongoJobStore({ client: {} as never });
    expect(withClient.ledger.leaseConnection()).toBeUndefined();
    const withCallback = new MongoJobStore({
      url: 'mongodb://127.0.0.1:1',
      clientOptions: {
        authMechanismProperties: { OIDC_CALLBACK: async () => ({ accessToken: '' }) },
      },
    });
    expect(withCallback.ledger.leaseConnection()).toBeUndefined();
  });

  it('refuses options it did not make, and fails clearly without the password when the server is unreachable', async () => {
    await expect(openLeaseRenewer({ url: 'mongodb://x' })).rejects.toThrow(
      /openLeaseRenewer needs \{ url, database, fires \}/,
    );
    await expect(
      openLeaseRenewer({ url: 'mongodb://x', database: 'd', fires: 'f', clientOptions: 3 }),
    ).rejects.toThrow(/clientOptions must be an object/);
    const error: unknown = await openLeaseRenewer({
      url: 'mongodb://user:secret@127.0.0.1:1/?directConnection=true',
      clientOptions: { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 },
      database: 'd',
      fires: 'f',
    }).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect((error as Error).message).toMatch(
      /^Cannot connect to MongoDB at mongodb:\/\/user:\*\*\*@127\.0\.0\.1:1\/.* to renew run leases/,
    );
    expect((error as Error).message).not.toContain('secret');
  });

  it('needs a started store for every ledger call', async () => {
    const store = new MongoJobStore({ url: 'mongodb://127.0.0.1:1' });
    await expect(store.ledger.now()).rejects.toThrow(/not started/);
    await expect(store.ledger.getFires({ limit: 10 })).rejects.toThrow(/not started/);
  });
});
