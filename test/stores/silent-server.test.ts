/**
 * A store whose server accepts the connection and never answers: its start
 * fails with StoreSetupError within the store's connection timeout, and
 * leaves no connection open behind it. The server is a TCP listener on
 * loopback that takes connections and says nothing.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  MongoJobStore,
  RedisJobStore,
  SqlJobStore,
  SqlStoreSetupError,
  StoreSetupError,
} from '../../src/index.ts';
import { storeTestContext } from '../helpers/store-context.ts';

interface SilentServer {
  port: number;
  /** Connections the server holds open. */
  open(): number;
  /** Connections the server has accepted. */
  accepted(): number;
  close(): Promise<void>;
}

async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    // Reads and drops what the client sends, so that it sees the client close.
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    open: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits (up to 10 s) until `condition` holds. */
async function eventually(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return condition();
}

/** The stores under test, each with a connection timeout of 1 s, on the silent server's port. */
const STORES: { name: string; create(port: number): JobStore }[] = [
  {
    name: 'SqlJobStore (PostgreSQL)',
    create: (port) =>
      new SqlJobStore({ url: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeout: 1 }),
  },
  {
    name: 'SqlJobStore (MySQL/MariaDB)',
    create: (port) =>
      new SqlJobStore({ url: `mysql://root@127.0.0.1:${port}/test`, connectTimeout: 1 }),
  },
  {
    name: 'RedisJobStore',
    create: (port) =>
      new RedisJobStore({
        url: `redis://127.0.0.1:${port}`,
        clientOptions: { connectTimeout: 1000 },
      }),
  },
  {
    name: 'MongoJobStore',
    create: (port) =>
      new MongoJobStore({
        url: `mongodb://127.0.0.1:${port}`,
        clientOptions: { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 },
      }),
  },
];

describe('starting a store whose server accepts connections and never answers', () => {
  let server: SilentServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  for (const { name, create } of STORES) {
    it(`${name}: rejects with StoreSetupError within its timeout and closes what it opened`, async () => {
      server = await silentServer();
      const store = create(server.port);
      const started = performance.now();
      const error = await store.start(storeTestContext(), 'default').catch((thrown) => thrown);
      // A 1 s timeout; the bound is generous for a busy machine.
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(StoreSetupError);
      expect((error as Error).message).toMatch(/^Cannot connect to /);
      expect(server.accepted()).toBeGreaterThan(0);
      expect(await eventually(() => server!.open() === 0)).toBe(true);
    });
  }

  it('SqlStoreSetupError is a StoreSetupError', () => {
    expect(new SqlStoreSetupError('x')).toBeInstanceOf(StoreSetupError);
  });
});
