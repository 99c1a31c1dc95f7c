/**
 * A TCP proxy in front of a real PostgreSQL server that a test can partition (connections are
 * accepted and never answered; traffic on open ones stops, as behind a dropped route) or make
 * refuse (the port closes and open connections are reset, as when the host is gone). Healing a
 * partition lets the held traffic flow again, like TCP retransmission after a route returns.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running proxy and its fault controls. */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** Connections currently open through the proxy (client side). */
  readonly openConnections: number;
  /** Starts a partition: nothing is forwarded any more, new connections are accepted and held. */
  partition(): void;
  /** Ends a partition: held bytes and held connections go through. */
  heal(): void;
  /** Closes the port and resets every connection: ECONNREFUSED until {@link reopen}. */
  refuse(): Promise<void>;
  /** Listens on the same port again. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

/** Starts a proxy on 127.0.0.1 (a free port) to `target`. */
export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let partitioned = false;

  const forward = (pair: Pair): void => {
    if (pair.upstream === undefined) {
      const upstream = connect(target.port, target.host);
      pair.upstream = upstream;
      upstream.on('error', () => pair.client.destroy());
      upstream.on('close', () => pair.client.destroy());
    }
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const hold = (pair: Pair): void => {
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  };

  const server: Server = createServer((client) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('error', () => pair.upstream?.destroy());
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (partitioned) client.pause();
    else forward(pair);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const resetAll = (): void => {
    for (const pair of pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
    pairs.clear();
  };

  return {
    host: '127.0.0.1',
    port,
    get openConnections() {
      return pairs.size;
    },
    partition() {
      partitioned = true;
      for (const pair of pairs) hold(pair);
    },
    heal() {
      partitioned = false;
      for (const pair of pairs) forward(pair);
    },
    async refuse() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      resetAll();
      await closed;
    },
    reopen: () => listen(port),
    async close() {
      resetAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
