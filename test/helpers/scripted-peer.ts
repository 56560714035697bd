/**
 * A WebSocket server that plays a scripted peer for SDK tests: each new connection is handed to
 * `script` (with its index) and what it receives is recorded. Closed with `cleanups`.
 */
import WebSocket, { WebSocketServer } from 'ws';

export type Peer = { socket: WebSocket; received: Array<Record<string, unknown>> };

export async function scriptedPeer(
  script: (peer: Peer, index: number) => void,
  cleanups: Array<() => unknown>,
): Promise<{ url: string; peers: Peer[] }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const peers: Peer[] = [];
  server.on('connection', (socket) => {
    const peer: Peer = { socket, received: [] };
    socket.on('message', (data) => peer.received.push(JSON.parse(String(data)) as Record<string, unknown>));
    peers.push(peer);
    script(peer, peers.length - 1);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/ws`, peers };
}
