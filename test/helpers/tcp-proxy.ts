/**
 * A TCP proxy for outage tests: listens on 127.0.0.1 (a free port) and
 * forwards every connection to a server. `cut()` destroys every open
 * connection (both sides) and closes new ones at once until `restore()`, which is what
 * a client sees when the network or the server goes away. `silence()` accepts
 * connections and never answers on them, like a server that hangs or a
 * firewall that drops packets, until `restore()`.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #silent = false;
  /** Connections accepted (and forwarded) so far. */
  accepted = 0;
  /** Connections closed at once because the proxy was cut. */
  refused = 0;

  readonly targetHost: string;
  readonly targetPort: number;

  private constructor(server: Server, targetHost: string, targetPort: number) {
    this.#server = server;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Starts a proxy to `targetHost:targetPort` on 127.0.0.1 and an ephemeral port. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetHost, targetPort);
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string')
      throw new Error('The proxy is not listening');
    return address.port;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** `url` with its host and port replaced by the proxy's. */
  proxiedUrl(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Destroys every open connection and closes new ones at once until `restore()`. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Accepts connections and never answers on them until `restore()`; open connections are dropped. */
  silence(): void {
    this.cut();
    this.#cut = false;
    this.#silent = true;
  }

  /** Forwards connections again; connections held while silent are dropped, as a recovering network would. */
  restore(): void {
    if (this.#silent) {
      for (const socket of this.#sockets) socket.destroy();
      this.#sockets.clear();
    }
    this.#cut = false;
    this.#silent = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on('error', () => {});
    if (this.#cut) {
      this.refused += 1;
      client.destroy();
      return;
    }
    if (this.#silent) {
      this.#sockets.add(client);
      client.on('close', () => this.#sockets.delete(client));
      return;
    }
    this.accepted += 1;
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    upstream.on('error', () => {});
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        // One side gone: the other goes too, as a dropped TCP path would.
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
