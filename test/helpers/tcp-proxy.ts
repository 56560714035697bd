/**
 * A TCP proxy for tests, written with `net`: forwards each connection to a target port that the
 * test can move (a restarted service listens on a new port 0), counts connections, and can turn
 * every open connection into a black hole — bytes are swallowed in both directions and no FIN or
 * RST is ever sent, as when a NAT or a mobile network forgets a connection.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly wsUrl: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** New connections go to this port from now on. */
  setTarget(port: number): void;
  /** Silently stops forwarding on every open connection (new ones are forwarded normally). */
  blackhole(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let accepted = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** Every socket still open, black-holed ones included, for `close`. */
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host: '127.0.0.1', port: target });
    const pair = { client, upstream };
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // A dead target (service down) is a refused connection for the client: close it at once.
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    accepted: () => accepted,
    setTarget(next) {
      target = next;
    },
    blackhole() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        // Keep reading (and dropping) so neither side sees back-pressure or a close.
        client.on('data', () => undefined);
        upstream.on('data', () => undefined);
      }
      pairs.clear();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
