/**
 * A stand-in for the provider's push feed: a real `ws` server on port 0 whose behaviour the test
 * sets — refuse the upgrade with an HTTP status, accept, push frames, drop every connection.
 * Records every upgrade attempt (URL and arrival time).
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface UpgradeAttempt {
  readonly url: string;
  readonly query: URLSearchParams;
  readonly atMs: number;
  readonly refusedWith: number | undefined;
}

export interface PushProvider {
  /** `ws://127.0.0.1:<port>/live_events` */
  readonly url: string;
  readonly attempts: UpgradeAttempt[];
  /** Refuse upgrades with this HTTP status from now on; `undefined` accepts them. */
  refuseWith(status: number | undefined): void;
  /** Open connections. */
  open(): WebSocket[];
  /** Sends a text frame (a string as it is, anything else as JSON) to every open connection; returns how many got it. */
  send(frame: unknown): number;
  sendBinary(bytes: Buffer): number;
  /** Sends bytes as a text frame as they are (invalid UTF-8 included); returns how many got it. */
  sendTextBytes(bytes: Buffer): number;
  /** Cuts every open connection without a close frame (as a network failure would). */
  dropAll(): void;
  /** Resolves once `count` upgrade attempts have been seen in total. */
  waitForAttempts(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPushProvider(): Promise<PushProvider> {
  const attempts: UpgradeAttempt[] = [];
  let refusal: number | undefined;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const refusalErrors: Error[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '/';
    attempts.push({ url, query: new URL(url, 'http://push.invalid').searchParams, atMs: Date.now(), refusedWith: refusal });
    for (const waiter of [...waiters]) {
      if (attempts.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    if (refusal !== undefined) {
      // The client may hang up first (it terminates on a refusal): a reset here is expected.
      socket.on('error', (error) => refusalErrors.push(error));
      socket.end(`HTTP/1.1 ${refusal} ${STATUS_CODES[refusal] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const open = () => [...sockets.clients].filter((ws) => ws.readyState === WebSocket.OPEN);
  return {
    url: `ws://127.0.0.1:${port}/live_events`,
    attempts,
    refuseWith(status) {
      refusal = status;
    },
    open,
    send(frame) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      const targets = open();
      for (const ws of targets) ws.send(text);
      return targets.length;
    },
    sendBinary(bytes) {
      const targets = open();
      for (const ws of targets) ws.send(bytes, { binary: true });
      return targets.length;
    },
    sendTextBytes(bytes) {
      const targets = open();
      for (const ws of targets) ws.send(bytes, { binary: false });
      return targets.length;
    },
    dropAll() {
      for (const ws of sockets.clients) ws.terminate();
    },
    waitForAttempts(count, timeoutMs = 10_000) {
      if (attempts.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${attempts.length} of ${count} upgrade attempts within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close() {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
